"""envgen.cli.run: a whole run of envgen as a function of its words and streams, so that it can
be asked in-process, several times in one process, without sys.argv or sys.stdout."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

import pytest
import typer

from envgen import cli
from envgen.streams import Streams
from envgen_process import ACCESS_KEY_ID, SECRET, TOKEN, run_at_a_terminal, sts_document


class _Terminal(io.TextIOWrapper):
    """A stdout that says it is a terminal, as a pty does."""

    def isatty(self) -> bool:
        return True


def _streams(stdin: bytes = b"", *, terminal: bool = False) -> Streams:
    kind = _Terminal if terminal else io.TextIOWrapper
    return Streams(
        io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"),
        kind(io.BytesIO(), encoding="utf-8"),
        io.TextIOWrapper(io.BytesIO(), encoding="utf-8"),
    )


def _written(stream: object) -> bytes:
    assert isinstance(stream, io.TextIOWrapper)
    stream.flush()
    buffer = stream.buffer
    assert isinstance(buffer, io.BytesIO)
    return buffer.getvalue()


@pytest.fixture
def private_environment(
    monkeypatch: pytest.MonkeyPatch, clean_env: dict[str, str]
) -> dict[str, str]:
    for name in list(os.environ):
        if name not in clean_env:
            monkeypatch.delenv(name)
    for name, value in clean_env.items():
        monkeypatch.setenv(name, value)
    return clean_env


def test_a_run_writes_only_to_the_streams_it_is_given(
    private_environment: dict[str, str], capfd: pytest.CaptureFixture[str]
) -> None:
    streams = _streams()
    status = cli.run(["clear", "--shell", "fish", "-v"], streams)
    assert status == 0
    assert _written(streams.stdout).startswith(b"if set -q -g -- AWS_ACCESS_KEY_ID;")
    # Neither the process's stdout nor its descriptor 1 saw anything.
    assert capfd.readouterr().out == ""


def test_a_run_reads_the_stdin_it_is_given(private_environment: dict[str, str]) -> None:
    streams = _streams(sts_document().encode())
    status = cli.run(["import", "-", "--shell", "bash", "-q"], streams)
    assert status == 0
    assert f"export AWS_SESSION_TOKEN='{TOKEN}';".encode() in _written(streams.stdout)
    assert _written(streams.stderr) == b""


def test_runs_in_one_process_share_no_options(private_environment: dict[str, str]) -> None:
    # -q in one run neither silences the next nor contradicts its -v.
    quiet = _streams(sts_document().encode())
    assert cli.run(["-q", "import", "-", "--shell", "bash"], quiet) == 0
    assert _written(quiet.stderr) == b""
    loud = _streams(sts_document().encode())
    assert cli.run(["import", "-", "--shell", "bash", "-v"], loud) == 0
    assert _written(loud.stderr).startswith(b"envgen: these credentials expire in ")


def test_exec_finds_its_command_in_the_words_it_is_given(
    private_environment: dict[str, str],
) -> None:
    streams = _streams()
    # Checked before any credentials are looked for: no STS, no child.
    assert cli.run(["exec", "--"], streams) == 2
    assert _written(streams.stderr) == (
        b"envgen: error: give the command to run after --: envgen exec [PROFILE] -- CMD ARGS...\n"
    )
    assert _written(streams.stdout) == b""


def test_a_terminal_stdout_gets_the_hint_with_every_secret_option_masked(
    private_environment: dict[str, str], tmp_path: Path
) -> None:
    secret_options = cli._secret_options(typer.main.get_command(cli.app))
    assert secret_options >= {"--secret-access-key", "--session-token", "--token-code"}
    streams = _streams(terminal=True)
    argv = ["import", "--access-key-id", ACCESS_KEY_ID, "--secret-access-key", SECRET]
    argv += [f"--session-token={TOKEN}", "--shell", "bash"]
    assert cli.run(argv, streams) == 0
    assert _written(streams.stdout) == b""
    hint = _written(streams.stderr).decode().splitlines()[0]
    assert SECRET not in hint and TOKEN not in hint
    assert f"--access-key-id {ACCESS_KEY_ID} --secret-access-key ... --session-token=..." in hint


@pytest.mark.parametrize("command", ["saml", "web-identity", "assume"])
def test_every_option_that_takes_a_secret_is_declared_secret(command: str) -> None:
    root = typer.main.get_command(cli.app)
    secret_options = cli._secret_options(root)
    subcommand = root.commands[command]  # type: ignore[attr-defined]
    names = {name for param in subcommand.params for name in param.opts}
    taking_secrets = {
        "saml": {"--saml-assertion"},
        "web-identity": {"--web-identity-token"},
        "assume": {"--token-code"},
    }[command]
    assert taking_secrets <= names & secret_options


# Run where the process has a controlling terminal (a pty nobody types on): told that nobody
# is there, the run says what to give instead of asking and waiting.
_ASKS_NOBODY = """
import io
from envgen import cli
from envgen.streams import Streams

def stream():
    return io.TextIOWrapper(io.BytesIO(), encoding="utf-8")

streams = Streams(stream(), stream(), stream(), may_ask_at_terminal=False)
status = cli.run(["import", "--access-key-id", "AKIDEXAMPLE", "--shell", "bash"], streams)
streams.stderr.flush()
print("status", status, streams.stderr.buffer.getvalue().decode().strip())
"""


@pytest.mark.posix("a pseudo-terminal as controlling terminal")
def test_a_run_told_nobody_is_at_the_terminal_never_asks_there(
    clean_env: dict[str, str],
) -> None:
    status, shown = run_at_a_terminal([sys.executable, "-c", _ASKS_NOBODY], clean_env, timeout=30)
    assert status == 0, shown
    assert "Secret access key" not in shown and "secret access key:" not in shown.lower()
    assert shown.strip().startswith(
        "status 2 envgen: error: --secret-access-key is missing and there is no terminal to ask on"
    ), shown
