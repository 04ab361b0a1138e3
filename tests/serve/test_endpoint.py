"""The endpoint on its own: what it answers when it has credentials, and when it has none."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone
from typing import NoReturn

import pytest

from envgen.credentials import Credentials
from envgen.serve.endpoint import CredentialsEndpoint

EXPIRES = datetime(2099, 1, 31, 12, 0, tzinfo=timezone.utc)
HELD = Credentials("ASIAEXAMPLEKEYID0001", "secret", "token", EXPIRES)


def ask(endpoint: CredentialsEndpoint, path: str = "/credentials") -> tuple[int, object]:
    url = endpoint.url.rsplit("/", 1)[0] + path
    request = urllib.request.Request(url, headers={"Authorization": endpoint.token})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


@pytest.fixture
def served():
    held: list[Credentials | None] = [HELD]
    endpoint = CredentialsEndpoint(lambda: held[0])
    endpoint.start()
    yield endpoint, held
    endpoint.stop()


def test_the_sdks_document(served):
    endpoint, _ = served
    assert ask(endpoint) == (
        200,
        {
            "AccessKeyId": "ASIAEXAMPLEKEYID0001",
            "SecretAccessKey": "secret",
            "Token": "token",
            "Expiration": "2099-01-31T12:00:00Z",
        },
    )


def test_no_valid_credentials_is_an_error_not_stale_keys(served):
    endpoint, held = served
    held[0] = None
    status, document = ask(endpoint)
    assert status == 503
    assert "ASIA" not in json.dumps(document)


def test_only_its_path_is_answered(served):
    endpoint, _ = served
    assert ask(endpoint, "/other")[0] == 404


def test_each_run_has_its_own_token_and_port():
    first, second = CredentialsEndpoint(lambda: HELD), CredentialsEndpoint(lambda: HELD)
    try:
        assert first.token != second.token
        assert first.port != second.port
        assert first.url.startswith("http://127.0.0.1:")
    finally:
        first.stop()
        second.stop()


def test_the_renewal_serves_nothing_once_the_credentials_have_expired():
    from envgen.serve.renewal import Renewal

    def never() -> NoReturn:
        raise AssertionError("not renewed here")

    expired = Credentials(
        "ASIAEXAMPLEKEYID0001", "s", "t", datetime.now(timezone.utc) - timedelta(1)
    )
    assert Renewal(never, expired, 300).current() is None
    assert Renewal(never, HELD, 300).current() is HELD
