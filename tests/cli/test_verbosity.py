"""How much envgen says on stderr: -q, -v, before or after the command."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import ENVGEN
from envgen_in_process import invoke_envgen
from envgen_process import (
    assert_failed_cleanly,
    run_on_a_terminal,
)


def run_with_terminal_stdout(args: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    return run_on_a_terminal([ENVGEN, *args], env)


# --- how much envgen says: -q, -v, ENVGEN_DEBUG ---------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["-q", "import", "CREDS", "--shell", "bash"],
        ["import", "CREDS", "--shell", "bash", "-q"],
        ["--quiet", "import", "CREDS", "--shell", "bash", "--persist"],
        ["import", "CREDS", "--quiet", "--save-profile", "temp", "--shell", "bash"],
    ],
)
def test_quiet_leaves_no_summary(
    args: list[str], creds_file: Path, clean_env: dict[str, str]
) -> None:
    args = [str(creds_file) if arg == "CREDS" else arg for arg in args]
    result = invoke_envgen(args, clean_env)
    assert result.returncode == 0
    assert result.stderr == b""
    assert result.stdout.startswith(b"export AWS_")
    loud = invoke_envgen([arg for arg in args if arg not in ("-q", "--quiet")], clean_env)
    assert loud.stderr.startswith(b"envgen: ")


def test_quiet_still_shows_errors_and_the_terminal_hint(
    creds_file: Path, clean_env: dict[str, str]
) -> None:
    message = assert_failed_cleanly(invoke_envgen(["-q", "import", "nowhere.json"], clean_env))
    assert message.startswith("nowhere.json: no such file")
    status, shown, stderr = run_with_terminal_stdout(
        ["import", str(creds_file), "--shell", "bash", "-q"], clean_env
    )
    assert (status, shown) == (0, "")
    assert stderr.startswith("envgen: not printing credentials to a terminal; ")
    assert "expire" not in stderr


def test_quiet_and_verbose_contradict(clean_env: dict[str, str]) -> None:
    result = invoke_envgen(["-q", "clear", "--shell", "bash", "-v"], clean_env)
    assert assert_failed_cleanly(result) == (
        "-q/--quiet and -v/--verbose contradict each other; give one of them"
    )
    assert result.returncode == 2
