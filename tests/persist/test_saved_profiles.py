"""--save-profile and clear --profile against a real STS endpoint: what a new shell's AWS SDK
then makes of the saved profile."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import BIN_DIR
from envgen_in_process import invoke_envgen
from envgen_process import assert_failed_cleanly
from sts_server import (
    StsServer,
    role_arn,
)

# Assumes a role and saves it, with its region, as the profile `deploy`.
SAVE_DEPLOY_ROLE = [
    "assume",
    "--role-arn",
    role_arn("Deploy"),
    "--region",
    "ap-southeast-2",
    "--shell",
    "bash",
    "--save-profile",
    "deploy",
]


def new_shell_identity(env: dict[str, str], profile: str) -> dict[str, str]:
    """GetCallerIdentity and the region, from botocore in a process that only names the profile."""
    script = (
        "import botocore.session, json, sys\n"
        "s = botocore.session.Session(profile=sys.argv[1])\n"
        "c = s.create_client('sts')\n"
        "i = c.get_caller_identity()\n"
        "print(json.dumps({'Arn': i['Arn'], 'region': c.meta.region_name}))\n"
    )
    fresh = {k: v for k, v in env.items() if k not in ("AWS_REGION", "AWS_DEFAULT_REGION")}
    done = subprocess.run(
        [sys.executable, "-c", script, profile],
        env=fresh,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_saved_role_works_by_name_in_a_new_shell_and_clear_removes_it(sts_env, sts: StsServer):
    config = Path(sts_env["AWS_CONFIG_FILE"])
    credentials = Path(sts_env["AWS_SHARED_CREDENTIALS_FILE"])
    config_before, credentials_before = config.read_bytes(), credentials.read_bytes()
    result = invoke_envgen(SAVE_DEPLOY_ROLE, sts_env)
    assert result.returncode == 0, result.stderr.decode()
    assert sts.log.counts() == {"AssumeRole": 1}
    seen = new_shell_identity(sts_env, "deploy")
    assert ":assumed-role/Deploy/" in seen["Arn"]
    assert seen["region"] == "ap-southeast-2"
    result = invoke_envgen(["clear", "--shell", "bash", "--profile", "deploy"], sts_env)
    assert result.returncode == 0, result.stderr.decode()
    assert config.read_bytes() == config_before
    assert credentials.read_bytes() == credentials_before


def test_a_role_profile_is_refused_before_any_request(sts_env, sts: StsServer):
    config = Path(sts_env["AWS_CONFIG_FILE"])
    config.write_text(
        "[default]\nregion = eu-west-1\n\n"
        f"[profile admin]\nrole_arn = {role_arn('Admin')}\nsource_profile = default\n"
    )
    before = Path(sts_env["AWS_SHARED_CREDENTIALS_FILE"]).read_bytes()
    for args in (["assume", "admin"], ["assume", "--role-arn", role_arn("Dev")]):
        result = invoke_envgen([*args, "--shell", "bash", "--save-profile", "admin"], sts_env)
        assert "role_arn" in assert_failed_cleanly(result)
    assert sts.log.counts() == {}
    assert Path(sts_env["AWS_SHARED_CREDENTIALS_FILE"]).read_bytes() == before


def aws_cli() -> str:
    """The AWS CLI the test extra installs beside envgen."""
    path = BIN_DIR / "aws"
    if not path.exists():
        message = "the AWS CLI is not installed (pip install -e '.[test]' installs it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return str(path)


def test_the_aws_cli_uses_a_saved_profile_by_name_in_a_new_shell(sts_env, sts: StsServer):
    aws = aws_cli()
    result = invoke_envgen(SAVE_DEPLOY_ROLE, sts_env)
    assert result.returncode == 0, result.stderr.decode()
    fresh = {k: v for k, v in sts_env.items() if k not in ("AWS_REGION", "AWS_DEFAULT_REGION")}

    def aws_says(*args: str) -> str:
        done = subprocess.run(
            [aws, *args, "--profile", "deploy"],
            env=fresh,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    assert aws_says("configure", "get", "region") == "ap-southeast-2"
    identity = json.loads(aws_says("sts", "get-caller-identity", "--output", "json"))
    assert ":assumed-role/Deploy/" in identity["Arn"]
    assert (
        invoke_envgen(["clear", "--shell", "bash", "--profile", "deploy"], sts_env).returncode == 0
    )
    listed = subprocess.run(
        [aws, "configure", "list-profiles"], env=fresh, capture_output=True, text=True, timeout=120
    )
    assert "deploy" not in listed.stdout.split()
