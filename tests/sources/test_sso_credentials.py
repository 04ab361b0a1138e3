"""`envgen assume SSO_PROFILE`: role credentials from a fake IAM Identity Center portal, with the
token the AWS CLI (or `envgen sso login`) cached, renewed by its refresh token, and the answer
cached where botocore and the AWS CLI read it. Real clients prove the files are shared: botocore's
own SSO providers, and the AWS CLI."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from envgen_in_process import invoke_envgen
from envgen_process import run_envgen
from sso_server import (
    ACCOUNT,
    ROLE_NAME,
    START_URL,
    signed_in_as_the_aws_cli,
    sso_config,
    token_file,
)

ROLE_CACHE = (".aws", "cli", "cache")


def assert_login_asked(result: subprocess.CompletedProcess[bytes], profile: str = "dev") -> None:
    assert result.returncode != 0
    assert result.stdout == b""
    lines = result.stderr.decode().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("envgen: error: ")
    assert lines[0].endswith(f"run envgen sso login {profile}")


def bash_exports(env: dict[str, str], command: str) -> dict[str, str]:
    script = (
        f'eval "$({command})" || exit 9\n'
        "for name in AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN "
        'AWS_CREDENTIAL_EXPIRATION AWS_REGION; do printf \'%s=%s\\n\' "$name" "${!name}"; done'
    )
    result = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", script],
        env=env,
        capture_output=True,
        timeout=60,
        start_new_session=True,
    )
    assert result.returncode == 0, result.stderr
    return dict(line.split("=", 1) for line in result.stdout.decode().splitlines())


def test_assume_exports_the_portals_credentials_and_their_expiry(sso_env, sso_server) -> None:
    token = signed_in_as_the_aws_cli(sso_env, sso_server)
    exported = bash_exports(sso_env, "envgen assume dev --shell bash")
    (call,) = sso_server.calls_of("GetRoleCredentials")
    assert call.fields == {
        "role_name": ROLE_NAME,
        "account_id": ACCOUNT,
        "accessToken": token["accessToken"],
    }
    issued = sso_server.issued[-1]
    assert exported["AWS_ACCESS_KEY_ID"] == issued["accessKeyId"]
    assert exported["AWS_SECRET_ACCESS_KEY"] == issued["secretAccessKey"]
    assert exported["AWS_SESSION_TOKEN"] == issued["sessionToken"]
    expiry = datetime.fromtimestamp(issued["expiration"] / 1000, timezone.utc)
    assert exported["AWS_CREDENTIAL_EXPIRATION"] == expiry.strftime("%Y-%m-%dT%H:%M:%SZ")
    # The profile's region, not the one Identity Center lives in.
    assert exported["AWS_REGION"] == "eu-central-1"


def test_legacy_profile(sso_env, sso_server) -> None:
    Path(sso_env["AWS_CONFIG_FILE"]).write_text(sso_config(session=None, profile="old"))
    token = signed_in_as_the_aws_cli(sso_env, sso_server, name=START_URL)
    result = invoke_envgen(["assume", "old", "--format", "json"], sso_env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["AccessKeyId"] == sso_server.issued[-1]["accessKeyId"]
    assert (
        sso_server.calls_of("GetRoleCredentials")[0].fields["accessToken"] == token["accessToken"]
    )


BOTOCORE_SSO_CREDENTIALS = """
import json, os, sys
import botocore.session
from botocore.credentials import JSONFileCache
session = botocore.session.Session(profile=sys.argv[1])
# What the AWS CLI does at start-up: SSO role credentials go to its cache.
provider = session.get_component("credential_provider").get_provider("sso")
provider.cache = JSONFileCache(os.path.expanduser("~/.aws/cli/cache"))
frozen = session.get_credentials().get_frozen_credentials()
print(json.dumps([frozen.access_key, frozen.secret_key, frozen.token]))
"""


def botocore_credentials(env: dict[str, str], profile: str = "dev") -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", BOTOCORE_SSO_CREDENTIALS, profile],
        env=env,
        capture_output=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("form", ["sso-session", "legacy"])
def test_botocore_serves_the_credentials_envgen_cached(sso_env, sso_server, form) -> None:
    if form == "legacy":
        Path(sso_env["AWS_CONFIG_FILE"]).write_text(sso_config(session=None))
    signed_in_as_the_aws_cli(
        sso_env, sso_server, name="corp" if form == "sso-session" else START_URL
    )
    result = invoke_envgen(["assume", "dev", "--format", "json"], sso_env)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert botocore_credentials(sso_env) == [
        document["AccessKeyId"],
        document["SecretAccessKey"],
        document["SessionToken"],
    ]
    # From the cache: the portal was asked once, by envgen.
    assert len(sso_server.calls_of("GetRoleCredentials")) == 1


def test_envgen_serves_the_credentials_botocore_cached(sso_env, sso_server) -> None:
    signed_in_as_the_aws_cli(sso_env, sso_server)
    keys = botocore_credentials(sso_env)
    result = invoke_envgen(["assume", "dev", "--format", "json", "-v"], sso_env)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert [document["AccessKeyId"], document["SecretAccessKey"], document["SessionToken"]] == keys
    assert "cache hit" in result.stderr.decode()
    assert len(sso_server.calls_of("GetRoleCredentials")) == 1


def test_the_aws_cli_uses_envgens_login(sso_env, sso_server, sts) -> None:
    sso_server.then = "approve"
    login = invoke_envgen(["sso", "login", "dev", "--no-browser"], sso_env)
    assert login.returncode == 0, login.stderr
    env = dict(sso_env, AWS_ENDPOINT_URL_STS=sts.url)
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "aws"),
            "sts",
            "get-caller-identity",
            "--profile",
            "dev",
        ],
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["Account"]
    token = json.loads(token_file(sso_env, "corp").read_text())["accessToken"]
    assert sso_server.calls_of("GetRoleCredentials")[-1].fields["accessToken"] == token
    assert sts.log.counts()["GetCallerIdentity"] == 1


def test_missing_sign_in_asks_for_a_login(sso_env, sso_server) -> None:
    assert_login_asked(invoke_envgen(["assume", "dev"], sso_env))
    assert sso_server.operations() == []


def test_expired_sign_in_asks_for_a_login(sso_env, sso_server) -> None:
    token = signed_in_as_the_aws_cli(sso_env, sso_server, seconds=-60)
    result = invoke_envgen(["assume", "dev", "--format", "json"], sso_env)
    assert_login_asked(result)
    assert "expired" in result.stderr.decode()
    assert token["accessToken"].encode() not in result.stderr
    assert sso_server.operations() == []


def test_a_token_the_portal_refuses_asks_for_a_login(sso_env, sso_server) -> None:
    token = signed_in_as_the_aws_cli(sso_env, sso_server)
    sso_server.access_tokens.clear()
    result = invoke_envgen(["assume", "dev", "--format", "json"], sso_env)
    assert_login_asked(result)
    assert token["accessToken"].encode() not in result.stderr


def test_an_expired_token_is_renewed_with_its_refresh_token(sso_env, sso_server) -> None:
    old = signed_in_as_the_aws_cli(sso_env, sso_server, seconds=-60, refreshable=True)
    result = invoke_envgen(["assume", "dev", "--format", "json"], sso_env)
    assert result.returncode == 0, result.stderr
    (refresh,) = sso_server.calls_of("CreateToken")
    assert refresh.fields["grantType"] == "refresh_token"
    assert refresh.fields["refreshToken"] == old["refreshToken"]
    renewed = json.loads(token_file(sso_env, "corp").read_text())
    assert renewed["accessToken"] != old["accessToken"]
    assert (
        sso_server.calls_of("GetRoleCredentials")[0].fields["accessToken"] == renewed["accessToken"]
    )
    # The renewed token is one botocore's own token loader takes, refresh token and all.
    from botocore.utils import JSONFileCache, SSOTokenLoader

    loader = SSOTokenLoader(cache=JSONFileCache(str(token_file(sso_env, "corp").parent)))
    loaded = loader(START_URL, session_name="corp")
    assert loaded["accessToken"] == renewed["accessToken"]
    assert loaded["refreshToken"] in sso_server.refresh_tokens


def test_a_refused_refresh_asks_for_a_login(sso_env, sso_server) -> None:
    signed_in_as_the_aws_cli(sso_env, sso_server, seconds=-60, refreshable=True)
    sso_server.refresh_tokens.clear()
    assert_login_asked(invoke_envgen(["assume", "dev", "--format", "json"], sso_env))


def test_an_expiring_cache_entry_goes_back_to_the_portal(sso_env, sso_server) -> None:
    signed_in_as_the_aws_cli(sso_env, sso_server)
    sso_server.role_seconds = 600  # inside botocore's 15 minutes: never served from the cache
    for _ in range(2):
        assert invoke_envgen(["assume", "dev", "--format", "json"], sso_env).returncode == 0
    assert len(sso_server.calls_of("GetRoleCredentials")) == 2


def test_exec_and_save_profile_take_sso_profiles(sso_env, sso_server) -> None:
    signed_in_as_the_aws_cli(sso_env, sso_server)
    ran = run_envgen(["exec", "dev", "--", "printenv", "AWS_ACCESS_KEY_ID"], sso_env)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.decode().strip() == sso_server.issued[-1]["accessKeyId"]
    saved = invoke_envgen(
        ["assume", "dev", "--save-profile", "dev-temp", "--shell", "bash"], sso_env
    )
    assert saved.returncode == 0, saved.stderr
    credentials = Path(sso_env["AWS_SHARED_CREDENTIALS_FILE"]).read_text()
    assert f"aws_access_key_id = {sso_server.issued[-1]['accessKeyId']}" in credentials


@pytest.mark.parametrize(
    "option",
    [
        ["--duration-seconds", "900"],
        ["--role-session-name", "me"],
        ["--endpoint-url", "http://127.0.0.1:9"],
    ],
)
def test_sts_options_are_refused_for_an_sso_profile(sso_env, sso_server, option) -> None:
    signed_in_as_the_aws_cli(sso_env, sso_server)
    result = invoke_envgen(["assume", "dev", *option, "--format", "json"], sso_env)
    assert result.returncode == 2
    assert result.stdout == b""
    assert option[0] in result.stderr.decode()
    assert sso_server.operations() == []


def test_a_profile_missing_its_role_is_named(sso_env, sso_server) -> None:
    Path(sso_env["AWS_CONFIG_FILE"]).write_text(
        sso_config().replace(f"sso_role_name = {ROLE_NAME}\n", "")
    )
    result = invoke_envgen(["assume", "dev"], sso_env)
    assert result.returncode == 2
    assert "sso_role_name" in result.stderr.decode()


def test_cache_entry_expires_when_botocore_says(sso_env, sso_server) -> None:
    # The entry is botocore's shape: ProviderType sso, the expiry as ...Z, the account.
    signed_in_as_the_aws_cli(sso_env, sso_server)
    assert invoke_envgen(["assume", "dev", "--format", "json"], sso_env).returncode == 0
    (entry,) = Path(sso_env["HOME"], *ROLE_CACHE).glob("*.json")
    document = json.loads(entry.read_text())
    assert document["ProviderType"] == "sso"
    assert sorted(document["Credentials"]) == sorted(
        ["AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration", "AccountId"]
    )
    assert document["Credentials"]["AccountId"] == ACCOUNT
    assert document["Credentials"]["Expiration"] == time.strftime(
        "%Y-%m-%dT%H:%M:%SZ", time.gmtime(sso_server.issued[-1]["expiration"] / 1000)
    )


BOTOCORE_REFRESHED_TOKEN = """
import sys
import botocore.session
from botocore.tokens import SSOTokenProvider
session = botocore.session.Session(profile=sys.argv[1])
print(SSOTokenProvider(session).load_token().get_frozen_token().token)
"""


def test_botocore_renews_a_sign_in_envgen_made(sso_env, sso_server) -> None:
    sso_server.then = "approve"
    assert invoke_envgen(["sso", "login", "dev", "--no-browser"], sso_env).returncode == 0
    path = token_file(sso_env, "corp")
    entry = json.loads(path.read_text())
    entry["expiresAt"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 60))
    path.write_text(json.dumps(entry))
    result = subprocess.run(
        [sys.executable, "-c", BOTOCORE_REFRESHED_TOKEN, "dev"],
        env=sso_env,
        capture_output=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    renewed = result.stdout.decode().strip()
    assert renewed != entry["accessToken"] and renewed in sso_server.access_tokens
    refresh = sso_server.calls_of("CreateToken")[-1].fields
    assert refresh["grantType"] == "refresh_token"
    assert refresh["refreshToken"] == entry["refreshToken"]


def test_persist_keeps_sso_credentials(sso_env, sso_server) -> None:
    signed_in_as_the_aws_cli(sso_env, sso_server)
    result = invoke_envgen(["assume", "dev", "--persist", "--shell", "bash"], sso_env)
    assert result.returncode == 0, result.stderr
    managed = Path(sso_env["XDG_CONFIG_HOME"], "envgen", "persist.sh").read_text()
    assert sso_server.issued[-1]["accessKeyId"] in managed


@pytest.mark.posix("file modes, symlinks and FIFOs")
@pytest.mark.parametrize("planted", ["writable by others", "symlink", "fifo", "huge"])
def test_a_token_file_envgen_cannot_trust_is_no_sign_in(sso_env, sso_server, planted) -> None:
    import os

    signed_in_as_the_aws_cli(sso_env, sso_server)
    path = token_file(sso_env, "corp")
    if planted == "writable by others":
        path.chmod(0o666)
    elif planted == "symlink":
        elsewhere = path.with_name("elsewhere")
        path.rename(elsewhere)
        path.symlink_to(elsewhere)
    elif planted == "fifo":
        path.unlink()
        os.mkfifo(path, 0o600)
    else:
        document = json.loads(path.read_text())
        document["padding"] = "x" * (5 * 1024 * 1024)
        path.write_text(json.dumps(document))
    result = invoke_envgen(["assume", "dev", "--format", "json"], sso_env)
    assert_login_asked(result)
    assert sso_server.operations() == []


@pytest.mark.parametrize(
    ("profile", "expected"),
    [
        ({"sso_account_id": ACCOUNT, "sso_role_name": ROLE_NAME}, True),
        ({"sso_role_name": ROLE_NAME}, True),
        ({"sso_session": "corp"}, False),
        # botocore's assume-role and web identity providers come before its SSO provider.
        ({"sso_account_id": ACCOUNT, "role_arn": "arn:aws:iam::1:role/x"}, False),
        ({"sso_account_id": ACCOUNT, "web_identity_token_file": "/tmp/token"}, False),
    ],
)
def test_which_profiles_envgen_answers_from_identity_center(profile, expected) -> None:
    from envgen.sources.sso_tokens import is_sso_profile

    assert is_sso_profile(profile) is expected
