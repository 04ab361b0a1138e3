"""scripts/test says on stderr what it is doing before each slow step of a first run."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import (
    REPOSITORY,
    require_program,
)

# Stands in for python3 and then for .venv's python: each says on stderr what it was asked to
# do, so the test sees where the script's own messages fall. `-m venv DIR` makes DIR/bin/python,
# or, as on Windows, DIR/Scripts/python.exe.
RECORDING_PYTHON = """#!/bin/sh
echo "python $*" >&2
if [ "$1 $2" = "-m venv" ]; then
    mkdir -p "$3/{directory}"
    cp "$0" "$3/{directory}/{program}"
fi
"""


@pytest.mark.parametrize(
    ("directory", "program"),
    [("bin", "python"), ("Scripts", "python.exe")],
    ids=["posix", "windows"],
)
def test_a_first_run_names_each_slow_step_before_it(
    directory: str, program: str, clean_env: dict[str, str], tmp_path: Path
) -> None:
    require_program("bash")
    clone = tmp_path / "clone"
    (clone / "scripts").mkdir(parents=True)
    shutil.copy2(REPOSITORY / "scripts" / "test", clone / "scripts" / "test")
    python = tmp_path / "python3"
    python.write_text(RECORDING_PYTHON.format(directory=directory, program=program))
    python.chmod(0o755)

    def run() -> list[str]:
        result = subprocess.run(
            ["bash", str(clone / "scripts" / "test"), "-x"],
            env={**clean_env, "PYTHON": str(python)},
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
        assert (result.returncode, result.stdout) == (0, ""), result.stderr
        return result.stderr.splitlines()

    assert run() == [
        f"scripts/test: creating .venv with {python}",
        "python -m venv .venv",
        "scripts/test: installing envgen and its test extras into .venv "
        "(a minute or two the first time)",
        "python -m pip install --quiet --disable-pip-version-check -e .[test]",
        "scripts/test: running pytest",
        "python -m pytest -n auto -x",
    ]
    assert run() == [
        "scripts/test: updating envgen and its test extras in .venv",
        "python -m pip install --quiet --disable-pip-version-check -e .[test]",
        "scripts/test: running pytest",
        "python -m pytest -n auto -x",
    ]
