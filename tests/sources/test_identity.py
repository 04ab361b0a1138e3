"""envgen.sources.identity: `envgen whoami` (GetCallerIdentity) and its warnings, the real
executable against a real STS endpoint over HTTP."""

from __future__ import annotations

import json
import subprocess

from conftest import require_program
from envgen_in_process import invoke_envgen
from sts_server import (
    BASE_ACCESS_KEY_ID,
    BASE_SECRET,
    StsServer,
    role_arn,
)


def test_whoami_plain_and_json(sts_env, sts: StsServer):
    plain = invoke_envgen(
        ["whoami"], dict(sts_env, AWS_CREDENTIAL_EXPIRATION="2099-01-01T00:00:00Z")
    )
    assert plain.returncode == 0, plain.stderr.decode()
    lines = plain.stdout.decode().splitlines()
    assert lines[0] == "Account: 123456789012"
    assert lines[1].startswith("Arn:     arn:aws:sts::123456789012:")
    assert lines[2].startswith("UserId:  ")
    assert lines[3].startswith("Credentials expire in ")
    as_json = json.loads(invoke_envgen(["whoami", "--json"], sts_env).stdout)
    assert set(as_json) == {"Account", "Arn", "UserId"}
    assert sts.log.counts() == {"GetCallerIdentity": 2}


def test_whoami_warns_when_the_credentials_in_effect_have_expired(sts_env, sts: StsServer):
    expired = dict(sts_env, AWS_CREDENTIAL_EXPIRATION="2001-02-03T04:05:06Z")
    result = invoke_envgen(["whoami", "--json"], expired)
    assert result.returncode == 0, result.stderr.decode()
    assert set(json.loads(result.stdout)) == {"Account", "Arn", "UserId"}
    warning = result.stderr.decode()
    assert warning.startswith("envgen: warning: the credentials in effect expired at 2001-02-0")
    assert warning.count("\n") == 1

    fresh = invoke_envgen(
        ["whoami"], dict(sts_env, AWS_CREDENTIAL_EXPIRATION="2099-01-01T00:00:00Z")
    )
    assert fresh.stderr == b""


def test_eval_in_bash_then_whoami_shows_the_role(sts_env):
    bash = require_program("bash")
    script = (
        f'eval "$(envgen assume --role-arn {role_arn("Deploy")} --shell bash)" || exit 9\n'
        "envgen whoami --json\n"
    )
    result = subprocess.run(
        [bash, "-c", script],
        capture_output=True,
        env=sts_env,
        timeout=60,
        start_new_session=True,
    )
    assert result.returncode == 0, result.stderr.decode()
    arn = json.loads(result.stdout)["Arn"]
    assert arn.startswith("arn:aws:sts::123456789012:assumed-role/Deploy/envgen-")


def test_verbose_whoami_names_the_provider_of_the_keys(sts_env, sts: StsServer):
    env = dict(sts_env, AWS_ACCESS_KEY_ID=BASE_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY=BASE_SECRET)
    result = invoke_envgen(["whoami", "-v"], env)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.decode().splitlines()
    assert "envgen: base credentials from botocore's 'env' provider" in lines
    assert f"envgen: STS endpoint {sts.url}, region eu-west-1" in lines
    from_file = invoke_envgen(["whoami", "--verbose"], sts_env)
    assert (
        "envgen: base credentials from botocore's 'shared-credentials-file' provider"
        in from_file.stderr.decode().splitlines()
    )
    assert BASE_SECRET not in result.stderr.decode() + from_file.stderr.decode()
