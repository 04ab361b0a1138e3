"""`envgen console`: credentials from moto's STS on loopback (a role, a federation token for
long-term keys), Identity Center or the environment, a fake federation endpoint that checks the
session JSON it receives, and a fake browser process that records its arguments. In-process,
except where only a real process shows it (stdout on a terminal)."""

from __future__ import annotations

import json
import shlex
import sys
import urllib.parse
from pathlib import Path

import pytest

from conftest import ENVGEN, HARNESS
from envgen_in_process import invoke_envgen as run_envgen
from envgen_process import (
    ACCESS_KEY_ID,
    SECRET,
    TOKEN,
    assert_failed_cleanly,
    run_on_a_terminal,
)
from federation_server import NOT_JSON, TOO_BIG
from sts_server import BASE_SECRET, role_arn


@pytest.fixture
def console_env(sts_env, federation, tmp_path):
    """Long-term keys in the default profile, STS and the federation endpoint on loopback, and
    a browser that records what it was given."""
    env = dict(sts_env)
    env["ENVGEN_SIGNIN_URL"] = federation.url
    record = tmp_path / "browser.json"
    program = [sys.executable, str(HARNESS / "fake_browser.py"), str(record)]
    env["BROWSER"] = shlex.join(program) + " %s"
    return env


def browser_record(env: dict[str, str]) -> dict[str, object]:
    path = Path(shlex.split(env["BROWSER"])[2])
    return json.loads(path.read_text()) if path.exists() else {}


def login_query(url: str) -> dict[str, list[str]]:
    return urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)


def session_received(federation) -> dict[str, str]:
    (received,) = federation.requests
    return json.loads(received.form["Session"][0])


def assert_no_secret_in(text: str, *secrets: str) -> None:
    for secret in (SECRET, TOKEN, BASE_SECRET, *secrets):
        assert secret not in text


def test_long_term_keys_get_a_federation_token_and_the_browser_a_loopback_address(
    console_env, sts, federation
):
    result = run_envgen(["console", "--service", "s3"], console_env)
    stderr = result.stderr.decode()
    assert result.returncode == 0, stderr
    assert result.stdout == b""
    counts = sts.log.counts()
    assert counts["GetFederationToken"] == 1
    assert counts["GetSessionToken"] == 0
    (asked,) = sts.log.requests("GetFederationToken")
    # The federated user may do what the keys' IAM user may: the session policy allows all.
    assert json.loads(asked["Policy"]) == {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
    }
    assert asked["DurationSeconds"] == "3600"
    assert asked["Name"].startswith("envgen") and len(asked["Name"]) <= 32
    session = session_received(federation)
    # The federation token's credentials, not the long-term keys.
    assert session["sessionKey"] != BASE_SECRET
    seen = browser_record(console_env)
    assert seen["status"] == 303
    location = str(seen["location"])
    query = login_query(location)
    assert query["SigninToken"] == [federation.issued[session["sessionId"]]]
    assert query["Destination"] == [
        "https://eu-west-1.console.aws.amazon.com/s3/home?region=eu-west-1"
    ]
    # The browser's arguments hold no secret: only the loopback address.
    argv = " ".join(map(str, seen["argv"]))  # type: ignore[call-overload]
    assert_no_secret_in(argv, query["SigninToken"][0], session["sessionKey"])
    assert "SigninToken" not in argv
    assert_no_secret_in(stderr, query["SigninToken"][0], session["sessionKey"])
    assert "opened the AWS console" in stderr


def test_a_role_profile_signs_in_as_the_role(console_env, sts, federation):
    config = Path(console_env["AWS_CONFIG_FILE"])
    config.write_text(
        config.read_text()
        + f"[profile admin]\nrole_arn = {role_arn('Admin')}\nsource_profile = default\n"
    )
    result = run_envgen(["console", "admin", "--print-url"], console_env)
    assert result.returncode == 0, result.stderr.decode()
    counts = sts.log.counts()
    assert counts["AssumeRole"] == 1
    assert counts["GetFederationToken"] == 0
    session = session_received(federation)
    url = result.stdout.decode()
    assert url.endswith("\n") and url.count("\n") == 1
    assert login_query(url)["SigninToken"] == [federation.issued[session["sessionId"]]]
    assert browser_record(console_env) == {}  # --print-url opens nothing


def test_temporary_credentials_in_the_environment_are_used_as_they_are(
    console_env, sts, federation
):
    env = dict(console_env)
    env.update(
        AWS_ACCESS_KEY_ID=ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY=SECRET, AWS_SESSION_TOKEN=TOKEN
    )
    result = run_envgen(["console", "--print-url", "--region", "us-gov-west-1"], env)
    assert result.returncode == 0, result.stderr.decode()
    assert sum(sts.log.counts().values()) == 0
    assert session_received(federation) == {
        "sessionId": ACCESS_KEY_ID,
        "sessionKey": SECRET,
        "sessionToken": TOKEN,
    }
    destination = login_query(result.stdout.decode())["Destination"][0]
    assert destination.startswith("https://us-gov-west-1.console.amazonaws-us-gov.com/")
    assert_no_secret_in(result.stderr.decode())


