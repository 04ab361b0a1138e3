"""Running the installed envgen executable as a user would, with its streams kept apart."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

from conftest import ENVGEN, posix_only

SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYzSECRETKEY"
TOKEN = "IQoJb3JpZ2luX2VjEXAMPLE/SESSION+TOKEN//////////wEaCXVzLWVhc3QtMSJHMEUCIQ=="
ACCESS_KEY_ID = "ASIAEXAMPLEKEYID0001"
FUTURE = "2099-01-31T12:00:00Z"
# The example credentials as `envgen import` takes them from its flags.
KEY_FLAGS = [
    "--access-key-id",
    ACCESS_KEY_ID,
    "--secret-access-key",
    SECRET,
    "--session-token",
    TOKEN,
]


def run_envgen(
    args: Sequence[str],
    env: dict[str, str],
    *,
    stdin: str | bytes | None = None,
    cwd: Path | None = None,
    executable: str = ENVGEN,
    timeout: float = 60,
) -> subprocess.CompletedProcess[bytes]:
    """envgen's exit status and raw stdout/stderr bytes; stdin is empty unless given.

    envgen runs in a session of its own, without a controlling terminal, as in CI: run
    from a terminal, a test must not stop at a question envgen asks there."""
    data = stdin.encode() if isinstance(stdin, str) else stdin
    return subprocess.run(
        [executable, *args],
        input=data if data is not None else b"",
        capture_output=True,
        env=env,
        cwd=cwd,
        timeout=timeout,
        start_new_session=True,
    )


def sts_document(**credentials: object) -> str:
    """The shape `aws sts assume-role` prints."""
    fields: dict[str, object] = {
        "AccessKeyId": ACCESS_KEY_ID,
        "SecretAccessKey": SECRET,
        "SessionToken": TOKEN,
        "Expiration": FUTURE,
    }
    fields.update(credentials)
    document = {
        "Credentials": {k: v for k, v in fields.items() if v is not None},
        "AssumedRoleUser": {
            "AssumedRoleId": "AROAEXAMPLE:session",
            "Arn": "arn:aws:sts::123456789012:assumed-role/Role/session",
        },
    }
    return json.dumps(document, indent=4)


def assert_failed_cleanly(result: subprocess.CompletedProcess[bytes], *secrets: str) -> str:
    """A failure as the user must see it: non-zero, nothing on stdout, one error line, no secret."""
    stderr = result.stderr.decode()
    assert result.returncode != 0, stderr
    assert result.stdout == b"", result.stdout
    assert stderr.endswith("\n") and stderr.count("\n") == 1, stderr
    assert stderr.startswith("envgen: error: "), stderr
    assert "Traceback" not in stderr
    for secret in (SECRET, TOKEN, *secrets):
        assert secret not in stderr
    return stderr[len("envgen: error: ") : -1]


def run_on_a_terminal(
    argv: Sequence[str], env: dict[str, str], cwd: Path | None = None
) -> tuple[int, str, str]:
    """Exit status, what reached the terminal, and stderr, with stdout on a pseudo-terminal.

    stdin is empty and stderr a pipe, so only stdout looks interactive; the
    terminal's CR LF line ends are read back as LF.
    """
    posix_only("a pseudo-terminal")
    controller, terminal = os.openpty()
    try:
        process = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=terminal,
            stderr=subprocess.PIPE,
            env=env,
            cwd=cwd,
        )
        os.close(terminal)
        terminal = -1
        stderr = process.communicate(timeout=120)[1]
        shown = b""
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # EIO once the last writer has gone
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(controller)
        if terminal != -1:
            os.close(terminal)
    return process.returncode, shown.decode().replace("\r\n", "\n"), stderr.decode()


# Runs argv[2:] as the leader of a new session whose controlling terminal is argv[1], with
# that terminal as stdin, stdout and stderr: what a user's interactive shell gives a command.
_AT_TERMINAL = (
    "import os, sys; os.setsid(); fd = os.open(sys.argv[1], os.O_RDWR); "
    "[os.dup2(fd, n) for n in (0, 1, 2)]; os.close(fd); os.execvp(sys.argv[2], sys.argv[2:])"
)


def run_at_a_terminal(
    argv: Sequence[str],
    env: dict[str, str],
    *,
    answers: Sequence[tuple[bytes, bytes]] = (),
    cwd: Path | None = None,
    timeout: float = 60,
) -> tuple[int, str]:
    """Exit status and everything the terminal showed, for a command run as a person at a
    terminal runs it (all three streams and the controlling terminal are one pty).

    Each (prompt, answer) is typed once, when the prompt has shown; the run is killed
    after `timeout` seconds, so a question nobody answers fails the test, never hangs it.
    """
    posix_only("a pseudo-terminal")
    import select
    import sys
    import time

    controller, terminal = os.openpty()
    process = subprocess.Popen(
        [sys.executable, "-c", _AT_TERMINAL, os.ttyname(terminal), *argv],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=cwd,
    )
    pending = list(answers)
    shown = b""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([controller], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(controller, 65536)
                except OSError:  # EIO: every holder of the terminal has gone
                    chunk = b""
                shown += chunk
            if pending and pending[0][0] in shown:
                os.write(controller, pending.pop(0)[1] + b"\n")
            if process.poll() is not None and not ready:
                break
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        os.close(controller)
        os.close(terminal)
    return process.returncode, shown.decode(errors="replace").replace("\r\n", "\n")
