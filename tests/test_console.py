"""envgen.console: the partition's sign-in host, the landing page, and getSigninToken against a
fake federation endpoint on loopback, misbehaving in every way it can."""

from __future__ import annotations

import json
import time
import urllib.parse

import pytest

from envgen import console
from envgen.credentials import Credentials
from envgen.errors import EnvgenError, UsageError
from envgen.sources import bounded_client
from envgen_process import ACCESS_KEY_ID, SECRET, TOKEN
from federation_server import NOT_JSON, REFUSE, TOO_BIG, TRICKLE

TEMPORARY = Credentials(ACCESS_KEY_ID, SECRET, TOKEN)


@pytest.mark.parametrize(
    ("region", "signin", "console_host"),
    [
        (None, "signin.aws.amazon.com", "console.aws.amazon.com"),
        ("eu-west-1", "signin.aws.amazon.com", "console.aws.amazon.com"),
        ("cn-north-1", "signin.amazonaws.cn", "console.amazonaws.cn"),
        ("cn-northwest-1", "signin.amazonaws.cn", "console.amazonaws.cn"),
        ("us-gov-west-1", "signin.amazonaws-us-gov.com", "console.amazonaws-us-gov.com"),
    ],
)
def test_each_partition_signs_in_on_its_own_host(region, signin, console_host):
    partition = console.partition_of(region)
    assert console.signin_endpoint(partition, {}) == f"https://{signin}/federation"
    assert urllib.parse.urlsplit(console.destination(partition, region)).hostname in (
        console_host,
        f"{region}.{console_host}",
    )


def test_an_isolated_partition_is_refused_by_name():
    with pytest.raises(UsageError, match="isolated partition"):
        console.partition_of("us-isob-east-1")


def test_the_landing_page_follows_service_and_region():
    aws = console.partition_of("eu-west-1")
    assert (
        console.destination(aws, "eu-west-1", "s3")
        == "https://eu-west-1.console.aws.amazon.com/s3/home?region=eu-west-1"
    )
    assert console.destination(aws, None, "ec2") == "https://console.aws.amazon.com/ec2/home"
    assert (
        console.destination(aws, "eu-west-1")
        == "https://eu-west-1.console.aws.amazon.com/console/home?region=eu-west-1"
    )
    given = "https://console.aws.amazon.com/iam/home#/users"
    assert console.destination(aws, "eu-west-1", given_url=given) == given


@pytest.mark.parametrize(
    "url",
    [
        "http://console.aws.amazon.com/",
        "https://evil.example.com/",
        "https://console.aws.amazon.com.evil.example/",
        "https://user@console.aws.amazon.com/",
        "https://console.amazonaws.cn/",  # another partition's console
        "javascript:alert(1)",
        "https://console.aws.amazon.com/\n",
    ],
)
def test_a_destination_off_the_partitions_console_is_refused(url):
    with pytest.raises(UsageError, match="--destination"):
        console.destination(console.partition_of("eu-west-1"), "eu-west-1", given_url=url)


@pytest.mark.parametrize("service", ["S3", "s3/../../x", "", "a" * 41, "s3?x=1"])
def test_a_service_that_is_no_name_is_refused(service):
    with pytest.raises(UsageError, match="--service"):
        console.destination(console.partition_of(None), None, service)


@pytest.mark.parametrize(
    "value",
    [
        "ftp://signin.example.com/federation",
        "https://user:password@signin.example.com/federation",
        "https://signin.example.com/federation?x=1",
        "http://signin.example.com/federation",  # the secret key in clear over the network
        "https://",
    ],
)
def test_a_signin_url_envgen_would_not_send_keys_to_is_refused(value):
    with pytest.raises(UsageError) as refused:
        console.signin_endpoint(console.partition_of(None), {"ENVGEN_SIGNIN_URL": value})
    assert refused.value.message.startswith("ENVGEN_SIGNIN_URL: ")
    assert "password" not in refused.value.message.replace("a user name or password", "")


def test_a_loopback_signin_url_may_be_plain_http():
    url = "http://127.0.0.1:8080/federation"
    assert console.signin_endpoint(console.partition_of(None), {"ENVGEN_SIGNIN_URL": url}) == url


