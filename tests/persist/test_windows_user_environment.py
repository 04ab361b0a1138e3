"""--persist and clear --persist in the real cmd.exe, Windows PowerShell 5.1 and pwsh 7 on
Windows: SETX and REG for cmd, [Environment]::SetEnvironmentVariable(..., 'User') for PowerShell,
applied by the README's idioms and read back from the user environment (HKCU\\Environment) by a
new process, byte for byte.

These tests write the real user environment of whoever runs them, so the `user_environment`
fixture fences them in. Elsewhere, test_persist_windows.py reads the same output as cmd and
PowerShell would.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from filelock import FileLock

from hostile_values import carried_values
from shell_harness import MANAGED, assert_exported, named_sets
from windows_shells import WINDOWS_SHELLS, WindowsShell, run_windows_steps

pytestmark = pytest.mark.skipif(
    os.name != "nt", reason="the Windows user environment (HKCU\\Environment) exists only there"
)

SHELLS = [
    pytest.param(shell, id=shell.name, marks=pytest.mark.shell(shell.name))
    for shell in WINDOWS_SHELLS
]
ASKED_FOR_BY = "ENVGEN_TEST_USER_ENVIRONMENT"
USER_ENVIRONMENT = "Environment"  # below HKEY_CURRENT_USER


def _user_environment_values() -> dict[str, tuple[str, object, int]]:
    """Every value of HKCU\\Environment, by upper-case name (Windows ignores the case)."""
    import winreg

    values = {}
    with winreg.OpenKey(winreg.HKEY_CURRENT_USER, USER_ENVIRONMENT) as key:
        index = 0
        while True:
            try:
                name, data, kind = winreg.EnumValue(key, index)
            except OSError:  # no more values
                break
            values[name.upper()] = (name, data, kind)
            index += 1
    return values


def _delete_user_variables(names: tuple[str, ...]) -> None:
    import winreg

    with winreg.OpenKey(winreg.HKEY_CURRENT_USER, USER_ENVIRONMENT, 0, winreg.KEY_SET_VALUE) as key:
        for name in names:
            try:
                winreg.DeleteValue(key, name)
            except FileNotFoundError:
                pass


@pytest.fixture
def user_environment() -> Iterator[None]:
    """Lets a test write envgen's variables to the real user environment, and nothing else.

    On a developer's machine the test runs only when asked (ENVGEN_TEST_USER_ENVIRONMENT=1; CI
    runners ask with CI=true), never where the user environment already holds one of envgen's
    variables (it would replace the user's own), one test at a time across pytest-xdist
    workers; afterwards the variables are deleted and the rest of the key must be unchanged.
    """
    if not (os.environ.get("CI") or os.environ.get(ASKED_FOR_BY) == "1"):
        pytest.skip(
            f"writes your Windows user environment (HKCU\\Environment): set {ASKED_FOR_BY}=1 "
            "to run it; CI runs it"
        )
    lock = FileLock(Path(tempfile.gettempdir()) / "envgen-tests-user-environment.lock")
    with lock.acquire(timeout=900):
        before = _user_environment_values()
        present = [name for name in MANAGED if name in before]
        if present:
            message = (
                f"the user environment already holds {', '.join(present)}; this test would "
                "replace them, so it runs only where it holds none of envgen's variables"
            )
            if os.environ.get("CI"):
                pytest.fail(message)
            pytest.skip(message)
        try:
            yield
        finally:
            _delete_user_variables(MANAGED)
            after = _user_environment_values()
            changed = sorted(
                name for name in before.keys() | after.keys() if before.get(name) != after.get(name)
            )
            assert not changed, f"the user environment changed beyond envgen's variables: {changed}"


@pytest.mark.parametrize("shell", SHELLS)
def test_persist_keeps_values_for_new_windows_and_clear_removes_them(
    shell: WindowsShell, tmp_path: Path, clean_env: dict[str, str], user_environment: None
) -> None:
    # For cmd these include a token over SETX's 1024 characters and values that begin like a
    # switch, which go through REG ADD; and backslashes before SETX's closing quote.
    sets, labels = named_sets(carried_values(shell.name))
    steps = []
    for index, credential_set in enumerate(sets):
        name = f"credentials-{index}.json"
        (tmp_path / name).write_text(json.dumps(credential_set.document()), encoding="utf-8")
        steps.append(["import", name, "--shell", shell.name, "--persist"])
    steps.append(["clear", "--persist", "--shell", shell.name])
    expected = [s.exported() for s in sets] + [dict.fromkeys(MANAGED)]
    labels = [*labels, "envgen clear --persist"]

    run = run_windows_steps(shell, steps, tmp_path, clean_env, user_environment=True, timeout=900)

    # The window that ran it holds the values too, as without --persist.
    assert_exported(run.session(), expected, labels)
    assert_exported(run.user(), expected, [f"user environment: {label}" for label in labels])
