"""Shared test plumbing: where the envgen executable is, and how a test asks for a real shell."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

BIN_DIR = Path(sys.executable).parent
ENVGEN = str(BIN_DIR / "envgen")


def require_program(name: str) -> str:
    """The path of `name`; a missing program fails the test under CI and skips it elsewhere."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (scripts/install-shells installs every shell)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture
def clean_env(tmp_path: Path) -> dict[str, str]:
    """An environment for child processes: envgen on PATH, a private HOME, no AWS or envgen state."""
    home = tmp_path / "home"
    home.mkdir()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "ENVGEN_")) and key not in ("SHELL", "ENV", "ZDOTDIR")
    }
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        PATH=f"{BIN_DIR}{os.pathsep}{os.environ.get('PATH', '')}",
        LANG="C.UTF-8",
        LC_ALL="C.UTF-8",
        AWS_CONFIG_FILE=str(home / ".aws" / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / ".aws" / "credentials"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    return env
