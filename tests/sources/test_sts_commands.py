"""Every STS command of envgen, run as the real executable against a real STS endpoint over HTTP
(moto's server on loopback, reached through AWS_ENDPOINT_URL_STS)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import socket
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from dotenv import dotenv_values

from conftest import require_program
from envgen_in_process import invoke_envgen
from envgen_process import assert_failed_cleanly
from sts_server import (
    BASE_ACCESS_KEY_ID,
    BASE_SECRET,
    StsServer,
    provider_arn,
    role_arn,
    run_envgen,
    run_envgen_on_terminal,
    saml_assertion,
)

OTHER_ACCOUNT = "210987654321"
MFA_DEVICE = "arn:aws:iam::123456789012:mfa/alice"


def issued(result: subprocess.CompletedProcess[bytes]) -> dict[str, str]:
    """The credential_process document envgen printed (--format json)."""
    assert result.returncode == 0, result.stderr.decode()
    document = json.loads(result.stdout)
    assert document["Version"] == 1
    return document


def lifetime(document: dict[str, str]) -> float:
    expiration = datetime.fromisoformat(document["Expiration"].replace("Z", "+00:00"))
    return (expiration - datetime.now(timezone.utc)).total_seconds()


def with_keys(env: dict[str, str], document: dict[str, str]) -> dict[str, str]:
    """The environment of a shell that applied the credentials."""
    child = dict(env)
    child.update(
        AWS_ACCESS_KEY_ID=document["AccessKeyId"],
        AWS_SECRET_ACCESS_KEY=document["SecretAccessKey"],
        AWS_SESSION_TOKEN=document["SessionToken"],
    )
    return child


def identity(env: dict[str, str]) -> dict[str, str]:
    result = invoke_envgen(["whoami", "--json"], env)
    assert result.returncode == 0, result.stderr.decode()
    return json.loads(result.stdout)


def write_config(env: dict[str, str], text: str) -> None:
    Path(env["AWS_CONFIG_FILE"]).write_text(text)


CHAIN_CONFIG = f"""\
[default]
region = eu-west-1

[profile hop]
role_arn = {role_arn("Hop")}
source_profile = default

[profile prod]
role_arn = {role_arn("Prod", OTHER_ACCOUNT)}
source_profile = hop
mfa_serial = {MFA_DEVICE}
region = eu-central-1
"""


def cache_key(arguments: dict[str, object]) -> str:
    """botocore's key for assumed-role credentials: the SHA-1 of the AssumeRole arguments."""
    return hashlib.sha1(json.dumps(arguments, sort_keys=True).encode()).hexdigest()


def cached_keys(env: dict[str, str]) -> set[str]:
    return {path.stem for path in (Path(env["HOME"]) / ".aws" / "cli" / "cache").glob("*.json")}


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


def test_saml_with_one_role_needs_no_flags(sts_env, sts: StsServer):
    assertion = saml_assertion([(role_arn("Admin"), provider_arn("corp"))])
    document = issued(
        invoke_envgen(["saml", "--saml-assertion", assertion, "--format", "json"], sts_env)
    )
    assert sts.log.counts() == {"AssumeRoleWithSAML": 1}
    assert identity(with_keys(sts_env, document))["Arn"] == (
        "arn:aws:sts::123456789012:assumed-role/Admin/alice@example.com"
    )
    assert 1800 - 120 < lifetime(document) <= 1800


def test_saml_with_two_roles_and_role_arn_infers_the_principal(sts_env, sts: StsServer, tmp_path):
    # Pairs in both orders, as identity providers write them either way.
    assertion = saml_assertion(
        [
            (role_arn("Admin"), provider_arn("corp")),
            (provider_arn("other"), role_arn("ReadOnly")),
        ]
    )
    saved = tmp_path / "saml.b64"
    saved.write_text(assertion + "\n")
    document = issued(
        invoke_envgen(
            [
                "saml",
                "--saml-assertion",
                f"file://{saved}",
                "--role-arn",
                role_arn("ReadOnly"),
                "--format",
                "json",
            ],
            sts_env,
        )
    )
    # The test server refuses a RoleArn/PrincipalArn that is not a pair of the assertion.
    assert sts.log.counts() == {"AssumeRoleWithSAML": 1}
    assert ":assumed-role/ReadOnly/" in identity(with_keys(sts_env, document))["Arn"]


