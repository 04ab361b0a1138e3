"""envgen.sources.role: AssumeRole for a profile's role (source_profile chains, MFA, the shared
cache) and for --role-arn, run as the real executable against a real STS endpoint over HTTP
(moto's server on loopback, reached through AWS_ENDPOINT_URL_STS)."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

from dotenv import dotenv_values

from envgen_in_process import invoke_envgen
from envgen_process import assert_failed_cleanly
from sts_commands import (
    CHAIN_CONFIG,
    MFA_DEVICE,
    OTHER_ACCOUNT,
    cache_key,
    cached_keys,
    identity,
    issued,
    lifetime,
    on_linux,
    with_keys,
    write_config,
)
from sts_server import (
    BASE_SECRET,
    StsServer,
    role_arn,
    run_envgen_on_terminal,
)


def test_assume_role_arn_exports_the_roles_credentials(sts_env, sts: StsServer):
    env = dict(sts_env, LOGNAME="dana.o'neil")
    result = invoke_envgen(["assume", "--role-arn", role_arn("Dev"), "--format", "json"], env)
    document = issued(result)
    assert sts.log.counts() == {"AssumeRole": 1}
    assert document["AccessKeyId"].startswith("ASIA")
    assert BASE_SECRET not in result.stdout.decode()
    # The procedure's recommended 30 minutes, unless asked otherwise.
    assert 1800 - 120 < lifetime(document) <= 1800
    who = identity(with_keys(env, document))
    # A session name from the login name, with what STS does not accept replaced.
    assert who["Arn"] == "arn:aws:sts::123456789012:assumed-role/Dev/envgen-dana.o-neil"
    assert b"credentials for " + role_arn("Dev").encode() in result.stderr

    # Cached under the key botocore computes for a profile with these settings.
    assert cached_keys(env) == {
        cache_key(
            {
                "RoleArn": role_arn("Dev"),
                "RoleSessionName": "envgen-dana.o-neil",
                "DurationSeconds": 1800,
            }
        )
    }
    sts.log.reset()
    assert (
        issued(invoke_envgen(["assume", "--role-arn", role_arn("Dev"), "--format", "json"], env))
        == document
    )
    assert sts.log.counts() == {}


def test_assume_role_arn_honours_session_name_duration_and_region(sts_env):
    result = invoke_envgen(
        [
            "assume",
            "--role-arn",
            role_arn("Dev"),
            "--role-session-name",
            "ci.build@42",
            "--duration-seconds",
            "3600",
            "--region",
            "ap-south-1",
            "--format",
            "dotenv",
        ],
        sts_env,
    )
    assert result.returncode == 0, result.stderr.decode()
    values = dotenv_values(stream=io.StringIO(result.stdout.decode()))
    assert values["AWS_REGION"] == values["AWS_DEFAULT_REGION"] == "ap-south-1"
    expiry = datetime.fromisoformat(values["AWS_CREDENTIAL_EXPIRATION"].replace("Z", "+00:00"))
    assert 3600 - 120 < (expiry - datetime.now(timezone.utc)).total_seconds() <= 3600
    who = identity(
        with_keys(
            sts_env,
            {
                "AccessKeyId": values["AWS_ACCESS_KEY_ID"],
                "SecretAccessKey": values["AWS_SECRET_ACCESS_KEY"],
                "SessionToken": values["AWS_SESSION_TOKEN"],
            },
        )
    )
    assert who["Arn"].endswith(":assumed-role/Dev/ci.build@42")


def test_profile_chain_two_levels_then_served_from_the_shared_cache(sts_env, sts: StsServer):
    write_config(sts_env, CHAIN_CONFIG)
    first = issued(
        invoke_envgen(["assume", "prod", "--token-code", "123456", "--format", "json"], sts_env)
    )
    # default's keys assume hop, hop's credentials assume prod.
    assert sts.log.counts() == {"AssumeRole": 2}
    who = identity(with_keys(sts_env, first))
    assert who["Arn"].startswith(f"arn:aws:sts::{OTHER_ACCOUNT}:assumed-role/Prod/")
    assert who["Account"] == OTHER_ACCOUNT

    # botocore's own cache keys, in the AWS CLI's directory: the SHA-1 of the AssumeRole
    # arguments the profile implies (a generated session name is left out).
    assert cached_keys(sts_env) == {
        cache_key({"RoleArn": role_arn("Hop")}),
        cache_key({"RoleArn": role_arn("Prod", OTHER_ACCOUNT), "SerialNumber": MFA_DEVICE}),
    }

    sts.log.reset()
    # No token code and no terminal: a second run that needed MFA would fail.
    second_run = invoke_envgen(["assume", "prod", "--format", "json"], sts_env)
    second = issued(second_run)
    assert sts.log.counts() == {}
    assert second == first
    assert b"credentials for " + role_arn("Prod", OTHER_ACCOUNT).encode() in second_run.stderr


def test_aws_profile_names_the_profile_and_its_region_is_exported(sts_env, sts: StsServer):
    write_config(sts_env, CHAIN_CONFIG)
    # AWS_PROFILE names the profile to assume even beside keys in the environment.
    env = dict(
        sts_env,
        AWS_PROFILE="prod",
        AWS_ACCESS_KEY_ID="AKIAENVIRONMENTKEY01",
        AWS_SECRET_ACCESS_KEY="environment/secret",
    )
    result = invoke_envgen(["assume", "--token-code", "123456", "--format", "dotenv"], env)
    assert result.returncode == 0, result.stderr.decode()
    assert sts.log.counts() == {"AssumeRole": 2}
    lines = result.stdout.decode().splitlines()
    assert "AWS_REGION='eu-central-1'" in lines
    assert "AWS_DEFAULT_REGION='eu-central-1'" in lines
    assert not any("AKIAENVIRONMENTKEY01" in line for line in lines)


def test_mfa_without_a_terminal_names_token_code(sts_env, sts: StsServer):
    write_config(sts_env, CHAIN_CONFIG)
    message = assert_failed_cleanly(invoke_envgen(["assume", "prod"], sts_env))
    assert "--token-code" in message and MFA_DEVICE in message
    assert sts.log.counts() == {}


def test_expired_cache_entry_is_replaced(sts_env, sts: StsServer):
    write_config(sts_env, CHAIN_CONFIG)
    issued(invoke_envgen(["assume", "hop", "--format", "json"], sts_env))
    cache = Path(sts_env["HOME"]) / ".aws" / "cli" / "cache"
    (entry,) = cache.glob("*.json")
    stale = json.loads(entry.read_text())
    stale["Credentials"]["Expiration"] = (
        datetime.now(timezone.utc) + timedelta(minutes=5)
    ).strftime("%Y-%m-%dT%H:%M:%SUTC")
    entry.write_text(json.dumps(stale))
    sts.log.reset()
    document = issued(invoke_envgen(["assume", "hop", "--format", "json"], sts_env))
    # Within botocore's 15-minute window the entry is refreshed, exactly as the AWS CLI does.
    assert sts.log.counts() == {"AssumeRole": 1}
    assert document["AccessKeyId"] != stale["Credentials"]["AccessKeyId"]


@on_linux
def test_mfa_code_is_asked_on_the_terminal_never_on_stdout(sts_env, sts: StsServer):
    write_config(sts_env, CHAIN_CONFIG)
    result, shown = run_envgen_on_terminal(
        ["assume", "prod", "--format", "json"], sts_env, b"123456", until=b": "
    )
    assert f"envgen: MFA code for {MFA_DEVICE}: ".encode() in shown
    document = issued(result)
    assert b"MFA" not in result.stdout
    assert sts.log.counts() == {"AssumeRole": 2}
    assert ":assumed-role/Prod/" in identity(with_keys(sts_env, document))["Arn"]


def test_default_profiles_role_is_assumed_even_beside_keys_in_the_environment(sts_env, sts):
    # A profile may name itself as source_profile when it holds the keys too.
    write_config(
        sts_env, f"[default]\nrole_arn = {role_arn('Everyday')}\nsource_profile = default\n"
    )
    env = dict(
        sts_env,
        AWS_ACCESS_KEY_ID="AKIAENVIRONMENTKEY01",
        AWS_SECRET_ACCESS_KEY="environment/secret",
    )
    document = issued(invoke_envgen(["assume", "--format", "json"], env))
    assert sts.log.counts() == {"AssumeRole": 1}
    assert ":assumed-role/Everyday/" in identity(with_keys(env, document))["Arn"]
