"""STS without botocore (envgen.sources.direct_sts) against botocore itself: the same signature
over the same bytes, the same endpoint for every configuration it answers, the same dictionary
from the same answer of a real STS (moto's server over HTTP), and the same one line for every
failure a misbehaving endpoint on loopback can cause."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from envgen.sources import direct_sts
from envgen.sources.request import Place
from hostile_endpoints import HostileEndpoint, read_request
from sts_server import BASE_ACCESS_KEY_ID, BASE_SECRET, StsServer, role_arn

ROLE = role_arn("Dev")
SESSION_TOKEN = "FwoGZXIvYXdzEJr//////////wEaDHostile+Token/With=Padding=="
# Values a serializer or a signer can get wrong: non-ASCII, spaces, and every character with
# a meaning in a form body or a URL.
HOSTILE_VALUES = ["naïve 名前 ☃", "a b&c=d+e%f/g~h", "  leading and trailing  ", "%2F%20+", "~"]
FIXED_MOMENT = datetime(2026, 3, 14, 15, 9, 26, tzinfo=timezone.utc)


def botocore_signed(
    operation: str,
    parameters: dict[str, Any],
    keys: direct_sts.SigningKeys | None,
    endpoint: direct_sts.Endpoint,
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[str, dict[str, str], bytes]:
    """The URL, headers and body botocore's query serializer and SigV4Auth make for the call,
    signed at FIXED_MOMENT."""
    import botocore.auth
    import botocore.session
    from botocore.awsrequest import prepare_request_dict
    from botocore.credentials import Credentials
    from botocore.serialize import create_serializer

    model = botocore.session.get_session().get_service_model("sts").operation_model(operation)
    request_dict = create_serializer("query", include_validation=False).serialize_to_request(
        parameters, model
    )
    prepare_request_dict(request_dict, endpoint_url=endpoint.url)
    from botocore.awsrequest import create_request_object

    request = create_request_object(request_dict)
    if keys is not None:
        monkeypatch.setattr(
            botocore.auth,
            "get_current_datetime",
            lambda remove_tzinfo=True: FIXED_MOMENT.replace(tzinfo=None),
        )
        botocore.auth.SigV4Auth(
            Credentials(keys.access_key_id, keys.secret_access_key, keys.session_token),
            "sts",
            endpoint.signing_region,
        ).add_auth(request)
    prepared = request.prepare()
    headers = {
        name: value.decode() if isinstance(value, bytes) else value
        for name, value in request.headers.items()
    }
    body = prepared.body.encode("utf-8") if isinstance(prepared.body, str) else prepared.body
    return prepared.url, headers, body


SIGNING_CASES = [
    pytest.param(
        "AssumeRole",
        {"RoleArn": ROLE, "RoleSessionName": "envgen", "DurationSeconds": 900},
        direct_sts.SigningKeys(BASE_ACCESS_KEY_ID, BASE_SECRET),
        direct_sts.Endpoint("https://sts.eu-west-1.amazonaws.com", "eu-west-1"),
        id="keys",
    ),
    pytest.param(
        "AssumeRole",
        {"RoleArn": ROLE, "RoleSessionName": "envgen", "ExternalId": "ext"},
        direct_sts.SigningKeys(BASE_ACCESS_KEY_ID, BASE_SECRET, SESSION_TOKEN),
        direct_sts.Endpoint("https://sts.amazonaws.com", "us-east-1"),
        id="session-token",
    ),
    *[
        pytest.param(
            "AssumeRole",
            {"RoleArn": ROLE, "RoleSessionName": value, "ExternalId": value},
            direct_sts.SigningKeys(BASE_ACCESS_KEY_ID, BASE_SECRET, SESSION_TOKEN),
            direct_sts.Endpoint("https://sts.cn-north-1.amazonaws.com.cn", "cn-north-1"),
            id=f"hostile-{index}",
        )
        for index, value in enumerate(HOSTILE_VALUES)
    ],
    pytest.param(
        "GetSessionToken",
        {"DurationSeconds": 3600},
        direct_sts.SigningKeys(BASE_ACCESS_KEY_ID, BASE_SECRET),
        direct_sts.Endpoint("http://127.0.0.1:8443/sts/v1", "us-gov-west-1"),
        id="custom-endpoint-path-port",
    ),
    pytest.param(
        "GetCallerIdentity",
        {},
        direct_sts.SigningKeys(BASE_ACCESS_KEY_ID, BASE_SECRET, SESSION_TOKEN),
        direct_sts.Endpoint("https://localhost:443/", "eu-central-1"),
        id="default-port-named",
    ),
    pytest.param(
        "GetCallerIdentity",
        {},
        direct_sts.SigningKeys(BASE_ACCESS_KEY_ID, BASE_SECRET),
        direct_sts.Endpoint("http://[::1]:8080/", "us-east-1"),
        id="ipv6",
    ),
    pytest.param(
        "AssumeRole",
        {"RoleArn": ROLE, "RoleSessionName": "unsigned"},
        None,
        direct_sts.Endpoint("https://sts.us-west-2.amazonaws.com", "us-west-2"),
        id="unsigned",
    ),
]


@pytest.mark.parametrize(("operation", "parameters", "keys", "endpoint"), SIGNING_CASES)
def test_request_is_signed_byte_for_byte_as_botocore_signs_it(
    operation, parameters, keys, endpoint, monkeypatch
):
    url, headers, body = botocore_signed(operation, parameters, keys, endpoint, monkeypatch)

    ours_body = direct_sts.form_body(operation, {k: str(v) for k, v in parameters.items()})
    ours_url = direct_sts.request_url(endpoint)
    ours_headers = direct_sts.signed_headers(
        ours_url, ours_body, keys, endpoint.signing_region, FIXED_MOMENT
    )

    assert ours_body == body
    assert ours_url == url
    assert ours_headers == headers
    if keys is not None:
        assert "Signature=" in ours_headers["Authorization"]
    else:
        assert "Authorization" not in ours_headers


class ReplayingProxy:
    """Forwards the first request to moto and answers every later one with the bytes moto
    gave the first: two clients get the very same answer."""

    def __init__(self, upstream: str) -> None:
        host, port = upstream.removeprefix("http://").split(":")
        self._upstream = (host, int(port))
        self._lock = threading.Lock()
        self.recorded: bytes | None = None
        self.bodies: list[bytes] = []
        self.endpoint = HostileEndpoint(self._handle)
        self.url = self.endpoint.url

    def _handle(self, connection: socket.socket, server: HostileEndpoint) -> None:
        request = read_request(connection)
        if not request:
            return
        server.count_request()
        self.bodies.append(request.partition(b"\r\n\r\n")[2])
        with self._lock:
            if self.recorded is None:
                with socket.create_connection(self._upstream, timeout=10) as upstream:
                    # One request per connection, so moto's answer ends when it closes.
                    head, _, body = request.partition(b"\r\n\r\n")
                    lines = [
                        line
                        for line in head.split(b"\r\n")
                        if not line.lower().startswith(b"connection:")
                    ]
                    upstream.sendall(
                        b"\r\n".join([*lines, b"Connection: close"]) + b"\r\n\r\n" + body
                    )
                    answer = b""
                    while chunk := upstream.recv(65536):
                        answer += chunk
                self.recorded = answer
        connection.sendall(self.recorded)

    def __enter__(self) -> ReplayingProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.endpoint.stop()


@pytest.mark.parametrize(
    ("operation", "parameters"),
    [
        ("AssumeRole", {"RoleArn": ROLE, "RoleSessionName": "a b&c=d+e%f/g~h"}),
        ("AssumeRole", {"RoleArn": ROLE, "RoleSessionName": "envgen", "DurationSeconds": 900}),
        ("GetSessionToken", {"DurationSeconds": 1800}),
        ("GetSessionToken", {}),
        ("GetCallerIdentity", {}),
    ],
)
def test_call_returns_what_boto3_returns_for_the_same_answer_of_real_sts(
    sts: StsServer, operation, parameters
):
    import boto3
    from botocore import xform_name

    with ReplayingProxy(sts.url) as proxy:
        ours = direct_sts.call(
            operation,
            {name: str(value) for name, value in parameters.items()},
            direct_sts.SigningKeys(BASE_ACCESS_KEY_ID, BASE_SECRET, SESSION_TOKEN),
            direct_sts.Endpoint(proxy.url, "eu-west-1"),
            Place(),
        )
        client = boto3.client(
            "sts",
            endpoint_url=proxy.url,
            region_name="eu-west-1",
            aws_access_key_id=BASE_ACCESS_KEY_ID,
            aws_secret_access_key=BASE_SECRET,
            aws_session_token=SESSION_TOKEN,
        )
        theirs = getattr(client, xform_name(operation))(**parameters)
        # moto saw the request: what it answered was for the parameters given.
        assert sts.log.counts()[operation] == 1
        assert proxy.bodies[0] == proxy.bodies[1]

    assert ours == theirs
    assert list(ours) == list(theirs)
    if "Credentials" in ours:
        assert list(ours["Credentials"]) == list(theirs["Credentials"])
        assert ours["Credentials"]["Expiration"].utcoffset().total_seconds() == 0
    assert list(ours["ResponseMetadata"]) == [
        "RequestId",
        "HTTPStatusCode",
        "HTTPHeaders",
        "RetryAttempts",
    ]


def test_a_call_loads_no_botocore(sts_env: dict[str, str], sts: StsServer):
    program = (
        "import sys\n"
        "from envgen.sources import direct_sts\n"
        "from envgen.sources.request import Place\n"
        f"answer = direct_sts.call('AssumeRole', {{'RoleArn': {ROLE!r}, 'RoleSessionName': 'x'}},"
        f" direct_sts.SigningKeys({BASE_ACCESS_KEY_ID!r}, {BASE_SECRET!r}),"
        f" direct_sts.Endpoint({sts.url!r}, 'eu-west-1'), Place())\n"
        "assert answer['Credentials']['AccessKeyId'], answer\n"
        "loaded = sorted(name for name in sys.modules if name.split('.')[0] in"
        " ('botocore', 'boto3', 'urllib3', 'dateutil', 'jmespath'))\n"
        "print(' '.join(loaded))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program],
        env=sts_env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).parent,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""
    assert sts.log.counts()["AssumeRole"] == 1


def test_output_shapes_follow_botocores_model():
    """The members each operation returns, in botocore's order and with its types."""
    import botocore.session

    model = botocore.session.get_session().get_service_model("sts")

    def described(shape: Any) -> dict[str, Any]:
        return {
            name: described(member) if member.type_name == "structure" else member.type_name
            for name, member in shape.members.items()
        }

    def within(ours: Any, theirs: dict[str, Any]) -> dict[str, Any]:
        # Members a newer botocore knows and an older one lacks are simply absent from
        # both answers; what the installed botocore knows must all be here, in its order.
        return {
            name: within(ours[name], value) if isinstance(value, dict) else ours[name]
            for name, value in theirs.items()
            if name in ours
        }

    for operation, ours in direct_sts.OUTPUT_SHAPES.items():
        theirs = described(model.operation_model(operation).output_shape)
        assert within(ours, theirs) == theirs, operation
        assert list(within(ours, theirs)) == list(theirs), operation


def test_repr_hides_the_secret_and_the_token():
    keys = direct_sts.SigningKeys(BASE_ACCESS_KEY_ID, BASE_SECRET, SESSION_TOKEN)
    assert BASE_SECRET not in repr(keys)
    assert SESSION_TOKEN not in repr(keys)
