"""The command under `exec --serve` owns envgen's exit: its status (128+n for a signal n) is
envgen's, signals sent to envgen reach it once, and the terminal's Ctrl-C reaches it once."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ENVGEN
from envgen_process import run_envgen
from sts_server import StsServer, converse_on_terminal, role_arn

pytestmark = pytest.mark.posix("a POSIX process model for the command and its signals")


@pytest.fixture
def dev_env(sts_env: dict[str, str]) -> dict[str, str]:
    config = Path(sts_env["AWS_CONFIG_FILE"])
    config.write_text(
        config.read_text()
        + f"[profile dev]\nrole_arn = {role_arn('Dev')}\nsource_profile = default\n"
    )
    return sts_env


@pytest.mark.parametrize(
    ("script", "status"),
    [("exit 7", 7), ("exit 0", 0), ("kill -KILL $$", 128 + 9), ("kill -TERM $$", 128 + 15)],
)
def test_envgen_exits_with_the_status_of_the_command(dev_env, sts: StsServer, script, status):
    result = run_envgen(["exec", "dev", "--serve", "--", "sh", "-c", script], dev_env)

    assert result.returncode == status, result.stderr.decode()
    assert result.stdout == b""


def test_a_command_that_cannot_run_is_one_error_line(dev_env, sts: StsServer):
    result = run_envgen(["exec", "dev", "--serve", "--", "no-such-command-here"], dev_env)

    assert result.returncode == 127
    assert result.stderr.decode().endswith(
        "envgen: error: no-such-command-here: command not found\n"
    )


# Says which signals it got, one line each, and exits 42 on SIGTERM.
_TRAPPING = (
    'trap "echo got-HUP" HUP; trap "echo got-INT" INT; trap "echo got-USR1" USR1; '
    'trap "exit 42" TERM; echo ready; while :; do sleep 0.05; done'
)


def _read_until(stream: int, wanted: bytes, seen: bytearray, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while wanted not in seen:
        left = deadline - time.monotonic()
        ready, _, _ = select.select([stream], [], [], max(left, 0))
        if not ready:
            raise AssertionError(f"never saw {wanted!r}: {bytes(seen)!r}")
        chunk = os.read(stream, 4096)
        if not chunk:
            raise AssertionError(f"ended before {wanted!r}: {bytes(seen)!r}")
        seen += chunk


def test_signals_sent_to_envgen_reach_the_command(dev_env, sts: StsServer):
    process = subprocess.Popen(
        [ENVGEN, "exec", "dev", "--serve", "-v", "--", "sh", "-c", _TRAPPING],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dev_env,
        start_new_session=True,
    )
    try:
        assert process.stdout is not None
        seen = bytearray()
        _read_until(process.stdout.fileno(), b"ready\n", seen)
        for name in ("HUP", "INT", "USR1"):
            process.send_signal(getattr(signal, f"SIG{name}"))
            _read_until(process.stdout.fileno(), f"got-{name}\n".encode(), seen)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 42
        seen += process.stdout.read()
        assert process.stderr is not None
        stderr = process.stderr.read().decode()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    # Each signal reached the command once.
    assert bytes(seen) == b"ready\ngot-HUP\ngot-INT\ngot-USR1\n"
    passed = [line for line in stderr.splitlines() if line.startswith("envgen: passed ")]
    assert passed == [
        f"envgen: passed SIG{name} on to the command" for name in ("HUP", "INT", "USR1", "TERM")
    ]


# At a terminal: says it is ready on the terminal, then takes the SIGINTs it gets in 3 s one by
# one, as they come, and prints who sent each: the kernel (0x80, the terminal's Ctrl-C) or a
# process's kill() (0).
_COUNTING = (
    "import signal, time\n"
    "signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})\n"
    "with open('/dev/tty', 'w') as tty:\n"
    "    tty.write('ready\\n')\n"
    "senders = []\n"
    "end = time.monotonic() + 3\n"
    "while (left := end - time.monotonic()) > 0:\n"
    "    info = signal.sigtimedwait({signal.SIGINT}, left)\n"
    "    if info is not None:\n"
    "        senders.append(info.si_code)\n"
    "print(senders)\n"
)


def test_the_terminals_ctrl_c_reaches_the_command_once(dev_env, sts: StsServer):
    result, _shown = converse_on_terminal(
        ["exec", "dev", "--serve", "-v", "--", sys.executable, "-c", _COUNTING],
        dev_env,
        [(b"ready", b"\x03")],
    )

    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout == b"[128]\n"
    # envgen got the Ctrl-C too, and knew the command had it already.
    assert "passed SIGINT" not in result.stderr.decode()
