"""Shared test plumbing: where the envgen executable is, how a test asks for a real shell, and
the local STS fixtures every test directory may use.

The test directories mirror envgen's packages (cli, dialects, sources, persist); what several of
them share (the real-shell and terminal harness, the STS server) lives in tests/harness, which
pytest puts on sys.path."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parent.parent
HARNESS = REPOSITORY / "tests" / "harness"
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


# scripts/install-shells installs the AWS SDK for JavaScript's credential provider here, so
# tests can ask it which identity an environment gives.
JAVASCRIPT_SDK_PREFIX = Path("/usr/local/lib/envgen-test-node")


def require_javascript_sdk() -> Path:
    """The node_modules directory holding @aws-sdk/credential-provider-node; missing, it fails
    the test under CI and skips it elsewhere, as a missing shell does."""
    require_program("node")
    modules = JAVASCRIPT_SDK_PREFIX / "node_modules"
    if not (modules / "@aws-sdk" / "credential-provider-node").is_dir():
        message = (
            f"@aws-sdk/credential-provider-node is not in {modules} "
            "(scripts/install-shells installs it)"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return modules


# Imported here, once, so every test can ask for the local STS by fixture name.
from federation_server import federation, federation_server  # noqa: E402, F401
from sso_server import sso_env, sso_server  # noqa: E402, F401
from sts_server import sts, sts_env, sts_server  # noqa: E402, F401