def test_saml_with_two_roles_and_no_choice_lists_both(sts_env, sts: StsServer):
    assertion = saml_assertion(
        [
            (role_arn("Admin"), provider_arn("corp")),
            (role_arn("ReadOnly"), provider_arn("corp")),
        ]
    )
    message = assert_failed_cleanly(
        invoke_envgen(["saml", "--saml-assertion", "-"], sts_env, stdin=assertion)
    )
    assert role_arn("Admin") in message and role_arn("ReadOnly") in message
    assert "--role-arn" in message
    assert sts.log.counts() == {}


def test_saml_duration_is_capped_by_session_duration(sts_env, sts: StsServer):
    assertion = saml_assertion([(role_arn("Admin"), provider_arn("corp"))], session_duration=1000)
    result = invoke_envgen(
        ["saml", "--saml-assertion", assertion, "--duration-seconds", "7200", "--format", "json"],
        sts_env,
    )
    assert 1000 - 120 < lifetime(issued(result)) <= 1000
    assert b"1000 s" in result.stderr


def test_saml_role_the_assertion_does_not_grant_is_refused_before_sts(sts_env, sts: StsServer):
    assertion = saml_assertion([(role_arn("Admin"), provider_arn("corp"))])
    message = assert_failed_cleanly(
        invoke_envgen(
            ["saml", "--saml-assertion", assertion, "--role-arn", role_arn("Root")], sts_env
        )
    )
    assert role_arn("Root") in message and role_arn("Admin") in message
    assert sts.log.counts() == {}


def test_billion_laughs_assertion_is_refused(sts_env, sts: StsServer):
    import base64

    laughs = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + "".join(
            f'<!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">'
            for n in range(1, 10)
        )
        + ']><samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">&lol9;'
        "</samlp:Response>"
    )
    result = run_envgen(
        ["saml", "--saml-assertion", base64.b64encode(laughs.encode()).decode()],
        sts_env,
        timeout=10,
    )
    assert "DTD" in assert_failed_cleanly(result)
    assert sts.log.counts() == {}


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


def test_exec_runs_the_command_with_the_role_and_passes_its_status(sts_env, sts: StsServer):
    env = dict(sts_env, AWS_SESSION_EXPIRATION="stale", AWS_PROFILE_UNRELATED="kept")
    result = run_envgen(
        [
            "exec",
            "--role-arn",
            role_arn("Dev"),
            "--",
            "sh",
            "-c",
            'printf "%s|%s|%s\\n" "$AWS_SESSION_TOKEN" "${AWS_SESSION_EXPIRATION:-unset}" '
            '"$AWS_PROFILE_UNRELATED"; envgen whoami --json; exit 3',
        ],
        env,
    )
    assert result.returncode == 3, result.stderr.decode()
    first, second = result.stdout.decode().splitlines()
    token, expiration, kept = first.split("|")
    assert token and kept == "kept" and expiration.endswith("Z")
    assert ":assumed-role/Dev/" in json.loads(second)["Arn"]
    assert sts.log.counts() == {"AssumeRole": 1, "GetCallerIdentity": 1}


def test_exec_with_a_profile_and_a_missing_command(sts_env):
    write_config(sts_env, CHAIN_CONFIG)
    ok = run_envgen(["exec", "hop", "--", "sh", "-c", "exit 0"], sts_env)
    assert ok.returncode == 0, ok.stderr.decode()
    missing = run_envgen(["exec", "hop", "--", "no-such-command-here"], sts_env)
    assert missing.returncode == 127
    assert "no-such-command-here: command not found" in assert_failed_cleanly(missing)
    no_separator = run_envgen(["exec", "hop", "sh"], sts_env)
    assert "--" in assert_failed_cleanly(no_separator)


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


