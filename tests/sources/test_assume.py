"""envgen.sources.assume and what every STS command shares: exec's child and its status, the
endpoint settings, unreachable and silent endpoints, input refused before any request, and what
-v and -q show; the real executable against a real STS endpoint over HTTP."""

from __future__ import annotations

import json
import socket

import pytest

from envgen_in_process import invoke_envgen
from envgen_process import assert_failed_cleanly, run_envgen
from hostile_endpoints import closed_port_url
from sts_commands import (
    CHAIN_CONFIG,
    CHAIN_WITHOUT_MFA,
    OTHER_ACCOUNT,
    issued,
    write_config,
)
from sts_server import BASE_SECRET, StsServer, role_arn


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
