"""envgen.sources.web_identity: AssumeRoleWithWebIdentity with a token from a file, the real
executable against a real STS endpoint over HTTP."""

from __future__ import annotations

from envgen_in_process import invoke_envgen
from sts_commands import (
    identity,
    issued,
    with_keys,
)
from sts_server import (
    StsServer,
    role_arn,
)


def test_web_identity_token_from_a_file(sts_env, sts: StsServer, tmp_path):
    token = tmp_path / "token"
    token.write_text("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOmV4YW1wbGUifQ.c2lnbmF0dXJl\n")
    result = invoke_envgen(
        [
            "web-identity",
            "--role-arn",
            role_arn("Deploy"),
            "--web-identity-token",
            f"file://{token}",
            "--role-session-name",
            "pipeline-7",
            "--format",
            "json",
        ],
        sts_env,
    )
    document = issued(result)
    assert sts.log.counts() == {"AssumeRoleWithWebIdentity": 1}
    assert identity(with_keys(sts_env, document))["Arn"].endswith(":assumed-role/Deploy/pipeline-7")
    assert b"eyJhbGciOiJSUzI1NiJ9" not in result.stderr