def test_the_session_document_reaches_the_endpoint_in_a_post_body(federation):
    token = console.signin_token(federation.url, TEMPORARY)
    (received,) = federation.requests
    assert received.method == "POST"
    # Nothing of the credentials in the address, which proxies and servers log.
    assert received.query == {}
    assert json.loads(received.form["Session"][0]) == {
        "sessionId": ACCESS_KEY_ID,
        "sessionKey": SECRET,
        "sessionToken": TOKEN,
    }
    assert "SessionDuration" not in received.form
    assert token == federation.issued[ACCESS_KEY_ID]


def test_a_session_duration_is_passed_when_asked(federation):
    console.signin_token(federation.url, TEMPORARY, 7200)
    assert federation.requests[0].form["SessionDuration"] == ["7200"]


def test_the_login_url_carries_token_and_landing_page(federation):
    request = console.ConsoleRequest(service="s3", signin_url=federation.url)
    url = console.sign_in(
        request, Credentials(ACCESS_KEY_ID, SECRET, TOKEN, region="eu-west-1"), False
    )
    parts = urllib.parse.urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == federation.url
    query = urllib.parse.parse_qs(parts.query)
    assert query["Action"] == ["login"]
    assert query["SigninToken"] == [federation.issued[ACCESS_KEY_ID]]
    assert query["Destination"] == [
        "https://eu-west-1.console.aws.amazon.com/s3/home?region=eu-west-1"
    ]
    assert SECRET not in url and TOKEN not in url


def test_long_term_keys_are_refused_before_any_request(federation):
    with pytest.raises(EnvgenError, match="temporary credentials"):
        console.signin_token(federation.url, Credentials("AKIAEXAMPLEKEYID0001", SECRET))
    assert federation.requests == []


def assert_one_line_without_secrets(error: EnvgenError) -> None:
    message = error.message
    assert "\n" not in message
    for secret in (SECRET, TOKEN, "signin-"):
        assert secret not in message


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        (NOT_JSON, "did not answer like the AWS federation endpoint"),
        (TOO_BIG, "more than 64 KiB"),
        (REFUSE, "refused the credentials (HTTP 400)"),
    ],
)
def test_a_misbehaving_endpoint_is_one_line(federation, mode, expected):
    federation.mode = mode
    with pytest.raises(EnvgenError) as failed:
        console.signin_token(federation.url, TEMPORARY)
    assert expected in failed.value.message
    assert_one_line_without_secrets(failed.value)


def test_a_trickling_endpoint_is_given_up_on_within_the_budget(federation, monkeypatch):
    monkeypatch.setattr(bounded_client, "NETWORK_BUDGET_SECONDS", 2)
    federation.mode = TRICKLE
    started = time.monotonic()
    with pytest.raises(EnvgenError, match="no complete answer within 2 s"):
        console.signin_token(federation.url, TEMPORARY)
    assert time.monotonic() - started < 5


def test_an_unreachable_endpoint_is_one_line():
    import socket

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    with pytest.raises(EnvgenError, match="cannot reach the federation endpoint") as failed:
        console.signin_token(f"http://127.0.0.1:{port}/federation", TEMPORARY)
    assert_one_line_without_secrets(failed.value)


def test_a_redirect_is_not_followed(federation):
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    class Redirect(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.send_response(307)
            self.send_header("Location", federation.url)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=server.handle_request, daemon=True).start()
    with pytest.raises(EnvgenError, match="HTTP 307"):
        console.signin_token(f"http://127.0.0.1:{server.server_address[1]}/", TEMPORARY)
    server.server_close()
    assert federation.requests == []


def test_a_destination_is_checked_against_the_region_once_it_is_known():
    china = "https://cn-north-1.console.amazonaws.cn/s3/home"
    # The profile's region may make it right: not refused while the region is unknown.
    assert console.checked_request(None, china, None, None, {}).destination_url == china
    with pytest.raises(UsageError, match="--destination"):
        console.checked_request(None, china, "eu-west-1", None, {})
    with pytest.raises(UsageError, match="--destination"):
        console.checked_request(None, "https://evil.example/", None, None, {})
