"""The forms users type besides the documented idiom, and the form for scripts, in real shells.

`eval $(envgen ...)` without quotes (bash, zsh, sh), fish's `eval (envgen ...)` and tcsh's
``eval `envgen ...` `` all hand eval the output's lines joined by spaces. Every statement ends
in `;`, so for values without whitespace runs or glob characters they give exactly what the
documented idiom gives, as direnv's output does.
"""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
from pathlib import Path

import pytest

from envgen.dialects import SHELLS as DIALECTS
from hostile_values import carried_values
from shell_harness import (
    FAR_FUTURE,
    REAL_SHELLS,
    CredentialSet,
    RealShell,
    assert_exported,
    import_command,
    real_shell,
    run_steps,
    sets_of_three,
)

# The joined forms, per family: the documented idiom without its protecting quotes.
JOINED_FORMS = {
    "posix": "eval $({command})",
    "fish": "eval ({command})",
    "csh": "eval `{command}`",
}

SHELLS = [
    pytest.param(
        dataclasses.replace(shell, apply=JOINED_FORMS[shell.family]),
        id=shell.name,
        marks=pytest.mark.shell(shell.name),
    )
    for shell in REAL_SHELLS
    if shell.family in JOINED_FORMS
]

# Splitting and joining turns a run of blanks, a tab or a newline into one space, and an
# unquoted word with `*`, `?`, `[` (csh: also `{`, `~` at the start) is matched against
# file names: the documented idiom's quotes are there for such values.
CHANGED_BY_SPLITTING = re.compile(r"\s\s|[^\S ]|^\s|\s$|[*?\[{~]")


def plain_values(shell: str) -> list[str]:
    return [
        value
        for _name, value in carried_values(shell)
        if not CHANGED_BY_SPLITTING.search(value)
        and not any(char in value for char in "\u00a0\u2028\u2029\u3000\u200b\ufeff")
        and len(value) < 3000
    ]


def _document(workdir: Path, name: str, credential_set: CredentialSet) -> Path:
    path = workdir / f"{name}.json"
    path.write_text(json.dumps(credential_set.document()), encoding="utf-8")
    return path


STALE = {
    "AWS_ACCESS_KEY_ID": "AKIDOLD",
    "AWS_SECRET_ACCESS_KEY": "old-secret",
    "AWS_SESSION_TOKEN": "stale-token",
    "AWS_CREDENTIAL_EXPIRATION": "2000-01-01T00:00:00Z",
    "AWS_SESSION_EXPIRATION": "2000-01-01T00:00:00Z",
}


@pytest.mark.parametrize("shell", SHELLS)
def test_the_joined_form_gives_what_the_idiom_gives(
    shell: RealShell, tmp_path: Path, clean_env: dict[str, str]
) -> None:
    sets = sets_of_three(plain_values(shell.name))
    long_term = CredentialSet("AKIDLONGTERM", "long/term+secret")
    steps = [import_command(shell, _document(tmp_path, f"set-{i}", s)) for i, s in enumerate(sets)]
    # Keys without a token after a token: the joined form must still unset it.
    steps.append(
        "env -u AWS_REGION -u AWS_DEFAULT_REGION "
        + import_command(shell, _document(tmp_path, "long-term", long_term))
    )
    steps.append(f"envgen clear --shell {shell.name}")
    expected = [s.exported() for s in sets]
    expected += [long_term.exported(), dict.fromkeys(long_term.exported())]
    labels = [f"set {i}" for i in range(len(sets))] + ["long-term keys", "envgen clear"]

    run = run_steps(shell, steps, tmp_path, dict(clean_env, **STALE))

    assert_exported(run, expected, labels)
    # The joined lines must not run as one command that names variables `export` or `unset`.
    assert run.returncode == 0, run.stderr
    job_control_notes = ("bash: cannot set terminal process group", "bash: no job control")
    assert all(
        line.startswith(("envgen: ", *job_control_notes)) for line in run.stderr.splitlines()
    ), run.stderr


@pytest.mark.shell("fish")
def test_fish_eval_of_persist_output_keeps_the_values(
    tmp_path: Path, clean_env: dict[str, str]
) -> None:
    joined = dataclasses.replace(real_shell("fish"), apply=JOINED_FORMS["fish"])
    kept = CredentialSet("ASIAKEPT", "kept/secret+1", "kept-token", FAR_FUTURE)
    step = import_command(joined, _document(tmp_path, "kept", kept), "--persist")

    run = run_steps(joined, [step], tmp_path, clean_env)

    assert_exported(run, [kept.exported()], ["eval of --persist output"])
    assert run.returncode == 0, run.stderr
    assert all(line.startswith("envgen: ") for line in run.stderr.splitlines()), run.stderr
    later = subprocess.run(
        ["fish", "-c", "printf '%s|%s' $AWS_SECRET_ACCESS_KEY $AWS_SESSION_TOKEN"],
        env=clean_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert later.stdout == "kept/secret+1|kept-token"


SCRIPT_SHELLS = [
    pytest.param(
        dataclasses.replace(shell, apply=DIALECTS[shell.name].script_apply),
        id=shell.name,
        marks=pytest.mark.shell(shell.name),
    )
    for shell in REAL_SHELLS
]


@pytest.mark.parametrize("shell", SCRIPT_SHELLS)
def test_the_script_form_applies_on_success_and_stops_the_script_on_failure(
    shell: RealShell, tmp_path: Path, clean_env: dict[str, str]
) -> None:
    fresh = CredentialSet("ASIAFRESH", "fresh/secret+1", "fresh-token", FAR_FUTURE)
    steps = [
        import_command(shell, _document(tmp_path, "fresh", fresh)),
        import_command(shell, tmp_path / "missing.json"),
    ]

    run = run_steps(shell, steps, tmp_path, dict(clean_env, **STALE))

    assert_exported(run, [fresh.exported()], ["the script form, envgen succeeding"])
    assert run.dumps[1] is None, "the script went on after envgen failed"
    assert run.returncode != 0
    assert "missing.json" in run.stderr
