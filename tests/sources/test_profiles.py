"""Which profile and which credentials the STS commands start from: --profile and AWS_PROFILE,
keys left over in the environment after they expired, and AWS config files that are broken or
lack the profile asked for. The real executable against a real STS endpoint over HTTP."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from envgen_in_process import invoke_envgen
from envgen_process import assert_failed_cleanly, run_envgen
from sts_server import BASE_SECRET, StsServer, role_arn

PROFILES_CONFIG = f"""\
[default]
region = eu-west-1

[profile hop]
role_arn = {role_arn("Hop")}
source_profile = default
"""
EXPIRED_AT = "2001-02-03T04:05:06Z"


def issued(result: subprocess.CompletedProcess[bytes]) -> dict[str, str]:
    assert result.returncode == 0, result.stderr.decode()
    return json.loads(result.stdout)


def whoami(args: list[str], env: dict[str, str]) -> dict[str, str]:
    result = invoke_envgen(["whoami", "--json", *args], env)
    assert result.returncode == 0, result.stderr.decode()
    return json.loads(result.stdout)


@pytest.fixture
def profiles_env(sts_env: dict[str, str]) -> dict[str, str]:
    Path(sts_env["AWS_CONFIG_FILE"]).write_text(PROFILES_CONFIG)
    return sts_env


@pytest.fixture
def expired_env(profiles_env: dict[str, str], sts: StsServer) -> dict[str, str]:
    """A shell that applied a role's credentials more than an hour ago: real keys STS issued,
    with the expiry envgen wrote for them now in the past."""
    document = issued(
        invoke_envgen(
            ["assume", "--role-arn", role_arn("Earlier"), "--format", "json"], profiles_env
        )
    )
    sts.log.reset()
    return dict(
        profiles_env,
        AWS_ACCESS_KEY_ID=document["AccessKeyId"],
        AWS_SECRET_ACCESS_KEY=document["SecretAccessKey"],
        AWS_SESSION_TOKEN=document["SessionToken"],
        AWS_CREDENTIAL_EXPIRATION=EXPIRED_AT,
        AWS_SESSION_EXPIRATION=EXPIRED_AT,
    )


@pytest.mark.parametrize(
    "args",
    [
        ["whoami"],
        ["assume", "--role-arn", role_arn("Dev")],
        ["assume"],
        ["exec", "--", "true"],
    ],
    ids=["whoami", "assume-role-arn", "assume", "exec"],
)
def test_expired_keys_in_the_environment_are_named_with_how_to_clear_them(
    expired_env, sts: StsServer, args
):
    result = run_envgen(args, dict(expired_env, ENVGEN_SHELL="bash"))
    assert result.returncode == 1, result.stderr.decode()
    message = assert_failed_cleanly(
        result, expired_env["AWS_SECRET_ACCESS_KEY"], expired_env["AWS_SESSION_TOKEN"]
    )
    assert message.startswith(
        "the credentials in AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN "
        "expired at 2001-02-03 04:05:06 UTC (per AWS_CREDENTIAL_EXPIRATION)"
    ), message
    assert 'clear them in this shell with: eval "$(envgen clear)"' in message
    assert "--profile NAME" in message
    assert sts.log.counts() == {}


def test_the_clear_hint_is_the_shells_own_idiom(expired_env):
    fish = assert_failed_cleanly(invoke_envgen(["whoami"], dict(expired_env, ENVGEN_SHELL="fish")))
    assert "clear them in this shell with: envgen clear | source," in fish
    tcsh = assert_failed_cleanly(invoke_envgen(["assume"], dict(expired_env, ENVGEN_SHELL="tcsh")))
    assert 'clear them in this shell with: eval "`envgen clear`",' in tcsh


def test_expiry_only_in_aws_session_expiration_is_read_too(expired_env, sts: StsServer):
    env = dict(expired_env)
    del env["AWS_CREDENTIAL_EXPIRATION"]
    message = assert_failed_cleanly(invoke_envgen(["assume", "--role-arn", role_arn("Dev")], env))
    assert "(per AWS_SESSION_EXPIRATION)" in message
    assert sts.log.counts() == {}


def test_expired_keys_beside_aws_profile_say_which_comes_first(expired_env):
    message = assert_failed_cleanly(invoke_envgen(["whoami"], dict(expired_env, AWS_PROFILE="hop")))
    assert "before AWS_PROFILE=hop" in message


def test_a_named_profile_ignores_expired_keys_in_the_environment(expired_env, sts: StsServer):
    stale_key = expired_env["AWS_ACCESS_KEY_ID"]
    by_name = issued(invoke_envgen(["assume", "hop", "--format", "json"], expired_env))
    assert by_name["AccessKeyId"] != stale_key
    # --role-arn with a profile: the profile's credentials assume the role.
    chained = issued(
        invoke_envgen(
            ["assume", "hop", "--role-arn", role_arn("Dev"), "--format", "json"], expired_env
        )
    )
    assert chained["AccessKeyId"] != stale_key
    long_term = issued(invoke_envgen(["assume", "default", "--format", "json"], expired_env))
    assert long_term["AccessKeyId"] != stale_key
    from_variable = issued(
        invoke_envgen(
            ["assume", "--role-arn", role_arn("Dev"), "--format", "json"],
            dict(expired_env, AWS_PROFILE="hop"),
        )
    )
    assert from_variable["AccessKeyId"] != stale_key
    ran = run_envgen(["exec", "hop", "--", "envgen", "whoami", "--json"], expired_env)
    assert ran.returncode == 0, ran.stderr.decode()
    assert ":assumed-role/Hop/" in json.loads(ran.stdout)["Arn"]
    assert ":assumed-role/Hop/" in whoami(["--profile", "hop"], expired_env)["Arn"]
    assert whoami(["--profile", "default"], expired_env)["Arn"].endswith(":user/moto")


def test_profile_option_on_assume_exec_and_whoami(profiles_env, sts: StsServer):
    by_option = issued(
        invoke_envgen(["assume", "--profile", "hop", "--format", "json"], profiles_env)
    )
    assert sts.log.counts() == {"AssumeRole": 1}
    # The same profile twice is one profile; the second run is a cache hit.
    assert (
        issued(
            invoke_envgen(["assume", "hop", "--profile", "hop", "--format", "json"], profiles_env)
        )
        == by_option
    )
    ran = run_envgen(["exec", "--profile", "hop", "--", "envgen", "whoami", "--json"], profiles_env)
    assert ran.returncode == 0, ran.stderr.decode()
    assert ":assumed-role/Hop/" in json.loads(ran.stdout)["Arn"]
    assert ":assumed-role/Hop/" in whoami(["--profile", "hop"], profiles_env)["Arn"]


def test_profile_option_beside_keys_in_the_environment_uses_the_profile(profiles_env):
    env = dict(
        profiles_env,
        AWS_ACCESS_KEY_ID="AKIAENVIRONMENTKEY01",
        AWS_SECRET_ACCESS_KEY="environment/secret",
    )
    # As `aws --profile`: the keys in the environment play no part.
    assert ":assumed-role/Hop/" in whoami(["--profile", "hop"], env)["Arn"]


@pytest.mark.parametrize(
    "args",
    [
        ["assume", "hop", "--profile", "default"],
        ["exec", "hop", "--profile", "default", "--", "true"],
    ],
)
def test_two_different_profiles_are_refused(profiles_env, sts: StsServer, args):
    result = run_envgen(args, profiles_env)
    assert result.returncode == 2
    message = assert_failed_cleanly(result)
    assert "'hop'" in message and "'default'" in message and "--profile" in message
    assert sts.log.counts() == {}


def test_aws_profile_is_honoured_where_no_profile_is_named(profiles_env, sts: StsServer):
    env = dict(profiles_env, AWS_PROFILE="hop")
    assert ":assumed-role/Hop/" in whoami([], env)["Arn"]
    ran = run_envgen(["exec", "--", "envgen", "whoami", "--json"], env)
    assert ran.returncode == 0, ran.stderr.decode()
    assert ":assumed-role/Hop/" in json.loads(ran.stdout)["Arn"]
    # A name on the command line wins over AWS_PROFILE.
    assert whoami(["--profile", "default"], env)["Arn"].endswith(":user/moto")


# Lines botocore's parser refuses, each with text that must never reach the message.
BROKEN_LINES = [
    (
        "[default]\nregion = eu-west-1\nwJalrXUtnFEMI/K7MDENG/bPxRfiCySECRET\n",
        3,
        "neither a [section] header nor a `key = value` setting",
    ),
    (
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCySECRET\n[default]\n",
        1,
        "before any [section] header",
    ),
    (
        "[default]\nregion = eu-west-1\n\n[default]\noutput = json\n",
        4,
        "repeats a [section] header",
    ),
    (
        "[default]\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCySECRET\n"
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCySECRET\n",
        3,
        "sets a key its section has already set",
    ),
    (
        "[default]\nregion = eu-west-1\ns3 =\n  addressing_style = path\n"
        "  wJalrXUtnFEMI/K7MDENG/bPxRfiCySECRET\n",
        5,
        "indented under a setting",
    ),
]


@pytest.mark.parametrize(("text", "line", "problem"), BROKEN_LINES)
@pytest.mark.parametrize("which", ["AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"])
def test_a_broken_config_file_is_named_with_its_line(
    profiles_env, sts: StsServer, which, text, line, problem
):
    broken = Path(profiles_env[which])
    broken.write_text(text)
    for args in (
        ["assume"],
        ["assume", "--role-arn", role_arn("Dev")],
        ["whoami"],
        ["assume", "--profile", "default"],
    ):
        message = assert_failed_cleanly(
            invoke_envgen(args, profiles_env), "wJalrXUtnFEMI/K7MDENG/bPxRfiCySECRET", BASE_SECRET
        )
        assert message.startswith(f"{broken}: line {line} "), message
        assert problem in message
        assert "ConfigParseError" not in message
    assert sts.log.counts() == {}


@pytest.mark.parametrize(
    "output",
    ["", "not json", '{"Version": 1, "AccessKeyId": "AKIDSECRETLOOKING"'],
    ids=["nothing", "text", "cut-short"],
)
def test_a_credential_process_that_prints_no_json_is_named(
    profiles_env, sts: StsServer, tmp_path, output
):
    command = tmp_path / "print-credentials"
    command.write_text(f"#!/bin/sh\nprintf '%s' '{output}'\n")
    command.chmod(0o700)
    Path(profiles_env["AWS_CONFIG_FILE"]).write_text(
        f"[default]\nregion = eu-west-1\ncredential_process = {command}\n"
    )
    Path(profiles_env["AWS_SHARED_CREDENTIALS_FILE"]).write_text("")
    for args in (["assume"], ["whoami"]):
        message = assert_failed_cleanly(invoke_envgen(args, profiles_env), "AKIDSECRETLOOKING")
        assert "credential_process command printed something that is not JSON" in message
    assert sts.log.counts() == {}


def test_a_config_file_in_another_encoding_names_the_line(profiles_env):
    config = Path(profiles_env["AWS_CONFIG_FILE"])
    config.write_bytes(b"[default]\nregion = eu-west-1\n# caf\xe9\n")
    message = assert_failed_cleanly(invoke_envgen(["assume"], profiles_env))
    assert message.startswith(f"{config}: line 3 is not UTF-8 text"), message


def test_an_unknown_profile_names_the_files_read_and_the_profiles_there(
    profiles_env, sts: StsServer, tmp_path
):
    elsewhere = tmp_path / "team-config"
    elsewhere.write_text(PROFILES_CONFIG + "\n[profile staging]\nregion = eu-west-2\n")
    env = dict(profiles_env, AWS_CONFIG_FILE=str(elsewhere))
    message = assert_failed_cleanly(invoke_envgen(["assume", "prod"], env))
    assert message == (
        f"profile 'prod' is in neither {elsewhere} nor {env['AWS_SHARED_CREDENTIALS_FILE']}; "
        "the profiles there: default, hop, staging"
    )
    for args in (["whoami"], ["assume"], ["exec", "--", "true"]):
        from_variable = assert_failed_cleanly(run_envgen(args, dict(env, AWS_PROFILE="prod")))
        assert from_variable.startswith("profile 'prod' (named by AWS_PROFILE) is in neither ")
        assert from_variable.endswith("default, hop, staging")
    assert "AWS_PROFILE" not in assert_failed_cleanly(
        invoke_envgen(["whoami", "--profile", "prod"], env)
    )
    missing = tmp_path / "no-such-config"
    assert assert_failed_cleanly(
        invoke_envgen(["assume", "prod"], dict(env, AWS_CONFIG_FILE=str(missing)))
    ).startswith(f"profile 'prod' is in neither {missing} (no such file) nor ")
    assert sts.log.counts() == {}
