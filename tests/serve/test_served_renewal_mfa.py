"""MFA under `exec --serve`: a profile's role over long-term keys is renewed through an MFA
session, with no new code; a role named with --role-arn asks the terminal for a new code at each
renewal (the one given on the command line is spent), and with no terminal says so once and
serves what it has."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from conftest import ENVGEN, HARNESS
from envgen_process import run_envgen
from sts_server import StsServer, converse_on_terminal, role_arn

pytestmark = pytest.mark.posix("a pseudo-terminal")

SERIAL = "arn:aws:iam::123456789012:mfa/alice"


# The role named on the command line: its base credentials are whatever botocore finds.
ROLE_WITH_MFA = [
    "--role-arn",
    role_arn("Dev"),
    "--serial-number",
    SERIAL,
    "--duration-seconds",
    "900",
    "--token-code",
    "123456",
]


@pytest.fixture
def mfa_env(sts_env: dict[str, str]) -> dict[str, str]:
    config = Path(sts_env["AWS_CONFIG_FILE"])
    config.write_text(
        config.read_text() + f"[profile dev]\nrole_arn = {role_arn('Dev')}\n"
        f"source_profile = default\nmfa_serial = {SERIAL}\nduration_seconds = 900\n"
    )
    # 900 s credentials renewed 890 s before they expire: a renewal 10 s into the run.
    return dict(sts_env, ENVGEN_REFRESH_BEFORE="890")


def test_a_renewal_asks_the_terminal_for_a_new_code(mfa_env, sts: StsServer, tmp_path: Path):
    out = tmp_path / "seen.json"
    result, shown = converse_on_terminal(
        [
            "exec",
            *ROLE_WITH_MFA,
            "--serve",
            "--",
            sys.executable,
            str(HARNESS / "served_child.py"),
            str(out),
            "renewal",
        ],
        mfa_env,
        [(b"MFA code for " + SERIAL.encode() + b": ", b"654321\n")],
    )

    assert result.returncode == 0, result.stderr.decode()
    assert len(json.loads(out.read_text())["keys"]) == 2
    calls = sts.log.requests("AssumeRole")
    assert [(call.get("SerialNumber"), call.get("TokenCode")) for call in calls] == [
        (SERIAL, "123456"),
        (SERIAL, "654321"),
    ]
    assert b"654321" not in result.stderr


def test_without_a_terminal_the_renewal_fails_once_and_the_command_runs_on(mfa_env, sts: StsServer):
    result = run_envgen(["exec", *ROLE_WITH_MFA, "--serve", "--", "sleep", "13"], mfa_env)

    assert result.returncode == 0, result.stderr.decode()
    problems = [line for line in result.stderr.decode().splitlines() if "could not renew" in line]
    assert len(problems) == 1, result.stderr.decode()
    assert "cannot ask on the terminal (there is none, or the command holds it)" in problems[0]
    assert sts.log.counts()["AssumeRole"] == 1


def test_a_profiles_role_is_renewed_through_an_mfa_session_without_a_new_code(
    mfa_env, sts: StsServer, tmp_path: Path
):
    out = tmp_path / "seen.json"
    # No terminal: a renewal that asked for a code would fail.
    result = run_envgen(
        [
            "exec",
            "dev",
            "--token-code",
            "123456",
            "--serve",
            "--",
            sys.executable,
            str(HARNESS / "served_child.py"),
            str(out),
            "renewal",
        ],
        mfa_env,
    )

    assert result.returncode == 0, result.stderr.decode()
    seen = json.loads(out.read_text())
    assert len(seen["keys"]) == 2, result.stderr.decode()
    assert all(":assumed-role/Dev/" in arn for arn in seen["arns"])
    sessions = sts.log.requests("GetSessionToken")
    assert [(call.get("SerialNumber"), call.get("TokenCode")) for call in sessions] == [
        (SERIAL, "123456")
    ]
    roles = sts.log.requests("AssumeRole")
    assert [
        (call["RoleArn"], call.get("TokenCode"), call.get("DurationSeconds")) for call in roles
    ] == [(role_arn("Dev"), None, "900")] * 2
    assert "the MFA code opened a session until" in result.stderr.decode()


# Takes the terminal over as an interactive shell does (a process group of its own, in the
# foreground) for 14 s, then hands it back.
_HOLDS_THE_TERMINAL = (
    "import os, signal, time\n"
    "tty = os.open('/dev/tty', os.O_RDWR)\n"
    "signal.signal(signal.SIGTTOU, signal.SIG_IGN)\n"
    "envgens = os.tcgetpgrp(tty)\n"
    "os.setpgid(0, 0)\n"
    "os.tcsetpgrp(tty, os.getpgrp())\n"
    "os.write(tty, b'holding\\n')\n"
    "time.sleep(14)\n"
    "os.tcsetpgrp(tty, envgens)\n"
)

# A shell's part at its prompt: runs argv[1:] as a job in the foreground of the terminal (its
# own process group, whose parent is in the session: a job that reads the terminal from the
# background is stopped, not refused), and exits with its status.
_AS_A_JOB = (
    "import os, signal, sys\n"
    "tty = os.open('/dev/tty', os.O_RDWR)\n"
    "signal.signal(signal.SIGTTOU, signal.SIG_IGN)\n"
    "job = os.fork()\n"
    "if job == 0:\n"
    "    os.setpgid(0, 0)\n"
    "    os.tcsetpgrp(tty, os.getpgrp())\n"
    "    signal.signal(signal.SIGTTOU, signal.SIG_DFL)\n"
    "    os.execvp(sys.argv[1], sys.argv[1:])\n"
    "sys.exit(os.waitstatus_to_exitcode(os.waitpid(job, 0)[1]))\n"
)


def test_a_renewal_does_not_stop_envgen_while_the_command_holds_the_terminal(
    mfa_env, sts: StsServer
):
    # A stopped envgen would never end: the job's parent waits for it, and the test fails
    # when the conversation at the terminal times out.
    result, _shown = converse_on_terminal(
        ["exec", *ROLE_WITH_MFA, "--serve", "--", sys.executable, "-c", _HOLDS_THE_TERMINAL],
        mfa_env,
        [(b"holding", b"")],
        program=(sys.executable, "-c", _AS_A_JOB, ENVGEN),
    )

    assert result.returncode == 0, result.stderr.decode()
    problems = [line for line in result.stderr.decode().splitlines() if "could not renew" in line]
    assert len(problems) == 1, result.stderr.decode()
    assert "the command holds it" in problems[0]
