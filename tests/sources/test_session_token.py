"""envgen.sources.session_token: long-term keys traded for a session token (with the MFA code a
profile asks for), temporary ones passed through, none at all named; the real executable against
a real STS endpoint over HTTP."""

from __future__ import annotations

import os

from envgen_in_process import invoke_envgen
from envgen_process import assert_failed_cleanly
from sts_commands import (
    MFA_DEVICE,
    issued,
    lifetime,
    write_config,
)
from sts_server import (
    BASE_ACCESS_KEY_ID,
    BASE_SECRET,
    StsServer,
    role_arn,
)


def test_long_term_keys_become_a_session_token(sts_env, sts: StsServer):
    result = invoke_envgen(["assume", "--format", "json"], sts_env)
    document = issued(result)
    assert sts.log.counts() == {"GetSessionToken": 1}
    assert document["AccessKeyId"] != BASE_ACCESS_KEY_ID
    assert BASE_SECRET.encode() not in result.stdout
    assert document["SessionToken"]
    assert 1800 - 120 < lifetime(document) <= 1800


def test_long_term_keys_with_mfa_serial_send_the_code(sts_env, sts: StsServer):
    write_config(sts_env, f"[default]\nmfa_serial = {MFA_DEVICE}\n")
    assert_failed_cleanly(invoke_envgen(["assume"], sts_env))
    assert sts.log.counts() == {}
    document = issued(
        invoke_envgen(["assume", "--token-code", "654321", "--format", "json"], sts_env)
    )
    assert sts.log.counts() == {"GetSessionToken": 1}
    assert document["SessionToken"]


def test_temporary_credentials_pass_through(sts_env, sts: StsServer):
    env = dict(
        sts_env,
        AWS_ACCESS_KEY_ID="ASIATEMPORARYKEY0001",
        AWS_SECRET_ACCESS_KEY="temporary/secret",
        AWS_SESSION_TOKEN="temporary+token==",
        AWS_CREDENTIAL_EXPIRATION="2099-01-01T00:00:00Z",
    )
    document = issued(invoke_envgen(["assume", "--format", "json"], env))
    assert sts.log.counts() == {}
    assert (document["AccessKeyId"], document["SessionToken"]) == (
        "ASIATEMPORARYKEY0001",
        "temporary+token==",
    )
    assert document["Expiration"] == "2099-01-01T00:00:00Z"


def test_missing_base_credentials_say_how_to_provide_them(sts_env, sts: StsServer):
    os.remove(sts_env["AWS_SHARED_CREDENTIALS_FILE"])
    message = assert_failed_cleanly(
        invoke_envgen(["assume", "--role-arn", role_arn("Dev")], sts_env)
    )
    assert "no AWS credentials" in message and "AWS_ACCESS_KEY_ID" in message
    unknown = assert_failed_cleanly(invoke_envgen(["assume", "nosuchprofile"], sts_env))
    assert "nosuchprofile" in unknown
    assert sts.log.counts() == {}
