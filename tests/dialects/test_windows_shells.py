"""envgen's output applied in the real cmd.exe, Windows PowerShell 5.1 and pwsh 7 by the README's
idioms (`FOR /F "delims=" %%i IN ('envgen ...') DO @%%i`, `envgen ... | Invoke-Expression`),
read back byte for byte; what a shell cannot carry is refused and changes nothing.

They run where the shell is: cmd and Windows PowerShell on Windows, pwsh wherever it is
installed. Everywhere, test_cmd_output.py and test_powershell_output.py check the same output
against each shell's rules without the shell.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from hostile_values import carried_values, refused_values
from shell_harness import MANAGED, CredentialSet, assert_exported, named_sets
from windows_shells import WINDOWS_SHELLS, WindowsShell, run_windows_steps

SHELLS = [
    pytest.param(shell, id=shell.name, marks=pytest.mark.shell(shell.name))
    for shell in WINDOWS_SHELLS
]
FAR_FUTURE = "2099-12-31T23:59:59Z"


def import_steps(
    shell: WindowsShell, documents: Sequence[dict[str, str]], workdir: Path, *extra: str
) -> list[list[str]]:
    """`envgen import FILE --shell NAME EXTRA...` for each document, written into workdir."""
    steps = []
    for index, document in enumerate(documents):
        name = f"credentials-{index}.json"
        (workdir / name).write_text(json.dumps(document), encoding="utf-8")
        steps.append(["import", name, "--shell", shell.name, *extra])
    return steps


@pytest.mark.parametrize("shell", SHELLS)
def test_hostile_values_come_back_exactly(
    shell: WindowsShell, tmp_path: Path, clean_env: dict[str, str]
) -> None:
    sets, labels = named_sets(carried_values(shell.name))

    run = run_windows_steps(
        shell, import_steps(shell, [s.document() for s in sets], tmp_path), tmp_path, clean_env
    )

    assert_exported(run.session(), [s.exported() for s in sets], labels)


@pytest.mark.parametrize("shell", SHELLS)
def test_refusals_change_nothing_and_clear_unsets_everything(
    shell: WindowsShell, tmp_path: Path, clean_env: dict[str, str]
) -> None:
    # Left over from earlier credentials: the first import must remove them.
    env = dict(
        clean_env,
        AWS_ACCESS_KEY_ID="AKIDOLD",
        AWS_SESSION_TOKEN="stale-token",
        AWS_SECURITY_TOKEN="stale-legacy-token",
    )
    temporary = CredentialSet("ASIATEMP", "temp/secret", "temp-token", FAR_FUTURE)
    refused = [*refused_values(shell.name), ("nul", "bad\0token")]
    documents = [temporary.document()]
    documents += [dict(temporary.document(), SessionToken=value) for _, value in refused]
    steps = [*import_steps(shell, documents, tmp_path), ["clear", "--shell", shell.name]]
    expected = [temporary.exported()] * (1 + len(refused)) + [dict.fromkeys(MANAGED)]
    labels = [
        "temporary credentials over stale ones",
        *(f"refused {name} changes nothing" for name, _ in refused),
        "envgen clear",
    ]

    run = run_windows_steps(shell, steps, tmp_path, env)

    assert_exported(run.session(), expected, labels)
    errors = run.stderr.count("envgen: error: ")
    if shell.name == "cmd":
        assert errors == len(refused), run.stderr[-3000:]
    else:
        # Windows PowerShell may show a native command's stderr line again in an error record.
        assert errors >= len(refused), run.stderr[-3000:]