@pytest.mark.posix("a pseudo-terminal")
def test_the_url_is_not_printed_on_a_terminal(console_env, sts, federation):
    status, shown, stderr = run_on_a_terminal([ENVGEN, "console", "--print-url"], console_env)
    assert status == 2
    assert shown == ""
    assert "not printing the sign-in URL to a terminal" in stderr
    # Refused before anything was asked or spent.
    assert sum(sts.log.counts().values()) == 0
    assert federation.requests == []


@pytest.mark.parametrize(
    "signin_url",
    ["http://signin.example.com/federation", "https://user:pw@example.com/", "not a url"],
)
def test_a_bad_signin_url_is_refused_before_any_request(console_env, sts, federation, signin_url):
    env = dict(console_env, ENVGEN_SIGNIN_URL=signin_url)
    message = assert_failed_cleanly(run_envgen(["console", "--print-url"], env), "pw")
    assert message.startswith("ENVGEN_SIGNIN_URL: ")
    assert sum(sts.log.counts().values()) == 0


def test_a_bad_destination_is_refused_before_any_request(console_env, sts):
    result = run_envgen(
        ["console", "--print-url", "--destination", "https://evil.example/"], console_env
    )
    assert "--destination" in assert_failed_cleanly(result)
    assert sum(sts.log.counts().values()) == 0


@pytest.mark.parametrize(("mode", "expected"), [(NOT_JSON, "did not answer"), (TOO_BIG, "KiB")])
def test_a_strange_federation_answer_is_one_line(console_env, federation, mode, expected):
    federation.mode = mode
    message = assert_failed_cleanly(run_envgen(["console", "--print-url"], console_env))
    assert expected in message
    assert_no_secret_in(message)


def test_an_unreachable_federation_endpoint_is_one_line(console_env):
    import socket

    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    env = dict(console_env, ENVGEN_SIGNIN_URL=f"http://127.0.0.1:{port}/federation")
    message = assert_failed_cleanly(run_envgen(["console"], env))
    assert "cannot reach the federation endpoint" in message
    assert browser_record(env) == {}


@pytest.mark.skipif(
    sys.platform in ("darwin", "win32"), reason="the system opener needs no display"
)
def test_without_a_browser_the_command_fails_before_any_request(console_env, sts, federation):
    env = {k: v for k, v in console_env.items() if k not in ("BROWSER", "DISPLAY")}
    env.pop("WAYLAND_DISPLAY", None)
    message = assert_failed_cleanly(run_envgen(["console"], env))
    assert "--print-url" in message
    assert sum(sts.log.counts().values()) == 0
    assert federation.requests == []


def test_an_sso_profile_signs_in_as_its_role(sso_env, sso_server, federation):
    env = dict(sso_env, ENVGEN_SIGNIN_URL=federation.url)
    before = run_envgen(["console", "dev", "--print-url"], env)
    assert "run envgen sso login dev" in assert_failed_cleanly(before)
    assert federation.requests == []
    sso_server.then = "approve"
    assert run_envgen(["sso", "login", "dev", "--no-browser"], env).returncode == 0
    result = run_envgen(["console", "dev", "--print-url"], env)
    assert result.returncode == 0, result.stderr.decode()
    session = session_received(federation)
    assert sso_server.calls_of("GetRoleCredentials")
    assert login_query(result.stdout.decode())["SigninToken"] == [
        federation.issued[session["sessionId"]]
    ]
    assert (
        "eu-central-1.console.aws.amazon.com"
        in login_query(result.stdout.decode())["Destination"][0]
    )


def test_duration_sets_the_federation_token_not_the_session(console_env, sts, federation):
    result = run_envgen(["console", "--print-url", "--duration-seconds", "7200"], console_env)
    assert result.returncode == 0, result.stderr.decode()
    (asked,) = sts.log.requests("GetFederationToken")
    assert asked["DurationSeconds"] == "7200"
    # AWS takes no SessionDuration with a federation token: its own duration is the session's.
    assert "SessionDuration" not in federation.requests[0].form


@pytest.mark.posix("a pseudo-terminal")
def test_show_secrets_prints_the_url_on_a_terminal(console_env, federation):
    status, shown, stderr = run_on_a_terminal(
        [ENVGEN, "console", "--print-url", "--show-secrets"], console_env
    )
    assert status == 0, stderr
    session = session_received(federation)
    assert login_query(shown.strip())["SigninToken"] == [federation.issued[session["sessionId"]]]
