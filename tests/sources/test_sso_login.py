"""`envgen sso login` and `envgen sso logout` against a fake IAM Identity Center on loopback:
the device authorization grant through pending, slow-down, approval, denial and expiry, the
token cache in the AWS CLI's format, the client registration reused, the browser opened or not."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
import time
from pathlib import Path

import pytest

from envgen.sources.sso_login import browser_allowed
from envgen_in_process import invoke_envgen
from sso_server import ACCESS_SCOPE, SSO_REGION, START_URL, SsoServer, sso_config, token_file

# The fields the AWS CLI v2 writes for a device-code sign-in, in its order.
TOKEN_FIELDS = [
    "startUrl",
    "region",
    "accessToken",
    "expiresAt",
    "clientId",
    "clientSecret",
    "registrationExpiresAt",
]


def assert_failed_in_one_line(result, *words: str) -> str:  # type: ignore[no-untyped-def]
    assert result.returncode != 0
    assert result.stdout == b""
    lines = result.stderr.decode().splitlines()
    assert lines[-1].startswith("envgen: error: "), lines
    assert "Traceback" not in result.stderr.decode()
    for word in words:
        assert word in lines[-1]
    return lines[-1]


def assert_no_secret(server: SsoServer, text: bytes) -> None:
    secrets = list(server.access_tokens) + list(server.refresh_tokens)
    secrets += [client["clientSecret"] for client in server.clients.values()]
    secrets += [code for code in server.devices]
    for secret in secrets:
        assert secret.encode() not in text


@pytest.mark.posix("file modes")
def test_login_caches_the_token_as_the_aws_cli_does(sso_env, sso_server) -> None:
    sso_server.answers = ["pending", "pending"]
    sso_server.then = "approve"
    started = time.time()
    result = invoke_envgen(["sso", "login", "dev", "--no-browser"], sso_env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == b""
    assert_no_secret(sso_server, result.stderr)
    device = next(iter(sso_server.devices.values()))
    # The URL with the code in it, and the code itself.
    assert f"?user_code={device.user_code}" in result.stderr.decode()
    assert f"code {device.user_code}" in result.stderr.decode()

    path = token_file(sso_env, "corp")
    assert path.name == hashlib.sha1(b"corp").hexdigest() + ".json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    token = json.loads(path.read_text())
    assert list(token) == [*TOKEN_FIELDS, "refreshToken"]
    assert token["startUrl"] == START_URL and token["region"] == SSO_REGION
    assert token["accessToken"] in sso_server.access_tokens
    assert token["refreshToken"] in sso_server.refresh_tokens
    expires = time.mktime(time.strptime(token["expiresAt"], "%Y-%m-%dT%H:%M:%SZ")) - time.timezone
    assert (
        started + sso_server.token_seconds - 5 <= expires <= time.time() + sso_server.token_seconds
    )
    registration = sso_server.clients[token["clientId"]]
    assert registration["scopes"] == [ACCESS_SCOPE]
    assert registration["clientName"] == "botocore-client-corp"
    # RFC 8628: one poll per interval, never faster.
    polls = [call.at for call in sso_server.calls_of("CreateToken")]
    assert len(polls) == 3
    assert all(later - earlier >= 0.95 for earlier, later in zip(polls, polls[1:], strict=False))


def test_slow_down_adds_five_seconds_to_the_interval(sso_env, sso_server) -> None:
    sso_server.answers = ["slow_down"]
    sso_server.then = "approve"
    result = invoke_envgen(["sso", "login", "--sso-session", "corp", "--no-browser"], sso_env)
    assert result.returncode == 0, result.stderr
    first, second = (call.at for call in sso_server.calls_of("CreateToken"))
    assert second - first >= sso_server.interval + 5 - 0.05


def test_denial_in_the_browser_ends_the_login(sso_env, sso_server) -> None:
    sso_server.answers = ["pending", "deny"]
    result = invoke_envgen(["sso", "login", "dev", "--no-browser"], sso_env)
    assert_failed_in_one_line(result, "denied", "envgen sso login")
    assert not token_file(sso_env, "corp").exists()
    assert_no_secret(sso_server, result.stderr)


def test_expired_token_answer_ends_the_login(sso_env, sso_server) -> None:
    sso_server.answers = ["expire"]
    result = invoke_envgen(["sso", "login", "dev", "--no-browser"], sso_env)
    assert_failed_in_one_line(result, "expired", "envgen sso login")
    assert not token_file(sso_env, "corp").exists()


def test_polling_stops_when_the_device_code_expires(sso_env, sso_server) -> None:
    # Nobody ever signs in, and the server never says expired_token: envgen stops by itself.
    sso_server.device_seconds = 3
    started = time.monotonic()
    result = invoke_envgen(["sso", "login", "dev", "--no-browser"], sso_env)
    assert_failed_in_one_line(result, "expired")
    assert time.monotonic() - started < 10
    polls = [call.at for call in sso_server.calls_of("CreateToken")]
    device_started = sso_server.calls_of("StartDeviceAuthorization")[0].at
    assert polls and all(at - device_started <= 3.5 for at in polls)


@pytest.mark.posix("file modes")
def test_registration_is_reused_until_it_expires(sso_env, sso_server) -> None:
    sso_server.then = "approve"
    for _ in range(2):
        assert invoke_envgen(["sso", "login", "dev", "--no-browser"], sso_env).returncode == 0
    assert sso_server.operations().count("RegisterClient") == 1
    assert sso_server.operations().count("StartDeviceAuthorization") == 2
    cache = Path(sso_env["HOME"], ".aws", "sso", "cache")
    registrations = [path for path in cache.iterdir() if path != token_file(sso_env, "corp")]
    assert len(registrations) == 1
    # botocore's key: what the registration was made for.
    key = json.dumps(
        {
            "tool": "botocore",
            "startUrl": START_URL,
            "region": SSO_REGION,
            "scopes": [ACCESS_SCOPE],
            "session_name": "corp",
        },
        sort_keys=True,
    )
    assert registrations[0].name == hashlib.sha1(key.encode()).hexdigest() + ".json"
    assert stat.S_IMODE(registrations[0].stat().st_mode) == 0o600

    # A registration with less than botocore's 15 minutes left is made anew.
    entry = json.loads(registrations[0].read_text())
    entry["expiresAt"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 600))
    registrations[0].write_text(json.dumps(entry))
    assert invoke_envgen(["sso", "login", "dev", "--no-browser"], sso_env).returncode == 0
    assert sso_server.operations().count("RegisterClient") == 2


def test_a_registration_revoked_on_the_server_is_made_anew(sso_env, sso_server) -> None:
    sso_server.then = "approve"
    assert invoke_envgen(["sso", "login", "dev", "--no-browser"], sso_env).returncode == 0
    sso_server.clients.clear()
    result = invoke_envgen(["sso", "login", "dev", "--no-browser"], sso_env)
    assert result.returncode == 0, result.stderr
    assert sso_server.operations().count("RegisterClient") == 2


def test_legacy_profile_files_the_token_under_its_start_url(sso_env, sso_server) -> None:
    Path(sso_env["AWS_CONFIG_FILE"]).write_text(sso_config(session=None, profile="old"))
    sso_server.then = "approve"
    result = invoke_envgen(["sso", "login", "old", "--no-browser"], sso_env)
    assert result.returncode == 0, result.stderr
    token = json.loads(token_file(sso_env, START_URL).read_text())
    # No scopes registered: Identity Center gives no refresh token.
    assert list(token) == TOKEN_FIELDS
    assert sso_server.clients[token["clientId"]]["clientName"].startswith("botocore-client-1")


def test_profile_from_aws_profile(sso_env, sso_server) -> None:
    sso_server.then = "approve"
    result = invoke_envgen(["sso", "login", "--no-browser"], dict(sso_env, AWS_PROFILE="dev"))
    assert result.returncode == 0, result.stderr
    assert token_file(sso_env, "corp").exists()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["dev", "--sso-session", "corp"], ["PROFILE or --sso-session"]),
        (["--sso-session", "other"], ["no [sso-session other]", "corp"]),
        (["nosuch"], ["no profile 'nosuch'"]),
    ],
)
def test_login_refuses_what_names_no_sign_in(sso_env, sso_server, args, words) -> None:
    Path(sso_env["AWS_CONFIG_FILE"]).write_text(
        sso_config() + "\n[profile keys]\nregion = eu-west-1\n"
    )
    result = invoke_envgen(["sso", "login", *args, "--no-browser"], sso_env)
    assert_failed_in_one_line(result, *words)
    assert sso_server.operations() == []


def test_a_profile_without_sso_settings_is_refused(sso_env, sso_server) -> None:
    Path(sso_env["AWS_CONFIG_FILE"]).write_text("[profile keys]\nregion = eu-west-1\n")
    result = invoke_envgen(["sso", "login", "keys", "--no-browser"], sso_env)
    assert_failed_in_one_line(result, "IAM Identity Center")


def fake_browser(directory: Path, name: str, approve: bool) -> Path:
    """A browser command that notes the URL it was given and, like a person signing in, opens it."""
    record = directory / f"{name}.opened"
    script = directory / name
    script.write_text(
        f"#!{sys.executable}\n"
        "import sys, urllib.request\n"
        f"open({str(record)!r}, 'a').write(sys.argv[-1] + '\\n')\n"
        + ("urllib.request.urlopen(sys.argv[-1], timeout=10).read()\n" if approve else "")
        + "print('browser chatter on stdout')\n"
    )
    script.chmod(0o755)
    return record


@pytest.mark.posix("a browser script run by its #! line")
def test_browser_opens_the_verification_url(sso_env, sso_server, tmp_path) -> None:
    record = fake_browser(tmp_path, "browser", approve=True)
    env = dict(sso_env, BROWSER=str(tmp_path / "browser"))
    result = invoke_envgen(["sso", "login", "dev"], env)
    assert result.returncode == 0, result.stderr
    # Nothing the browser prints reaches envgen's stdout.
    assert result.stdout == b""
    # The browser reached the verification page with the code in it.
    device = next(iter(sso_server.devices.values()))
    opened = sso_server.calls_of("OpenVerificationPage")
    assert [call.fields["user_code"] for call in opened] == [device.user_code]
    assert len(record.read_text().splitlines()) == 1
    assert "opened in your browser" in result.stderr.decode()
    assert token_file(sso_env, "corp").exists()


def test_no_browser_opens_none(sso_env, sso_server, tmp_path) -> None:
    record = fake_browser(tmp_path, "browser", approve=True)
    sso_server.answers = ["pending"]
    sso_server.then = "approve"
    env = dict(sso_env, BROWSER=str(tmp_path / "browser"))
    result = invoke_envgen(["sso", "login", "dev", "--no-browser"], env)
    assert result.returncode == 0, result.stderr
    time.sleep(0.5)
    assert not record.exists()


def test_no_browser_without_a_display(sso_env, sso_server, tmp_path) -> None:
    # Python's webbrowser would fall back to a text browser in the terminal: never here.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    records = [fake_browser(bin_dir, name, approve=True) for name in ("www-browser", "xdg-open")]
    sso_server.then = "approve"
    env = {
        key: value for key, value in sso_env.items() if key not in ("DISPLAY", "WAYLAND_DISPLAY")
    }
    env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"
    result = invoke_envgen(["sso", "login", "dev"], env)
    assert result.returncode == 0, result.stderr
    assert "open it in a browser on any device" in result.stderr.decode()
    time.sleep(0.5)
    assert not any(record.exists() for record in records)


@pytest.mark.parametrize(
    ("environ", "container", "expected"),
    [
        ({}, False, True),
        ({"SSH_CONNECTION": "10.0.0.1 50000 10.0.0.2 22"}, False, False),
        ({"SSH_TTY": "/dev/pts/1", "DISPLAY": "localhost:10.0"}, False, False),
        ({"DISPLAY": ":0"}, True, False),
        ({"BROWSER": "firefox", "SSH_CLIENT": "10.0.0.1 50000 22"}, True, True),
    ],
)
def test_when_a_browser_may_be_opened(environ, container, expected) -> None:
    assert browser_allowed(environ, container) is expected


def test_logout_ends_the_session_and_removes_what_it_gave(sso_env, sso_server) -> None:
    sso_server.then = "approve"
    assert invoke_envgen(["sso", "login", "dev", "--no-browser"], sso_env).returncode == 0
    assert invoke_envgen(["assume", "dev", "--format", "json"], sso_env).returncode == 0
    token = json.loads(token_file(sso_env, "corp").read_text())["accessToken"]
    role_cache = Path(sso_env["HOME"], ".aws", "cli", "cache")
    assert len(list(role_cache.iterdir())) == 1
    result = invoke_envgen(["sso", "logout", "dev"], sso_env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == b""
    assert sso_server.logged_out == [token]
    assert not token_file(sso_env, "corp").exists()
    assert list(role_cache.iterdir()) == []
    # The registration stays, as the AWS CLI leaves it.
    assert len(list(token_file(sso_env, "corp").parent.iterdir())) == 1
    after = invoke_envgen(["assume", "dev", "--format", "json"], sso_env)
    assert_failed_in_one_line(after, "run envgen sso login dev")


def test_logout_without_a_name_ends_every_session(sso_env, sso_server) -> None:
    Path(sso_env["AWS_CONFIG_FILE"]).write_text(
        sso_config() + "\n" + sso_config(session=None, profile="old")
    )
    sso_server.then = "approve"
    for profile in ("dev", "old"):
        assert invoke_envgen(["sso", "login", profile, "--no-browser"], sso_env).returncode == 0
    result = invoke_envgen(["sso", "logout"], sso_env)
    assert result.returncode == 0, result.stderr
    assert len(sso_server.logged_out) == 2
    assert not token_file(sso_env, "corp").exists()
    assert not token_file(sso_env, START_URL).exists()


def test_a_bad_sso_region_is_refused_before_any_request(sso_env, sso_server) -> None:
    config = sso_config().replace(f"sso_region = {SSO_REGION}", "sso_region = EU-West-1")
    Path(sso_env["AWS_CONFIG_FILE"]).write_text(config)
    for command in (["sso", "login", "dev", "--no-browser"], ["assume", "dev"]):
        result = invoke_envgen(command, sso_env)
        assert_failed_in_one_line(result, "sso_region", "eu-west-1")
    assert sso_server.operations() == []
