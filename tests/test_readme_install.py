"""The README's install commands, run as written, give a working envgen.

The README leads with an install that works on a fresh machine whose system Python refuses
`pip install` (PEP 668): pipx. Each block runs verbatim in bash with a private HOME, so `~` and
pipx's directories land in the test's temporary directory.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import envgen
from conftest import (
    REPOSITORY,
    require_program,
)

pytestmark = pytest.mark.posix("the README's POSIX install steps and a bin/ virtual environment")


def readme_blocks() -> list[str]:
    """The README's code blocks written by indenting four spaces, without the indent."""
    text = (REPOSITORY / "README.md").read_text()
    return [
        re.sub(r"(?m)^    ", "", block) for block in re.findall(r"(?m)^\n((?:    .*\n)+)", text)
    ]


def run_block(block: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", block],
        env=env,
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=900,
        stdin=subprocess.DEVNULL,
    )


def command_directory(tmp_path: Path, **commands: Path) -> Path:
    """A directory for PATH holding just the named commands."""
    directory = tmp_path / "commands"
    directory.mkdir()
    for name, target in commands.items():
        (directory / name).symlink_to(target)
    return directory


def assert_envgen_version_printed(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, result.stdout + result.stderr
    last = result.stdout.splitlines()[-1]
    assert re.fullmatch(
        rf"envgen {re.escape(envgen.__version__)} \(Python 3\.\d+\.\d+\S*, botocore \d+\.\d+\.\d+\)",
        last,
    ), last


def test_the_first_block_installs_with_pipx_and_runs_envgen(
    clean_env: dict[str, str], tmp_path: Path
) -> None:
    require_program("bash")
    first = readme_blocks()[0]
    assert first.splitlines()[0].split("#")[0].split() == ["pipx", "install", "."], first
    # pipx (from the test extras) and the system's commands; then where pipx puts envgen.
    commands = command_directory(tmp_path, pipx=Path(sys.executable).parent / "pipx")
    bin_dir = tmp_path / "pipx-bin"
    env = {
        **clean_env,
        "PIPX_HOME": str(tmp_path / "pipx"),
        "PIPX_BIN_DIR": str(bin_dir),
        "PIPX_MAN_DIR": str(tmp_path / "pipx-man"),
        "PATH": f"{commands}:{bin_dir}:/usr/bin:/bin",
    }
    result = run_block(first, env)
    assert_envgen_version_printed(result)
    assert (bin_dir / "envgen").is_symlink()


def test_the_virtual_environment_block_installs_a_working_envgen(
    clean_env: dict[str, str], tmp_path: Path
) -> None:
    require_program("bash")
    venv_block = next(block for block in readme_blocks() if " -m venv " in block)
    # python3 is the interpreter beneath these tests' .venv, with none of its packages.
    commands = command_directory(tmp_path, python3=Path(sys._base_executable))
    env = {**clean_env, "PATH": f"{commands}:/usr/bin:/bin"}
    result = run_block(venv_block, env)
    assert_envgen_version_printed(result)
    assert (Path(clean_env["HOME"]) / ".venvs" / "envgen" / "bin" / "envgen").exists()
