"""`envgen refresh` and `envgen refresh --hook` (envgen.refresh), against moto's STS over HTTP:
what each outcome prints, how many requests it makes, and that the hook never fails."""

from __future__ import annotations

import re
import shlex
import subprocess
import time
from pathlib import Path

import pytest

from envgen.records import Origin, key_digest
from envgen_in_process import invoke_envgen
from sts_server import StsServer, role_arn

ROLE_PROFILE = f"""\
[default]
region = eu-west-1

[profile dev]
role_arn = {role_arn("Dev")}
source_profile = default

[profile guarded]
role_arn = {role_arn("Guarded")}
source_profile = default
mfa_serial = arn:aws:iam::123456789012:mfa/alice
"""


def applied(env: dict[str, str], result: subprocess.CompletedProcess[bytes]) -> dict[str, str]:
    """The environment once a POSIX shell has applied envgen's output (the test values hold
    no quote)."""
    assert result.returncode == 0, result.stderr.decode()
    after = dict(env)
    for line in result.stdout.decode().splitlines():
        if line.startswith("unset "):
            after.pop(line[len("unset ") :].rstrip(";"), None)
            continue
        match = re.fullmatch(r"export ([A-Z_]+)=(.*);", line)
        assert match, line
        after[match[1]] = shlex.split(match[2])[0]
    return after


def assumed(env: dict[str, str], *args: str) -> dict[str, str]:
    return applied(env, invoke_envgen(["assume", *args, "--shell", "bash"], env))


def hook(env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    return invoke_envgen(["refresh", "--hook", "--shell", "bash"], env)


@pytest.fixture
def role_env(sts_env: dict[str, str]) -> dict[str, str]:
    Path(sts_env["AWS_CONFIG_FILE"]).write_text(ROLE_PROFILE)
    return sts_env


def test_a_cache_entry_inside_the_window_is_not_served_as_renewed(
    role_env: dict[str, str], sts: StsServer
) -> None:
    shell = assumed(role_env, "dev")
    assert sts.log.counts()["AssumeRole"] == 1
    # The entry the first call cached has an hour left: inside a window of two.
    result = hook({**shell, "ENVGEN_REFRESH_BEFORE": "7200"})
    renewed = applied(shell, result)
    assert sts.log.counts()["AssumeRole"] == 2
    assert renewed["AWS_ACCESS_KEY_ID"] != shell["AWS_ACCESS_KEY_ID"]
    source = Origin.from_text(renewed["ENVGEN_SOURCE"])
    assert source is not None and source.key_digest == key_digest(renewed["AWS_ACCESS_KEY_ID"])
    # Credentials shorter than the window are not renewed again at the next prompt.
    assert int(renewed["ENVGEN_CHECK_AT"]) >= time.time() + 55
    [line] = result.stderr.decode().splitlines()
    assert line.startswith("envgen: renewed the credentials for arn:aws:iam::123456789012:role/Dev")


def test_with_more_than_the_window_left_only_the_check_moves(
    role_env: dict[str, str], sts: StsServer
) -> None:
    shell = assumed(role_env, "dev")
    result = hook({**shell, "ENVGEN_CHECK_AT": "0"})
    assert (
        result.stdout.decode()
        == f"export ENVGEN_CHECK_AT='{int(shell['ENVGEN_EXPIRATION']) - 300}';\n"
    )
    assert result.stderr == b""
    assert sts.log.counts()["AssumeRole"] == 1


def test_keys_replaced_by_the_user_make_envgen_forget_its_records(
    role_env: dict[str, str], sts: StsServer
) -> None:
    shell = assumed(role_env, "dev")
    result = hook({**shell, "AWS_ACCESS_KEY_ID": "AKIAMYOWNKEY", "ENVGEN_REFRESH_BEFORE": "7200"})
    assert result.returncode == 0 and result.stderr == b""
    assert result.stdout.decode().splitlines() == [
        "unset ENVGEN_EXPIRATION;",
        "unset ENVGEN_CHECK_AT;",
        "unset ENVGEN_SOURCE;",
    ]
    assert sts.log.counts()["AssumeRole"] == 1


def test_an_mfa_profile_is_never_prompted_for_at_a_prompt(
    role_env: dict[str, str], sts: StsServer
) -> None:
    shell = assumed(role_env, "guarded", "--token-code", "123456")
    result = hook({**shell, "ENVGEN_REFRESH_BEFORE": "7200"})
    after = applied(shell, result)
    assert after["ENVGEN_CHECK_AT"] == shell["ENVGEN_EXPIRATION"]
    assert after["AWS_ACCESS_KEY_ID"] == shell["AWS_ACCESS_KEY_ID"]
    [line] = result.stderr.decode().splitlines()
    assert "expire in" in line and line.endswith('renew them with: eval "$(envgen refresh)"')
    assert sts.log.counts()["AssumeRole"] == 1


def test_a_failed_renewal_is_tried_again_a_minute_later(
    role_env: dict[str, str], sts: StsServer
) -> None:
    shell = assumed(role_env, "dev")
    unreachable = {
        **shell,
        "ENVGEN_REFRESH_BEFORE": "7200",
        "AWS_ENDPOINT_URL_STS": "http://127.0.0.1:9",
    }
    started = time.time()
    result = hook(unreachable)
    after = applied(shell, result)
    assert started + 55 <= int(after["ENVGEN_CHECK_AT"]) <= time.time() + 61
    assert after["AWS_ACCESS_KEY_ID"] == shell["AWS_ACCESS_KEY_ID"]
    [line] = result.stderr.decode().splitlines()
    assert line.startswith("envgen: could not renew the credentials: ")


def test_records_that_are_not_envgens_are_dropped(clean_env: dict[str, str]) -> None:
    env = {
        **clean_env,
        "AWS_ACCESS_KEY_ID": "AKIA",
        "ENVGEN_SOURCE": "$(reboot)",
        "ENVGEN_EXPIRATION": "1",
        "ENVGEN_CHECK_AT": "1",
    }
    result = hook(env)
    assert result.returncode == 0 and result.stderr == b""
    assert "unset ENVGEN_SOURCE;" in result.stdout.decode()
    assert "AWS_" not in result.stdout.decode()


def test_refresh_renews_now_like_assume(role_env: dict[str, str], sts: StsServer) -> None:
    shell = assumed(role_env, "dev")
    renewed = applied(shell, invoke_envgen(["refresh", "--shell", "bash"], shell))
    # The cached entry has an hour left, well outside the default window: served again.
    assert renewed["AWS_ACCESS_KEY_ID"] == shell["AWS_ACCESS_KEY_ID"]
    assert sts.log.counts()["AssumeRole"] == 1


def test_refresh_without_records_says_what_to_do(clean_env: dict[str, str]) -> None:
    result = invoke_envgen(["refresh", "--shell", "bash"], clean_env)
    assert result.returncode == 2 and result.stdout == b""
    [line] = result.stderr.decode().splitlines()
    assert line.startswith("envgen: error: envgen has no record of credentials it set")


def test_refresh_of_imported_keys_says_what_to_run(
    creds_file: Path, clean_env: dict[str, str]
) -> None:
    shell = applied(
        clean_env, invoke_envgen(["import", str(creds_file), "--shell", "bash"], clean_env)
    )
    result = invoke_envgen(["refresh", "--shell", "bash"], shell)
    assert result.returncode == 1 and result.stdout == b""
    [line] = result.stderr.decode().splitlines()
    assert line == (
        "envgen: error: credentials from imported cannot be renewed without you; get new ones "
        "with: envgen import ..."
    )
