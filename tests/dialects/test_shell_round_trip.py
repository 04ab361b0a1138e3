"""envgen's output applied in each real shell by its documented idiom, read back byte for byte."""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import require_program
from hostile_values import carried_values, value_text
from refusals import BSD_CSH_WORD_BYTES, refused_characters, refuses
from shell_harness import (
    FAR_FUTURE,
    REAL_SHELLS,
    CredentialSet,
    RealShell,
    apply_sets,
    assert_exported,
    import_command,
    named_sets,
    real_shell,
    run_steps,
    sets_of_three,
)

SHELLS = [
    pytest.param(shell, id=shell.name, marks=pytest.mark.shell(shell.name)) for shell in REAL_SHELLS
]


@pytest.mark.parametrize("shell", SHELLS)
def test_hostile_values_come_back_exactly(
    shell: RealShell, tmp_path: Path, clean_env: dict[str, str]
) -> None:
    sets, labels = named_sets(carried_values(shell.name))

    run = apply_sets(shell, sets, tmp_path, clean_env)

    assert_exported(run, [s.exported() for s in sets], labels)


# tcsh outside a UTF-8 locale garbles backquoted output past its first 4096 bytes when it
# holds non-ASCII characters (see the expected failure below): three values this short
# keep envgen's output within that.
TCSH_C_LOCALE_SAFE_BYTES = 1000


@pytest.mark.parametrize("shell", SHELLS)
def test_non_ascii_values_come_back_outside_a_utf8_locale(
    shell: RealShell, tmp_path: Path, clean_env: dict[str, str]
) -> None:
    named = [
        (name, value)
        for name, value in carried_values(shell.name)
        if not value.isascii()
        and not (shell.name == "tcsh" and len(value.encode()) > TCSH_C_LOCALE_SAFE_BYTES)
    ]
    sets, labels = named_sets(named)

    run = apply_sets(shell, sets, tmp_path, dict(clean_env, LANG="C", LC_ALL="C"))

    assert_exported(run, [s.exported() for s in sets], labels)


@pytest.mark.shell("tcsh")
def test_tcsh_outside_a_utf8_locale_refuses_a_long_non_ascii_value(
    tmp_path: Path, clean_env: dict[str, str]
) -> None:
    # tcsh in the C locale loses bytes of such output; envgen refuses it instead.
    require_program("tcsh")
    document = tmp_path / "long.json"
    document.write_text(
        json.dumps(CredentialSet("AKIDEXAMPLE", "\u00e9" * 2500, "token", FAR_FUTURE).document()),
        encoding="utf-8",
    )
    c_locale = dict(clean_env, LANG="C", LC_ALL="C")

    refused = subprocess.run(
        ["envgen", "import", str(document), "--shell", "tcsh"],
        capture_output=True,
        env=c_locale,
        check=False,
    )
    assert refused.returncode != 0
    assert refused.stdout == b""
    assert b"AWS_SECRET_ACCESS_KEY holds non-ASCII text" in refused.stderr

    tcsh = real_shell("tcsh")
    sets = [CredentialSet("AKIDEXAMPLE", "\u00e9" * 2500, "token", FAR_FUTURE)]
    run = apply_sets(tcsh, sets, tmp_path, dict(clean_env, LANG="C.UTF-8", LC_ALL="C.UTF-8"))
    assert_exported(run, [sets[0].exported()], ["2500 e-acutes in a UTF-8 locale"])


@pytest.mark.parametrize("shell", SHELLS)
def test_generated_values_come_back_exactly(shell: RealShell, clean_env: dict[str, str]) -> None:
    require_program(shell.program)

    # Many values per example and few examples: each example is one shell process.
    @settings(max_examples=3, deadline=None)
    @given(st.lists(value_text(refused_characters(shell.name)), min_size=15, max_size=15))
    def values_round_trip(values: list[str]) -> None:
        sets = sets_of_three(values)
        with tempfile.TemporaryDirectory() as workdir:
            run = apply_sets(shell, sets, Path(workdir), clean_env)
        labels = [f"set {index}" for index in range(len(sets))]
        assert_exported(run, [s.exported() for s in sets], labels)

    values_round_trip()


