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
from typing import NoReturn

import pytest

REPOSITORY = Path(__file__).resolve().parent.parent
HARNESS = REPOSITORY / "tests" / "harness"
BIN_DIR = Path(sys.executable).parent
ENVGEN = str(BIN_DIR / ("envgen.exe" if os.name == "nt" else "envgen"))

# The shells only Windows has. Every other program a test asks for is installed on Linux by
# scripts/install-shells (or comes with the base system).
WINDOWS_SHELLS = frozenset({"cmd", "powershell", "pwsh"})

# What a CI run provides on macOS and Windows: the runner image plus what
# .github/workflows/ci.yml installs there (tests/test_ci_setup.py holds the two together).
CI_PROGRAMS = {
    "darwin": frozenset(
        "bash zsh dash ksh fish tcsh csh elvish xonsh nu mksh yash node ps pwsh".split()
    ),
    "win32": WINDOWS_SHELLS | {"bash"},
}


def installed_by_ci(name: str, platform: str) -> bool:
    """Whether a CI run on `platform` (a sys.platform value) provides the program `name`.

    Under CI a missing program fails the tests that need it where CI installs it, so a broken
    install step cannot pass as skipped tests, and skips them where CI cannot have it (fish on
    Windows, cmd on Linux)."""
    if platform.startswith("linux"):
        return name not in WINDOWS_SHELLS
    return name in CI_PROGRAMS.get(platform, frozenset())


def missing(what: str, provided_by_ci: bool) -> NoReturn:
    """Fail (under CI, where CI provides `what`) or skip a test that needs something absent."""
    if not provided_by_ci:
        message = f"{what} (nor is it in CI on {sys.platform})"
    elif sys.platform.startswith("linux"):
        message = f"{what} (scripts/install-shells installs it)"
    else:
        message = f"{what} (.github/workflows/ci.yml installs it on {sys.platform})"
    if os.environ.get("CI") and provided_by_ci:
        pytest.fail(message)
    pytest.skip(message)


def require_program(name: str) -> str:
    """The path of `name`; when it is missing, see `missing`."""
    path = shutil.which(name)
    if path is None:
        missing(f"{name} is not installed", installed_by_ci(name, sys.platform))
    return path


def posix_only(needs: str) -> None:
    """Skip the calling test on Windows, which lacks what it needs (a pseudo-terminal, ...)."""
    if os.name == "nt":
        pytest.skip(f"POSIX only: needs {needs}")


def pytest_configure(config: pytest.Config) -> None:
    # Some tests run envgen as other local users (setpriv) to prove what another user can and
    # cannot read. Run as root, a checkout made in a private place (a 0700 mktemp directory,
    # /root) is closed to them: open the checkout for reading, as its files already are
    # (Python lists it to import envgen), and every directory above it for traversal only.
    # Once, in the process that starts the workers.
    if hasattr(config, "workerinput") or not hasattr(os, "geteuid") or os.geteuid() != 0:
        return
    if shutil.which("setpriv") is None:
        return
    for directory, bits in [(REPOSITORY, 0o005), *((up, 0o001) for up in REPOSITORY.parents)]:
        mode = directory.stat().st_mode
        if mode & bits != bits:
            directory.chmod((mode | bits) & 0o7777)


def pytest_runtest_setup(item: pytest.Item) -> None:
    # @pytest.mark.posix("what it needs"): a test of something only POSIX systems have.
    marker = item.get_closest_marker("posix")
    if marker is not None:
        posix_only(marker.args[0])


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
    if os.name == "nt":
        # Python, botocore and the SDKs find the home directory by USERPROFILE on Windows.
        env["USERPROFILE"] = str(home)
    return env


@pytest.fixture
def creds_file(tmp_path: Path) -> Path:
    """A file as `aws sts assume-role` writes it, for `envgen import`."""
    from envgen_process import sts_document

    path = tmp_path / "creds.json"
    path.write_text(sts_document())
    return path


# scripts/install-shells installs the AWS SDK for JavaScript's credential provider here, so
# tests can ask it which identity an environment gives.
JAVASCRIPT_SDK_PREFIX = Path("/usr/local/lib/envgen-test-node")


def require_javascript_sdk() -> Path:
    """The node_modules directory holding @aws-sdk/credential-provider-node; missing, it fails
    the test under CI and skips it elsewhere, as a missing shell does."""
    require_program("node")
    modules = JAVASCRIPT_SDK_PREFIX / "node_modules"
    if not (modules / "@aws-sdk" / "credential-provider-node").is_dir():
        missing(
            f"@aws-sdk/credential-provider-node is not in {modules}",
            sys.platform.startswith("linux"),
        )
    return modules


# Imported here, once, so every test can ask for the local STS by fixture name.
from federation_server import federation, federation_server  # noqa: E402, F401
from sso_server import sso_env, sso_server  # noqa: E402, F401
from sts_server import sts, sts_env, sts_server  # noqa: E402, F401
