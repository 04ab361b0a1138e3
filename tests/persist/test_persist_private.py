"""What --persist leaves on disk is private: another local user can read none of the secrets.

Run as root, each test plays two unprivileged users through setpriv: the owner runs envgen
and the shell in a HOME of their own, and a second user then tries to read what was kept.
Run as an ordinary user, the owner is that user, and the second user's view is the one the
permission bits give.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import ENVGEN, require_program
from envgen_process import KEY_FLAGS, SECRET

OWNER_ID = 54321
OTHER_ID = 54322
pytestmark = pytest.mark.posix("setpriv, umasks and file modes")

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def as_user(user_id: int, argv: list[str]) -> list[str]:
    if not IS_ROOT:
        return argv
    setpriv = require_program("setpriv")
    return [setpriv, f"--reuid={user_id}", f"--regid={user_id}", "--clear-groups", *argv]


def others_can_read(path: Path) -> bool:
    """Whether a second, unprivileged user can open `path` for reading."""
    if IS_ROOT:
        done = subprocess.run(
            as_user(OTHER_ID, ["cat", "--", str(path)]), capture_output=True, timeout=30
        )
        return done.returncode == 0
    # Without root: readable by others, and reachable through every directory above it.
    if not os.stat(path).st_mode & stat.S_IROTH:
        return False
    return all(os.stat(parent).st_mode & stat.S_IXOTH for parent in path.parents)


@pytest.fixture
def owner_home(clean_env: dict[str, str]) -> Iterator[tuple[Path, dict[str, str]]]:
    """A HOME the owner owns, 0755 like most homes, outside root's private pytest directory."""
    home = Path(tempfile.mkdtemp(prefix="envgen-home-"))
    try:
        home.chmod(0o755)
        if IS_ROOT:
            os.chown(home, OWNER_ID, OWNER_ID)
        env = {
            **clean_env,
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "AWS_CONFIG_FILE": str(home / ".aws" / "config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(home / ".aws" / "credentials"),
        }
        yield home, env
    finally:
        shutil.rmtree(home, ignore_errors=True)


def run_as_owner(
    argv: list[str], env: dict[str, str], umask: int = 0o022, stdin: bytes = b""
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        as_user(OWNER_ID, argv),
        input=stdin,
        capture_output=True,
        env=env,
        timeout=120,
        cwd=env["HOME"],
        preexec_fn=lambda: os.umask(umask),
    )


PERSIST = [
    "import",
    *KEY_FLAGS,
    "--persist",
]


@pytest.mark.shell("fish")
@pytest.mark.parametrize("umask", [0o022, 0o000], ids=["umask-022", "umask-000"])
@pytest.mark.parametrize("layout", ["directory made by the user", "file already there"])
def test_fish_universal_variables_stay_private(owner_home, umask: int, layout: str) -> None:
    fish = require_program("fish")
    home, env = owner_home
    fish_directory = home / ".config" / "fish"
    # Made by the user (or a dotfiles tool) rather than by fish: readable by all.
    made = run_as_owner(
        ["mkdir", "-p", "-m", "755", str(home / ".config"), str(fish_directory)], env
    )
    assert made.returncode == 0, made.stderr
    if layout == "file already there":
        seeded = run_as_owner([fish, "-c", "set -Ux ENVGEN_TEST_KEEP kept"], env, umask)
        assert seeded.returncode == 0, seeded.stderr
    output = run_as_owner([ENVGEN, *PERSIST, "--shell", "fish"], env, umask)
    assert output.returncode == 0, output.stderr
    applied = run_as_owner([fish, "-c", "source"], env, umask, stdin=output.stdout)
    assert applied.returncode == 0, applied.stderr
    # A second run rewrites the file: fish's temporary file and rename keep it private.
    applied = run_as_owner([fish, "-c", "source"], env, umask, stdin=output.stdout)
    assert applied.returncode == 0, applied.stderr

    variables = fish_directory / "fish_variables"
    assert b"SETUVAR --export AWS_SECRET_ACCESS_KEY:" in variables.read_bytes()
    assert not others_can_read(variables)
    assert stat.S_IMODE(variables.stat().st_mode) == 0o600
    assert stat.S_IMODE(fish_directory.stat().st_mode) == 0o700
    seen = run_as_owner([fish, "-c", "echo $AWS_SECRET_ACCESS_KEY; echo $ENVGEN_TEST_KEEP"], env)
    assert seen.stdout.decode().splitlines()[0] == SECRET


@pytest.mark.parametrize("umask", [0o022, 0o000], ids=["umask-022", "umask-000"])
@pytest.mark.parametrize(
    ("shell", "startup"),
    [("bash", ".bashrc"), ("elvish", ".config/elvish/rc.elv"), ("nu", ".config/nushell/config.nu")],
)
def test_files_and_directories_persist_creates_are_private(
    clean_env: dict[str, str], umask: int, shell: str, startup: str
) -> None:
    home = Path(clean_env["HOME"])
    result = subprocess.run(
        [ENVGEN, *PERSIST, "--shell", shell],
        env=clean_env,
        capture_output=True,
        timeout=60,
        preexec_fn=lambda: os.umask(umask),
    )
    assert result.returncode == 0, result.stderr
    created = sorted(home.rglob("*"))
    assert home / startup in created and home / ".config" / "envgen" in created
    for path in created:
        expected = 0o700 if path.is_dir() else 0o600
        assert stat.S_IMODE(path.stat().st_mode) == expected, path
