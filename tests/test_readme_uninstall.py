"""The README's uninstall steps, run as written in bash, leave a home as it was before envgen.

What envgen can leave behind, made the way a user makes it (--persist, --save-profile,
completion), then the README's block: afterwards every file is back byte for byte and no new
file remains. Uninstalling the program itself is the block's last line, left out here: the
install test covers pipx, and this test's envgen is the one under test.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from conftest import (
    REPOSITORY,
    require_program,
)
from envgen_process import sts_document

pytestmark = pytest.mark.posix("the README's uninstall steps for POSIX shells")


def uninstall_block() -> list[str]:
    readme = (REPOSITORY / "README.md").read_text()
    section = re.search(r"(?ms)^## Uninstall\n.*?(?=^## )", readme)
    assert section is not None, "the README has no uninstall section"
    block = re.search(r"(?m)^\n((?:    .*\n)+)", section.group(0))
    assert block is not None, "the uninstall section has no commands"
    return [line[4:] for line in block.group(1).splitlines()]


def files_under(home: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(home)): path.read_bytes()
        for path in sorted(home.rglob("*"))
        if path.is_file() or path.is_symlink()
    }


def run_in_bash(script: str, env: dict[str, str], cwd: Path) -> None:
    result = subprocess.run(
        ["bash", "-c", "set -e\n" + script],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    assert result.returncode == 0, result.stderr


def test_the_uninstall_steps_leave_the_home_as_it_was(
    clean_env: dict[str, str], tmp_path: Path
) -> None:
    require_program("bash")
    home = Path(clean_env["HOME"])
    (home / ".bashrc").write_text("# my settings\nalias ll='ls -l'\n")
    (home / ".aws").mkdir()
    (home / ".aws" / "config").write_text("[default]\nregion = eu-west-1\n")
    (home / ".aws" / "credentials").write_text(
        "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
    )
    before = files_under(home)
    work = tmp_path / "work"
    work.mkdir()
    (work / "creds.json").write_text(sts_document())
    env = {**clean_env, "SHELL": "/bin/bash"}

    run_in_bash(
        'eval "$(envgen import creds.json --region eu-west-1 --persist)"\n'
        'eval "$(envgen import creds.json --region eu-west-1 --save-profile temp)"\n'
        "envgen completion install\n",
        env,
        work,
    )
    made = files_under(home)
    assert made != before
    assert (home / ".aws" / "credentials").read_text().count("[temp]") == 1

    commands = uninstall_block()
    assert commands[-1].startswith("pipx uninstall envgen"), commands
    run_in_bash("\n".join(commands[:-1]).replace("NAME", "temp"), env, work)
    assert files_under(home) == before
