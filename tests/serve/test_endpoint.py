"""The endpoint on its own: what it answers when it has credentials, and when it has none."""

from __future__ import annotations

import json
import os
import subprocess
import sys
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


@pytest.mark.posix("/proc/net/tcp, and root to act as another user")
@pytest.mark.skipif(
    not hasattr(os, "getuid") or os.getuid() != 0 or not os.path.exists("/proc/net/tcp"),
    reason="acting as another user needs root, and the owner check Linux's /proc/net/tcp",
)
def test_another_users_connections_are_closed_at_once(served):
    endpoint, _ = served
    # A process of user nobody connects and says nothing: were it served, it would hold a
    # slot until the request's deadline and then get 408.
    script = (
        "import os, socket, sys, time\n"
        # Python loads the codec for host names lazily, from files user nobody cannot read.
        "'x'.encode('idna')\n"
        "os.setgid(65534); os.setuid(65534)\n"
        "c = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=10)\n"
        "started = time.monotonic()\n"
        "answer = c.recv(100)\n"
        "print(repr(answer), round(time.monotonic() - started, 1))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(endpoint.port)],
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()
    answer, seconds = result.stdout.decode().rsplit(" ", 1)
    assert answer == "b''"
    assert float(seconds) < 2
    assert ask(endpoint)[0] == 200
