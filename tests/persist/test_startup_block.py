"""The marker block in a startup file: added once, replaced in place, removed without a trace."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from envgen.errors import EnvgenError
from envgen.persist.line_endings import newline_of
from envgen.persist.startup_file import BEGIN_MARKER, END_MARKER, with_block, without_block
from envgen_process import assert_failed_cleanly, run_envgen

WHERE = Path("/home/user/.bashrc")
BODY = "if [ -r '/x/persist.sh' ]; then . '/x/persist.sh'; fi\n"
OTHER_BODY = "if [ -r '/y/persist.sh' ]; then . '/y/persist.sh'; fi\n"

# Startup files as users have them: any bytes (decoded the way envgen decodes them), lines
# ending in LF or CRLF or not at all, stray CRs, form feeds and Unicode line separators that
# only `\n` must be taken to end a line.
_line = st.text(st.sampled_from(list("ab #'\"\\\r\x0c\u2028\u0085\udcff\x00\t$")), max_size=12)
startup_texts = (
    st.lists(st.tuples(_line, st.sampled_from(["\n", "\r\n"])), max_size=8)
    .flatmap(lambda lines: st.tuples(st.just("".join(a + b for a, b in lines)), _line))
    .map("".join)
    .filter(lambda text: ">>> envgen" not in text and "<<< envgen" not in text)
)


@settings(max_examples=200)
@given(startup_texts)
@example("ends in a bare CR\r")
@example("crlf\r\nthen a bare CR\r")
@example("")
def test_block_comes_and_goes_without_a_trace(text: str) -> None:
    once = with_block(text, BODY, WHERE)
    assert once.count(BEGIN_MARKER) == 1 and once.count(END_MARKER) == 1
    assert once.startswith(text)
    assert without_block(once, WHERE) == text
    # A second --persist replaces the block: one block, the rest as it was.
    twice = with_block(once, OTHER_BODY, WHERE)
    assert twice.count(BEGIN_MARKER) == 1
    assert "/x/" not in twice and "/y/" in twice
    assert without_block(twice, WHERE) == text


def test_block_in_the_middle_is_replaced_where_it_stands() -> None:
    before = "# top\n"
    after = "alias x=y\n# bottom\n"
    text = with_block(before, BODY, WHERE) + after
    replaced = with_block(text, OTHER_BODY, WHERE)
    assert replaced.startswith(before) and replaced.endswith(after)
    assert without_block(replaced, WHERE) == before + after


def test_lines_appended_after_the_block_survive_its_removal() -> None:
    text = with_block("no newline at the end", BODY, WHERE) + "echo appended\n"
    assert without_block(text, WHERE) == "no newline at the end\necho appended\n"


def test_several_blocks_become_one() -> None:
    block = with_block("", BODY, WHERE)
    text = "a\n" + block + "b\n" + block + "c\n"
    once = with_block(text, OTHER_BODY, WHERE)
    assert once.count(BEGIN_MARKER) == 1
    assert once.startswith("a\n" + BEGIN_MARKER) and once.endswith("b\nc\n")


def test_crlf_file_gets_a_crlf_block() -> None:
    text = with_block("rem one\r\nrem two\r\n", BODY, WHERE)
    assert "\n" not in text.replace("\r\n", "")


@pytest.mark.parametrize("text", ["one\r\ntwo\n", "one\ntwo\r\n", "one\r\ntwo\nthree"])
def test_a_file_mixing_line_ends_gets_lf_as_the_aws_files_do(text: str) -> None:
    # One rule for every file envgen edits: CRLF only where every line ends so.
    block = with_block(text, BODY, WHERE)[len(text) :]
    assert "\r" not in block
    assert newline_of(text) == "\n"
    assert without_block(with_block(text, BODY, WHERE), WHERE) == text


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (f"a\n{BEGIN_MARKER}\nb\n", 2),
        (f"a\nb\n{END_MARKER}\n", 3),
        (f"{BEGIN_MARKER}\n{BEGIN_MARKER}\n{END_MARKER}\n", 1),
    ],
)
def test_broken_markers_are_not_guessed_at(text: str, line: int) -> None:
    for edit in (lambda: with_block(text, BODY, WHERE), lambda: without_block(text, WHERE)):
        with pytest.raises(EnvgenError, match=f"line {line}"):
            edit()


def test_broken_marker_in_a_startup_file_changes_nothing(clean_env: dict[str, str]) -> None:
    home = Path(clean_env["HOME"])
    broken = f"# mine\n{BEGIN_MARKER}\nexport X=1\n".encode()
    (home / ".bashrc").write_bytes(broken)
    result = run_envgen(
        [
            "import",
            "--access-key-id",
            "AKIAEXAMPLE",
            "--secret-access-key",
            "secret",
            "--persist",
            "--shell",
            "bash",
        ],
        clean_env,
    )
    message = assert_failed_cleanly(result)
    assert ".bashrc line 2" in message
    assert (home / ".bashrc").read_bytes() == broken
    assert not (Path(clean_env["XDG_CONFIG_HOME"]) / "envgen" / "persist.sh").exists()


@pytest.mark.posix("/proc and file modes")
def test_a_startup_file_that_cannot_be_written_leaves_the_kept_values_alone(
    clean_env: dict[str, str],
) -> None:
    managed = Path(clean_env["XDG_CONFIG_HOME"]) / "envgen" / "persist.sh"
    managed.parent.mkdir(parents=True)
    kept = b"export AWS_SECRET_ACCESS_KEY='kept-before'\n"
    managed.write_bytes(kept)
    managed.chmod(0o600)
    # A HOME where a startup file can be looked for but not written, even by root.
    env = dict(clean_env, HOME="/proc")
    result = run_envgen(
        [
            "import",
            "--access-key-id",
            "AKIDNEW",
            "--secret-access-key",
            "new-secret",
            "--session-token",
            "new-token",
            "--shell",
            "bash",
            "--persist",
        ],
        env,
    )
    assert_failed_cleanly(result)
    assert managed.read_bytes() == kept


@pytest.mark.parametrize(
    "command",
    [["import", "--access-key-id", "AKIAEXAMPLE", "--secret-access-key", "secret"], ["clear"]],
)
@pytest.mark.parametrize("kind", ["fifo", "oversized", "device"])
@pytest.mark.posix("FIFOs and /dev/zero")
def test_a_startup_file_that_is_no_small_regular_file_is_refused_at_once(
    clean_env: dict[str, str], command: list[str], kind: str
) -> None:
    home = Path(clean_env["HOME"])
    startup = home / ".bashrc"
    if kind == "fifo":
        # A FIFO with no writer: reading it would wait for ever.
        os.mkfifo(startup)
    elif kind == "device":
        startup.symlink_to("/dev/zero")
    else:
        with startup.open("wb") as stream:
            stream.truncate(64 * 1024 * 1024)
    result = run_envgen([*command, "--persist", "--shell", "bash"], clean_env)
    message = assert_failed_cleanly(result, "secret")
    assert ".bashrc" in message
    assert "regular file" in message or "too large" in message
    assert not (Path(clean_env["XDG_CONFIG_HOME"]) / "envgen" / "persist.sh").exists()
    if kind == "oversized":
        assert startup.stat().st_size == 64 * 1024 * 1024


def test_a_startup_file_that_is_a_fifo_is_named_as_one(clean_env: dict[str, str]) -> None:
    startup = Path(clean_env["HOME"]) / ".bashrc"
    os.mkfifo(startup)
    result = run_envgen(["clear", "--persist", "--shell", "bash"], clean_env)
    assert f"{startup}: is a FIFO, not a regular file; envgen left it unchanged" in (
        assert_failed_cleanly(result)
    )