@pytest.mark.parametrize("shell", SHELLS)
def test_stale_variables_are_removed_and_refusals_change_nothing(
    shell: RealShell, tmp_path: Path, clean_env: dict[str, str]
) -> None:
    env = dict(
        clean_env,
        AWS_ACCESS_KEY_ID="AKIDOLD",
        AWS_SECRET_ACCESS_KEY="old-secret",
        AWS_SESSION_TOKEN="stale-token",
        AWS_CREDENTIAL_EXPIRATION="2000-01-01T00:00:00Z",
        AWS_SESSION_EXPIRATION="2000-01-01T00:00:00Z",
        AWS_REGION="stale-region",
        AWS_DEFAULT_REGION="stale-region",
    )
    long_term = CredentialSet("AKIDLONGTERM", "long/term+secret")
    temporary = CredentialSet("ASIATEMP", "temp/secret", "temp-token", FAR_FUTURE)

    def document(name: str, fields: dict[str, str]) -> Path:
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(fields), encoding="utf-8")
        return path

    # envgen keeps a region it finds in its environment; `env -u` is the user saying "none".
    steps = [
        "env -u AWS_REGION -u AWS_DEFAULT_REGION "
        + import_command(shell, document("long-term", long_term.document())),
        import_command(shell, document("temporary", temporary.document()), "--region", "eu-west-1"),
    ]
    after_long_term = long_term.exported()
    after_temporary = dict(
        temporary.exported(), AWS_REGION="eu-west-1", AWS_DEFAULT_REGION="eu-west-1"
    )
    expected = [after_long_term, after_temporary]
    labels = ["long-term keys over stale ones", "temporary credentials with a region"]
    refusals = [
        (f"bad{char}token", f"U+{ord(char):04X}), which {shell.name} cannot carry")
        for char in refused_characters(shell.name)
    ]
    if refuses(shell.name, "T" * (BSD_CSH_WORD_BYTES + 1)):
        refusals.append(("T" * (BSD_CSH_WORD_BYTES + 1), "BSD csh holds at most"))
    refused_steps = set()
    for index, (token, _message) in enumerate(refusals):
        refused = dict(temporary.document(), SessionToken=token)
        refused_steps.add(len(steps))
        steps.append(import_command(shell, document(f"refused-{index}", refused)))
        expected.append(after_temporary)
        labels.append(f"refused token {index} changes nothing")
    steps.append(f"envgen clear --shell {shell.name}")
    expected.append(dict.fromkeys(after_temporary))
    labels.append("envgen clear")

    run = run_steps(shell, steps, tmp_path, env, frozenset(refused_steps))

    assert_exported(run, expected, labels)
    for _token, message in refusals:
        assert message in run.stderr


@pytest.mark.shell("fish")
def test_fish_token_kept_by_persist_does_not_outlive_a_plain_import(
    tmp_path: Path, clean_env: dict[str, str]
) -> None:
    fish = real_shell("fish")
    temporary = CredentialSet("ASIATEMP", "temp/secret", "temp-token", FAR_FUTURE)
    long_term = CredentialSet("AKIDLONGTERM", "long/term+secret")
    documents = []
    for name, credential_set in (("temporary", temporary), ("long-term", long_term)):
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(credential_set.document()), encoding="utf-8")
        documents.append(path)
    steps = [
        import_command(fish, documents[0], "--persist"),
        import_command(fish, documents[1]),
    ]

    run = run_steps(fish, steps, tmp_path, clean_env)

    assert_exported(
        run,
        [temporary.exported(), long_term.exported()],
        ["temporary credentials kept with --persist", "long-term keys, no --persist"],
    )


@pytest.mark.shell("csh")
@pytest.mark.parametrize(
    ("size", "holds"), [(BSD_CSH_WORD_BYTES, True), (BSD_CSH_WORD_BYTES + 1, False)]
)
def test_bsd_csh_words_end_where_envgen_refuses(
    size: int, holds: bool, tmp_path: Path, clean_env: dict[str, str]
) -> None:
    # Why envgen refuses longer values for csh: the shell itself cannot build them.
    require_program("csh")
    half = size // 2
    script = tmp_path / "word.csh"
    script.write_text(
        f"set probe = '{'B' * half}'\n"
        f"set probe = \"$probe\"'{'B' * (size - half)}'\n"
        'setenv PROBE "$probe"\n'
        "printenv PROBE\n",
        encoding="ascii",
    )
    completed = subprocess.run(
        ["csh", "-f", str(script)], env=clean_env, capture_output=True, text=True, timeout=60
    )
    if holds:
        assert completed.stdout == "B" * size + "\n"
    else:
        assert "Word too long" in completed.stderr
        assert completed.stdout == ""
