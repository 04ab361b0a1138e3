"""One region rule for every command and every place a region comes from (--region, AWS_REGION,
AWS_DEFAULT_REGION, a profile's region), through the real executable; nothing reaches STS."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from envgen_in_process import invoke_envgen
from envgen_process import assert_failed_cleanly
from sts_server import (
    StsServer,
    provider_arn,
    role_arn,
    saml_assertion,
)

CONFIG = f"""\
[default]
region = eu-west-1

[profile hop]
role_arn = {role_arn("Hop")}
source_profile = default
"""

IMPORT = [
    "import",
    "--access-key-id",
    "ASIAEXAMPLEKEYID0001",
    "--secret-access-key",
    "s/e",
    "--session-token",
    "token",
    "--format",
    "json",
]
STS_COMMANDS = {
    "assume-role-arn": ["assume", "--role-arn", role_arn("Dev"), "--format", "json"],
    "assume-profile": ["assume", "hop", "--format", "json"],
    "assume": ["assume", "--format", "json"],
    "whoami": ["whoami"],
    "exec": ["exec", "--role-arn", role_arn("Dev"), "--", "true"],
    "saml": [
        "saml",
        "--saml-assertion",
        saml_assertion([(role_arn("A"), provider_arn("c"))]),
        "--format",
        "json",
    ],
    "web-identity": [
        "web-identity",
        "--role-arn",
        role_arn("Deploy"),
        "--web-identity-token",
        "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln",
        "--format",
        "json",
    ],
}
EVERY_COMMAND = {"import": IMPORT, **STS_COMMANDS}

LOWER_CASE = "is not a region name; region names are lower case without spaces: eu-west-1"
NOT_A_REGION = "is not a region name; give one like eu-west-1 (area, direction and number)"


@pytest.fixture
def region_env(sts_env: dict[str, str]) -> dict[str, str]:
    Path(sts_env["AWS_CONFIG_FILE"]).write_text(CONFIG)
    return sts_env


def refusal(args: list[str], env: dict[str, str]) -> str:
    result = invoke_envgen(args, env)
    assert result.returncode == 2, result.stderr.decode()
    return assert_failed_cleanly(result)


@pytest.mark.parametrize("command", EVERY_COMMAND)
@pytest.mark.parametrize(
    ("value", "problem"), [("EU-WEST-1", LOWER_CASE), ("eu-west", NOT_A_REGION)]
)
def test_region_flag_gets_one_answer_from_every_command(
    region_env, sts: StsServer, command, value, problem
):
    args = EVERY_COMMAND[command]
    at = args.index("--") if "--" in args else len(args)
    message = refusal([*args[:at], "--region", value, *args[at:]], region_env)
    assert message == f"--region {value!r} {problem}"
    assert sts.log.counts() == {}


@pytest.mark.parametrize("command", EVERY_COMMAND)
@pytest.mark.parametrize("variable", ["AWS_REGION", "AWS_DEFAULT_REGION"])
@pytest.mark.parametrize(
    ("value", "problem"), [("EU-WEST-1", LOWER_CASE), ("eu-west", NOT_A_REGION)]
)
def test_region_variables_get_the_same_answer(
    region_env, sts: StsServer, command, variable, value, problem
):
    message = refusal(EVERY_COMMAND[command], dict(region_env, **{variable: value}))
    assert message == f"{variable} {value!r} {problem}"
    assert sts.log.counts() == {}


@pytest.mark.parametrize("command", STS_COMMANDS)
@pytest.mark.parametrize(
    ("value", "problem"), [("EU-WEST-1", LOWER_CASE), ("eu-west", NOT_A_REGION)]
)
def test_a_profiles_region_gets_the_same_answer(
    region_env, sts: StsServer, command, value, problem
):
    # The region of profile hop, the last section; AWS_PROFILE names it where no word does.
    Path(region_env["AWS_CONFIG_FILE"]).write_text(CONFIG + f"region = {value}\n")
    env = dict(region_env, AWS_PROFILE="hop") if command != "assume-profile" else region_env
    message = refusal(STS_COMMANDS[command], env)
    assert message == f"profile hop's region {value!r} {problem}"
    assert sts.log.counts() == {}


def test_a_cache_hit_checks_the_region_as_a_miss_does(region_env, sts: StsServer):
    first = invoke_envgen(["assume", "hop", "--format", "json"], region_env)
    assert first.returncode == 0, first.stderr.decode()
    sts.log.reset()
    hit = invoke_envgen(["assume", "hop", "--format", "dotenv"], region_env)
    assert hit.returncode == 0 and sts.log.counts() == {}
    Path(region_env["AWS_CONFIG_FILE"]).write_text(CONFIG + "region = EU-WEST-1\n")
    assert (
        refusal(["assume", "hop"], region_env) == f"profile hop's region 'EU-WEST-1' {LOWER_CASE}"
    )
    assert refusal(["assume", "hop"], dict(region_env, AWS_REGION="eu-west")) == (
        f"AWS_REGION 'eu-west' {NOT_A_REGION}"
    )
    assert sts.log.counts() == {}


def test_a_good_flag_replaces_a_bad_region_in_the_environment(region_env):
    env = dict(region_env, AWS_REGION="EU-WEST-1")
    result = invoke_envgen([*IMPORT, "--region", "eu-central-1"], env)
    assert result.returncode == 0, result.stderr.decode()
    assert json.loads(result.stdout)["AccessKeyId"] == "ASIAEXAMPLEKEYID0001"
    whoami = invoke_envgen(["whoami", "--region", "eu-central-1"], env)
    assert whoami.returncode == 0, whoami.stderr.decode()