def test_endpoint_flag_and_global_endpoint_variable(sts_env, sts: StsServer):
    closed = closed_port_url()
    # --endpoint-url wins over the environment.
    env = dict(sts_env, AWS_ENDPOINT_URL_STS=closed)
    issued(
        invoke_envgen(
            [
                "assume",
                "--role-arn",
                role_arn("Dev"),
                "--endpoint-url",
                sts.url,
                "--format",
                "json",
            ],
            env,
        )
    )
    # AWS_ENDPOINT_URL alone serves every service, STS included, as in botocore.
    env = dict(sts_env)
    env.pop("AWS_ENDPOINT_URL_STS")
    env["AWS_ENDPOINT_URL"] = sts.url
    issued(invoke_envgen(["assume", "--role-arn", role_arn("Dev2"), "--format", "json"], env))
    assert sts.log.counts() == {"AssumeRole": 2}


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_unreachable_endpoint_fails_with_one_line(sts_env):
    env = dict(sts_env, AWS_ENDPOINT_URL_STS=closed_port_url())
    # The timeout is the bound the user is promised; botocore's defaults would exceed it.
    result = run_envgen(["assume", "--role-arn", role_arn("Dev")], env, timeout=30)
    message = assert_failed_cleanly(result)
    assert "cannot reach STS" in message and env["AWS_ENDPOINT_URL_STS"] in message


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["assume", "--role-arn", "arn:aws:iam::12345:role/Short"], "--role-arn"),
        (["assume", "--role-arn", "role/Dev"], "--role-arn"),
        (["assume", "--duration-seconds", "899"], "--duration-seconds"),
        (["assume", "--duration-seconds", "43201"], "--duration-seconds"),
        (["assume", "--token-code", "12345"], "--token-code"),
        (["assume", "--role-session-name", "has space"], "--role-session-name"),
        (["assume", "--serial-number", "short"], "--serial-number"),
        (["saml", "--saml-assertion", "not*base64"], "base64"),
        (["saml", "--saml-assertion", "PG5vdCB4bWw="], "XML"),
        (
            ["web-identity", "--web-identity-token", "tok", "--role-arn", role_arn("D")],
            "--web-identity-token",
        ),
        (["web-identity", "--web-identity-token", "token"], "--role-arn"),
        (["assume", "--role-arn", role_arn("Dev"), "--shell", "bogus"], "--shell"),
        (["assume", "--role-arn", role_arn("Dev"), "--format", "yaml"], "--format"),
        (["assume", "--role-arn", role_arn("Dev"), "--force"], "--force"),
        (["assume", "--role-arn", role_arn("Dev"), "--persist", "--format", "json"], "--persist"),
        (["assume", "--role-arn", role_arn("Dev"), "--save-profile", "[x]"], "--save-profile"),
        (["saml", "--saml-assertion", "PG5vdCB4bWw=", "--shell", "bogus"], "--shell"),
        (
            [
                "web-identity",
                "--web-identity-token",
                "token",
                "--role-arn",
                role_arn("Dev"),
                "--format",
                "yaml",
            ],
            "--format",
        ),
    ],
)
def test_invalid_input_is_refused_before_any_network_call(sts_env, sts: StsServer, args, named):
    result = invoke_envgen(args, sts_env)
    assert result.returncode == 2
    assert named in assert_failed_cleanly(result)
    assert sts.log.counts() == {}


def test_missing_base_credentials_say_how_to_provide_them(sts_env, sts: StsServer):
    os.remove(sts_env["AWS_SHARED_CREDENTIALS_FILE"])
    message = assert_failed_cleanly(
        invoke_envgen(["assume", "--role-arn", role_arn("Dev")], sts_env)
    )
    assert "no AWS credentials" in message and "AWS_ACCESS_KEY_ID" in message
    unknown = assert_failed_cleanly(invoke_envgen(["assume", "nosuchprofile"], sts_env))
    assert "nosuchprofile" in unknown
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


