"""At a terminal, without one of the idioms that apply envgen's output, nothing is asked or
spent: envgen is run as a person at an interactive terminal runs it (stdin, stdout and stderr
the pty that is also its controlling terminal) against the real STS endpoint on loopback."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from envgen_process import run_at_a_terminal
from sts_server import (
    ENVGEN,
    StsServer,
    provider_arn,
    role_arn,
    saml_assertion,
)

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="controlling terminals are set up the Linux way"
)

MFA_DEVICE = "arn:aws:iam::123456789012:mfa/alice"

# A user whose role needs an MFA code, and one whose long-term keys need one for a session token.
MFA_CONFIG = f"""\
[default]
region = eu-west-1

[profile mfauser]
role_arn = {role_arn("Prod")}
source_profile = default
mfa_serial = {MFA_DEVICE}

[profile mfakeys]
mfa_serial = {MFA_DEVICE}
"""

# Were a question asked anyway, it is answered, so the run goes on to spend what the test
# says must not be spent, rather than hang.
ANSWERS = [(b"MFA code for", b"123456"), (b"]: ", b"1")]


def cache_directory(env: dict[str, str]) -> Path:
    return Path(env["HOME"]) / ".aws" / "cli" / "cache"


@pytest.mark.parametrize(
    "args",
    [
        ["assume", "mfauser"],
        ["assume", "mfakeys"],
        ["assume", "--role-arn", role_arn("Dev"), "--serial-number", MFA_DEVICE],
        ["assume", "mfauser", "--format", "json"],
        ["assume", "mfauser", "--save-profile", "temp"],
        [
            "saml",
            "--saml-assertion",
            saml_assertion(
                [(role_arn("Admin"), provider_arn("corp")), (role_arn("Dev"), provider_arn("corp"))]
            ),
        ],
    ],
    ids=["role-with-mfa", "session-token-with-mfa", "role-arn", "json", "save-profile", "saml"],
)
def test_at_a_terminal_nothing_is_asked_or_spent(args, sts_env, sts: StsServer):
    Path(sts_env["AWS_CONFIG_FILE"]).write_text(MFA_CONFIG)
    credentials_before = Path(sts_env["AWS_SHARED_CREDENTIALS_FILE"]).read_bytes()
    env = sts_env
    status, shown = run_at_a_terminal(
        [ENVGEN, *args, "--shell", "bash"], env, answers=ANSWERS, timeout=30
    )
    assert "MFA code" not in shown and "]: " not in shown, shown
    assert sts.log.counts() == {}
    assert not cache_directory(env).exists()
    assert Path(sts_env["AWS_SHARED_CREDENTIALS_FILE"]).read_bytes() == credentials_before
    assert status == 0, shown
    [line] = shown.splitlines()
    assert line.startswith("envgen: not printing credentials to a terminal; ")
    assert line.endswith("   (or add --show-secrets to print them here)")


def test_at_a_terminal_the_hint_gives_the_command_to_run(sts_env, sts: StsServer):
    Path(sts_env["AWS_CONFIG_FILE"]).write_text(MFA_CONFIG)
    status, shown = run_at_a_terminal(
        [ENVGEN, "assume", "mfauser", "--shell", "fish"], sts_env, answers=ANSWERS
    )
    assert (status, sts.log.counts()) == (0, {})
    assert shown == (
        "envgen: not printing credentials to a terminal; apply them in fish with: "
        "envgen assume mfauser --shell fish | source   (or add --show-secrets to print them "
        "here)\n"
    )


def test_show_secrets_at_a_terminal_asks_and_prints(sts_env, sts: StsServer):
    Path(sts_env["AWS_CONFIG_FILE"]).write_text(MFA_CONFIG)
    status, shown = run_at_a_terminal(
        [ENVGEN, "assume", "mfauser", "--show-secrets", "--shell", "bash"],
        sts_env,
        answers=ANSWERS,
    )
    assert status == 0, shown
    assert f"envgen: MFA code for {MFA_DEVICE}: " in shown
    assert "export AWS_SECRET_ACCESS_KEY=" in shown
    assert sts.log.counts() == {"AssumeRole": 1}


def test_web_identity_at_a_terminal_reads_no_token_and_calls_nothing(
    sts_env, sts: StsServer, tmp_path: Path
):
    status, shown = run_at_a_terminal(
        [
            ENVGEN,
            "web-identity",
            "--role-arn",
            role_arn("Ci"),
            "--web-identity-token",
            "-",
            "--shell",
            "bash",
        ],
        sts_env,
        answers=[(b"", b"eyJhbGciOiJSUzI1NiJ9.e30.c2ln")],
        timeout=30,
    )
    assert (status, sts.log.counts()) == (0, {})
    assert "envgen: not printing credentials to a terminal; apply them in bash" in shown
