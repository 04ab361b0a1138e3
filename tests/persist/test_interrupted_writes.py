"""A write interrupted halfway leaves no temporary file, and the next write sweeps a killed one's.

strace holds envgen inside the fsync of one temporary file (its `inject` delay, long enough
for a loaded machine to notice the file), so the signal arrives while that file exists; `-D` keeps envgen the direct child, so the pid we
signal is envgen's own.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import ENVGEN, require_program
from envgen_process import FUTURE, KEY_FLAGS, run_envgen

KEYS = [*KEY_FLAGS, "--expiration", FUTURE]
PERSIST = ["import", *KEYS, "--persist", "--shell", "bash"]
SAVE_PROFILE = ["import", *KEYS, "--save-profile", "work", "--shell", "bash"]


def _temporaries(home: Path) -> list[Path]:
    return [path for path in home.rglob("*") if path.name.endswith(".envgen-tmp")]


# Which fsync to hold: the startup file's temporary comes first, its directory's fsync
# second, the managed file's temporary third.
WRITES = {
    "startup file": (PERSIST, 1, ".bashrc"),
    "managed file": (PERSIST, 3, "persist.sh"),
    "credentials file": (SAVE_PROFILE, 1, "credentials"),
}


@pytest.mark.posix("strace and POSIX signals")
@pytest.mark.parametrize("write", list(WRITES))
# By name: Windows has no SIGHUP for the parameter list to name.
@pytest.mark.parametrize("signal_name", ["SIGINT", "SIGTERM", "SIGHUP"])
def test_no_temporary_file_outlives_a_signal(
    clean_env: dict[str, str], write: str, signal_name: str
) -> None:
    signal_number = getattr(signal, signal_name)
    strace = require_program("strace")
    args, fsync_number, name = WRITES[write]
    home = Path(clean_env["HOME"])
    process = subprocess.Popen(
        [
            strace,
            "-D",
            "-o",
            os.devnull,
            "-e",
            "trace=fsync",
            "-e",
            f"inject=fsync:delay_enter=8000000:when={fsync_number}",
            ENVGEN,
            *args,
        ],
        env=clean_env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        while not [path for path in _temporaries(home) if f".{name}." in path.name]:
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the temporary file never appeared"
            time.sleep(0.02)
        process.send_signal(signal_number)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode != 0, stderr
    assert stdout == b""
    assert b"Traceback" not in stderr
    assert _temporaries(home) == []


def _leftover(directory: Path, name: str, age_seconds: float, random: str = "k1ll3d_0") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f".{name}.{random}.envgen-tmp"
    path.write_text("secret from a killed run")
    then = time.time() - age_seconds
    os.utime(path, (then, then))
    return path


@pytest.mark.posix("symlinks and file owners as POSIX has them")
def test_the_next_write_removes_what_a_killed_run_left(clean_env: dict[str, str]) -> None:
    home = Path(clean_env["HOME"])
    managed = Path(clean_env["XDG_CONFIG_HOME"]) / "envgen"
    aws = home / ".aws"
    stale = [
        _leftover(home, ".bashrc", 3600),
        _leftover(managed, "persist.sh", 3600),
        _leftover(aws, "credentials", 3600),
    ]
    # Kept: a run that may still be writing, names envgen does not make, a link (whose
    # target is not envgen's to judge), and a leftover of another file.
    kept = [
        _leftover(home, ".bashrc", 5, random="4ct1v3_0"),
        _leftover(home, ".bashrc", 3600, random="toolong123"),
        _leftover(home, "bashrc", 3600),
        _leftover(home, ".zshrc", 3600),
    ]
    (home / "mine").write_text("mine")
    link = home / ".bashrc.l1nk3d_0.envgen-tmp"
    link.symlink_to(home / "mine")
    old = time.time() - 3600
    os.utime(link, (old, old), follow_symlinks=False)
    if os.geteuid() == 0:
        foreign = _leftover(home, ".bashrc", 3600, random="f0r31gn0")
        os.chown(foreign, 54321, 54321)
        kept.append(foreign)

    for args in (PERSIST, SAVE_PROFILE):
        result = run_envgen(args, clean_env)
        assert result.returncode == 0, result.stderr.decode()
    assert [path for path in stale if path.exists()] == []
    assert [path for path in kept if not path.exists()] == []
    assert link.is_symlink() and (home / "mine").read_text() == "mine"