def test_silent_endpoint_gives_up_within_the_bound(sts_env):
    # Accepts connections (the kernel's backlog) and never answers: only timeouts end this.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        env = dict(sts_env, AWS_ENDPOINT_URL_STS=url)
        result = run_envgen(["assume", "--role-arn", role_arn("Dev")], env, timeout=30)
    message = assert_failed_cleanly(result)
    assert "cannot reach STS" in message and "ReadTimeoutError" in message


# The helper gives the child a controlling terminal the Linux way (open after setsid).
on_linux = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="controlling terminals are set up the Linux way"
)


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


@on_linux
def test_saml_role_is_picked_on_the_terminal(sts_env, sts: StsServer):
    assertion = saml_assertion(
        [
            (role_arn("Admin"), provider_arn("corp")),
            (role_arn("ReadOnly"), provider_arn("corp")),
        ]
    )
    result, shown = run_envgen_on_terminal(
        ["saml", "--saml-assertion", assertion, "--format", "json"], sts_env, b"2", until=b"]: "
    )
    assert b"1) " + role_arn("Admin").encode() in shown
    assert b"2) " + role_arn("ReadOnly").encode() in shown
    document = issued(result)
    assert b"ReadOnly" not in result.stdout
    assert ":assumed-role/ReadOnly/" in identity(with_keys(sts_env, document))["Arn"]


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


CHAIN_WITHOUT_MFA = f"""\
[default]
region = eu-west-1

[profile hop]
role_arn = {role_arn("Hop")}
source_profile = default

[profile prod]
role_arn = {role_arn("Prod", OTHER_ACCOUNT)}
source_profile = hop
region = eu-central-1
"""


@pytest.mark.parametrize("where", ["before", "after"])
def test_verbose_says_how_the_answer_was_found_and_never_a_secret(
    where: str, sts_env, sts: StsServer
):
    write_config(sts_env, CHAIN_WITHOUT_MFA)
    args = ["assume", "prod", "--format", "json"]
    args = ["-v", *args] if where == "before" else [*args, "--verbose"]
    first = invoke_envgen(args, sts_env)
    document = issued(first)
    lines = first.stderr.decode().splitlines()
    assert (
        f"envgen: profile prod: role {role_arn('Prod', OTHER_ACCOUNT)} (named on the command "
        f"line) <- hop: role {role_arn('Hop')} <- default: keys in the credentials file"
    ) in lines
    assert f"envgen: STS endpoint {sts.url}, region eu-central-1" in lines
    assert any(line.startswith("envgen: cache miss: no entry ") for line in lines), lines
    assert any(line.startswith("envgen: STS answered; stored as cache entry ") for line in lines)
    second = invoke_envgen(args, sts_env)
    assert issued(second) == document
    assert sts.log.counts() == {"AssumeRole": 2}
    assert any(
        line.startswith("envgen: cache hit: ") and "no STS call" in line
        for line in second.stderr.decode().splitlines()
    )
    for result in (first, second):
        stderr = result.stderr.decode()
        for secret in (BASE_SECRET, document["SecretAccessKey"], document["SessionToken"]):
            assert secret not in stderr


def test_quiet_leaves_only_the_shell_code(sts_env, sts: StsServer):
    write_config(sts_env, CHAIN_WITHOUT_MFA)
    for args in (
        ["-q", "assume", "prod", "--shell", "bash"],
        ["assume", "prod", "--shell", "bash", "--quiet"],
    ):
        result = invoke_envgen(args, sts_env)
        assert result.returncode == 0
        assert result.stderr == b""
        assert b"export AWS_SECRET_ACCESS_KEY=" in result.stdout
    failing = invoke_envgen(["assume", "nope", "-q"], sts_env)
    assert assert_failed_cleanly(failing).startswith("profile 'nope'")


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
