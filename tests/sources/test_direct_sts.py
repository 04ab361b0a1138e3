"""STS without botocore (envgen.sources.direct_sts) against botocore itself: the same signature
over the same bytes, the same endpoint for every configuration it answers, the same dictionary
from the same answer of a real STS (moto's server over HTTP), and the same one line for every
failure a misbehaving endpoint on loopback can cause."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
import types
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from envgen.sources import direct_sts
from envgen.sources.request import Place
from hostile_endpoints import (
    HostileEndpoint,
    answer,
    answering,
    endless_body,
    read_request,
    silent,
    trickling,
)
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
        if hasattr(botocore.auth, "get_current_datetime"):
            monkeypatch.setattr(
                botocore.auth,
                "get_current_datetime",
                lambda remove_tzinfo=True: FIXED_MOMENT.replace(tzinfo=None),
            )
        else:
            # Before botocore 1.34 SigV4Auth asks datetime.datetime.utcnow().
            class Frozen(datetime):
                @classmethod
                def utcnow(cls) -> datetime:  # type: ignore[override]
                    return FIXED_MOMENT.replace(tzinfo=None)

            monkeypatch.setattr(botocore.auth, "datetime", types.SimpleNamespace(datetime=Frozen))
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
        # AWS_ENDPOINT_URL_STS names the server: resolving it reads botocore's source only.
        "endpoint = direct_sts.resolve_endpoint(Place(), {'region': 'eu-west-1'}, 'eu-west-1')\n"
        f"assert endpoint == direct_sts.Endpoint({sts.url!r}, 'eu-west-1'), endpoint\n"
        "direct_sts.ca_bundle(None, {})\n"
        f"answer = direct_sts.call('AssumeRole', {{'RoleArn': {ROLE!r}, 'RoleSessionName': 'x'}},"
        f" direct_sts.SigningKeys({BASE_ACCESS_KEY_ID!r}, {BASE_SECRET!r}), endpoint, Place())\n"
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


# ---------------------------------------------------------------------------------------------
# The same answer, the same line: botocore's road (envgen's bounded session) against direct_sts

SUCCESS_BODY = (
    b'<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
    b"<AssumeRoleResult><SourceIdentity>me</SourceIdentity><AssumedRoleUser>"
    b"<AssumedRoleId>AROA3XFRBF535PLBIFPI4:envgen</AssumedRoleId>"
    b"<Arn>arn:aws:sts::123456789012:assumed-role/Dev/envgen</Arn></AssumedRoleUser>"
    b"<Credentials><AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId>"
    b"<SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>"
    b"<SessionToken>AQoDYXdzEPT//////////wEXAMPLEtc764</SessionToken>"
    b"<Expiration>2030-07-15T23:28:33.359Z</Expiration></Credentials>"
    b"<PackedPolicySize>6</PackedPolicySize></AssumeRoleResult>"
    b"<ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>"
    b"</ResponseMetadata></AssumeRoleResponse>"
)


def error_body(code: str, message: str = "Something is wrong", kind: str = "Sender") -> bytes:
    return (
        '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error>'
        f"<Type>{kind}</Type><Code>{code}</Code><Message>{message}</Message></Error>"
        "<RequestId>4a2c1b9e</RequestId></ErrorResponse>"
    ).encode()


def in_turn(*responses: bytes):  # type: ignore[no-untyped-def]
    """Answers the Nth request with the Nth response, the last one for ever after."""
    lock = threading.Lock()

    def handler(connection: socket.socket, server: HostileEndpoint) -> None:
        if not read_request(connection):
            return
        with lock:
            index = server.requests
            server.count_request()
        connection.sendall(responses[min(index, len(responses) - 1)])

    return handler


def hangs_up(connection: socket.socket, server: HostileEndpoint) -> None:
    """Reads the request and closes the connection without a word."""
    if read_request(connection):
        server.count_request()


def hangs_up_mid_body(connection: socket.socket, server: HostileEndpoint) -> None:
    """Promises a body and closes the connection halfway through it."""
    if read_request(connection):
        server.count_request()
        connection.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 5000\r\n\r\n"
            + SUCCESS_BODY[:100]
        )


def stalls_mid_body(connection: socket.socket, server: HostileEndpoint) -> None:
    """Sends half the body, then nothing until the client gives up."""
    if read_request(connection):
        server.count_request()
        connection.sendall(
            f"HTTP/1.1 200 OK\r\nContent-Length: {len(SUCCESS_BODY)}\r\n\r\n".encode()
            + SUCCESS_BODY[:100]
        )
        while server.alive() and connection.recv(1):
            pass


def resets_mid_body(connection: socket.socket, server: HostileEndpoint) -> None:
    """Sends half the body, then resets the connection."""
    import struct

    if read_request(connection):
        server.count_request()
        connection.sendall(
            f"HTTP/1.1 200 OK\r\nContent-Length: {len(SUCCESS_BODY)}\r\n\r\n".encode()
            + SUCCESS_BODY[:100]
        )
        time.sleep(0.2)
        # Lingering for no time makes close() send a reset.
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


FIXED_ANSWERS = {
    "success": answering(answer("200 OK", SUCCESS_BODY)),
    "success with x-amz headers": answering(
        answer("200 OK", SUCCESS_BODY).replace(
            b"\r\n\r\n", b"\r\nX-Amzn-RequestId: 1\r\nX-Extra: a\r\nx-extra: b\r\n\r\n", 1
        )
    ),
    "403 AccessDenied": answering(
        answer("403 Forbidden", error_body("AccessDenied", "User: x is not authorized\n to"))
    ),
    "400 ValidationError": answering(answer("400 Bad Request", error_body("ValidationError"))),
    "400 unknown code": answering(answer("400 Bad Request", error_body("NoSuchThing"))),
    "400 empty code": answering(
        answer("400 Bad Request", b"<ErrorResponse><Error><Code/></Error></ErrorResponse>")
    ),
    "400 Errors list": answering(
        answer(
            "400 Bad Request",
            b"<Response><Errors><Error><Code>ExpiredToken</Code><Message>m</Message></Error>"
            b"</Errors><RequestId>r</RequestId></Response>",
        )
    ),
    "400 throttled twice": answering(answer("400 Bad Request", error_body("Throttling"))),
    "400 throttled then success": in_turn(
        answer("400 Bad Request", error_body("Throttling")), answer("200 OK", SUCCESS_BODY)
    ),
    "500 twice": answering(
        answer("500 Internal Server Error", error_body("InternalFailure", kind="Receiver"))
    ),
    "500 empty twice": answering(answer("500 Internal Server Error", b"")),
    "502 html twice": answering(
        answer("502 Bad Gateway", b"<html><body>Bad gateway</body></html>", "text/html")
    ),
    "503 then success": in_turn(
        answer("503 Service Unavailable", b""), answer("200 OK", SUCCESS_BODY)
    ),
    "403 html": answering(
        answer("403 Forbidden", b"<html><body><h1>Forbidden</h1></body></html>", "text/html")
    ),
    "403 html not xml": answering(
        answer(
            "403 Forbidden",
            b"<!DOCTYPE html><html><body>Forbidden<br></body></html>",
            "text/html",
        )
    ),
    "403 html with doctype": answering(
        answer("403 Forbidden", b"<!DOCTYPE html><html><body>No</body></html>", "text/html")
    ),
    "200 html": answering(
        answer("200 OK", b"<html><body>Welcome to the proxy</body></html>", "text/html")
    ),
    "200 empty": answering(answer("200 OK", b"")),
    "200 without credentials": answering(
        answer("200 OK", b"<AssumeRoleResponse><AssumeRoleResult/></AssumeRoleResponse>")
    ),
    "200 credentials lacking the token": answering(
        answer("200 OK", SUCCESS_BODY.replace(b"AQoDYXdzEPT//////////wEXAMPLEtc764", b""))
    ),
    "200 another operation": answering(
        answer(
            "200 OK",
            SUCCESS_BODY.replace(b"AssumeRoleResponse", b"GetSessionTokenResponse").replace(
                b"AssumeRoleResult", b"GetSessionTokenResult"
            ),
        )
    ),
    "200 with a dtd": answering(
        answer("200 OK", b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e "x">]>' + SUCCESS_BODY)
    ),
    "oversized": endless_body(3 * 1024 * 1024),
    "trickling": trickling(0.3),
    "silent": silent,
    "hangs up": hangs_up,
    "hangs up mid-body": hangs_up_mid_body,
    "stalls mid-body": stalls_mid_body,
    "resets mid-body": resets_mid_body,
    "chunked": answering(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nTransfer-Encoding: chunked\r\n\r\n"
        + b"".join(
            b"%x\r\n%s\r\n" % (len(part), part) for part in (SUCCESS_BODY[:100], SUCCESS_BODY[100:])
        )
        + b"0\r\n\r\n"
    ),
    "interim 100 first": answering(
        b"HTTP/1.1 100 Continue\r\n\r\n" + answer("200 OK", SUCCESS_BODY)
    ),
    "no length, closed": answering(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nConnection: close\r\n\r\n" + SUCCESS_BODY
    ),
    "not http": answering(b"SSH-2.0-OpenSSH_9.6\r\n"),
}


@pytest.fixture
def keys_in_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> direct_sts.SigningKeys:
    """Keys in the environment, empty AWS files, nothing else that could steer botocore."""
    for name in list(os.environ):
        if name.startswith(("AWS_", "ENVGEN_")) or name.lower().endswith("_proxy"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", BASE_ACCESS_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", BASE_SECRET)
    monkeypatch.setenv("AWS_SESSION_TOKEN", SESSION_TOKEN)
    return direct_sts.SigningKeys(BASE_ACCESS_KEY_ID, BASE_SECRET, SESSION_TOKEN)


Outcome = tuple[str, Any]


def by_botocore(operation: str, parameters: dict[str, Any], place: Place) -> Outcome:
    """What envgen's botocore road makes of the call: its answer, or its one line."""
    from botocore import xform_name

    from envgen.errors import EnvgenError
    from envgen.sources import sts_session

    try:
        with sts_session.sts_errors(place):
            context = sts_session.open_context(place, None)
            client = context.client()
            return "answer", getattr(client, xform_name(operation))(**parameters)
    except EnvgenError as error:
        return "error", (error.message, error.exit_code)
    except Exception as error:
        # What the command reports then: "unexpected <type>", status 70.
        return "unexpected", type(error).__name__


def by_direct(
    operation: str, parameters: dict[str, Any], place: Place, keys: direct_sts.SigningKeys
) -> Outcome:
    from envgen.errors import EnvgenError

    assert place.endpoint_url is not None
    try:
        return "answer", direct_sts.call(
            operation,
            {name: str(value) for name, value in parameters.items()},
            keys,
            direct_sts.Endpoint(place.endpoint_url, place.region or "us-east-1"),
            place,
        )
    except EnvgenError as error:
        return "error", (error.message, error.exit_code)


def both_roads(handler, keys, capsys, operation="AssumeRole"):  # type: ignore[no-untyped-def]
    parameters = {"RoleArn": ROLE, "RoleSessionName": "envgen", "DurationSeconds": 900}
    if operation != "AssumeRole":
        parameters = {}
    outcomes = []
    # One server for both, so both name the same endpoint; its count starts again for each.
    with HostileEndpoint(handler) as server:
        place = Place(region="eu-west-1", endpoint_url=server.url)
        for road in ("botocore", "direct"):
            server.requests = 0
            if road == "botocore":
                outcome = by_botocore(operation, parameters, place)
            else:
                outcome = by_direct(operation, parameters, place, keys)
            outcomes.append((outcome, server.requests, capsys.readouterr()))
    return outcomes


@pytest.mark.parametrize("name", FIXED_ANSWERS)
def test_each_answer_gives_the_same_result_on_both_roads(
    name, keys_in_environment, capsys, monkeypatch
):
    from envgen.sources import bounded_client

    # Shortened for both roads alike, so a trickle or a silence ends within seconds.
    monkeypatch.setattr(bounded_client, "NETWORK_BUDGET_SECONDS", 3)
    monkeypatch.setattr(bounded_client, "READ_TIMEOUT_SECONDS", 1)
    (
        (botocore_outcome, botocore_requests, botocore_said),
        (
            direct_outcome,
            direct_requests,
            direct_said,
        ),
    ) = both_roads(FIXED_ANSWERS[name], keys_in_environment, capsys)

    if direct_outcome[0] == botocore_outcome[0] == "answer":
        ours, theirs = direct_outcome[1], botocore_outcome[1]
        assert ours["ResponseMetadata"] == theirs["ResponseMetadata"]
        assert list(ours) == list(theirs)
    assert direct_outcome == botocore_outcome
    assert direct_requests == botocore_requests
    assert (direct_said.out, direct_said.err) == (botocore_said.out, botocore_said.err)
    if direct_outcome[0] == "error":
        message, _ = direct_outcome[1]
        assert "\n" not in message
        assert BASE_SECRET not in message and SESSION_TOKEN not in message


@pytest.mark.parametrize("where", ["closed port", "unknown host"])
def test_an_endpoint_not_reached_gives_the_same_line_on_both_roads(keys_in_environment, where):
    from hostile_endpoints import closed_port_url

    # .invalid is a name no resolver answers (RFC 2606).
    url = closed_port_url() if where == "closed port" else "https://sts.envgen.invalid"
    place = Place(region="eu-west-1", endpoint_url=url)
    parameters = {"RoleArn": ROLE, "RoleSessionName": "envgen"}
    botocore_outcome = by_botocore("AssumeRole", parameters, place)
    assert botocore_outcome[0] == "error"
    assert "EndpointConnectionError" in botocore_outcome[1][0]
    assert by_direct("AssumeRole", parameters, place, keys_in_environment) == botocore_outcome


def test_identity_answers_alike(keys_in_environment, capsys):
    body = (
        b"<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::1:user/u</Arn>"
        b"<UserId>AIDA</UserId><Account>123456789012</Account></GetCallerIdentityResult>"
        b"</GetCallerIdentityResponse>"
    )
    for answered in (body, body.replace(b"<Account>123456789012</Account>", b"")):
        results = both_roads(
            answering(answer("200 OK", answered)), keys_in_environment, capsys, "GetCallerIdentity"
        )
        assert results[0][0] == results[1][0]


@pytest.mark.parametrize(
    ("body", "crash", "code"),
    [
        (b"<ErrorResponse><Error/></ErrorResponse>", "AttributeError", "UnknownError"),
        (
            b"<ErrorResponse><Error><Code><A>x</A></Code></Error></ErrorResponse>",
            "TypeError",
            "{'A': 'x'}",
        ),
    ],
)
def test_an_error_botocore_cannot_read_is_still_one_line(
    keys_in_environment, capsys, body, crash, code
):
    """botocore itself fails on these (its endpoint reads the code from None; it looks a
    dictionary up as a code): envgen's botocore road reports an unexpected error there; the
    direct road says what STS refused, as the error's text reads."""
    results = both_roads(answering(answer("400 Bad Request", body)), keys_in_environment, capsys)
    assert results[0][0] == ("unexpected", crash)
    assert results[1][0] == (
        "error",
        (f"STS refused AssumeRole: {code}; see the AWS documentation for this error code", 1),
    )


# ---------------------------------------------------------------------------------------------
# The same endpoint as botocore's client, for every configuration resolve_endpoint answers


class _Captured(Exception):
    def __init__(self, url: str, authorization: str) -> None:
        super().__init__(url)
        self.url = url
        self.authorization = authorization


def botocore_endpoint(place: Place) -> tuple[str, str, str]:
    """(the URL botocore's client posts to, the region it signs for, client.meta.endpoint_url)
    for the STS client envgen makes for PLACE; the request is stopped before it is sent."""
    from envgen.sources import sts_session

    context = sts_session.open_context(place, sts_session.chosen_profile(place))
    client = context.client()

    def capture(request: Any, **_: Any) -> None:
        raise _Captured(request.url, request.headers["Authorization"].decode())

    # More specific than bounded_client's own handler, so it runs first.
    client.meta.events.register_first("before-send.sts", capture)
    try:
        client.get_caller_identity()
    except _Captured as captured:
        scope = captured.authorization.split("Credential=", 1)[1].split(",", 1)[0]
        return captured.url, scope.split("/")[2], client.meta.endpoint_url
    raise AssertionError("the request was not stopped")


def ours_for(place: Place) -> direct_sts.Endpoint | None:
    from envgen.sources import sts_session

    context = sts_session.open_context(place, sts_session.chosen_profile(place))
    return direct_sts.resolve_endpoint(place, context.settings, context.region, os.environ)


PROFILE = "[profile work]\n"
# (environment, config file, command line) -> botocore's endpoint must be ours.
ANSWERED_SHAPES = {
    "no region": ({}, "", {}),
    "profile region": ({}, "[default]\nregion = eu-west-1\n", {}),
    "--region": ({}, "[default]\nregion = eu-west-1\n", {"region": "ap-east-1"}),
    "AWS_REGION china": ({"AWS_REGION": "cn-north-1"}, "", {}),
    "china's second region": ({}, "", {"region": "cn-northwest-1"}),
    "govcloud east": ({}, "", {"region": "us-gov-east-1"}),
    "AWS_DEFAULT_REGION govcloud": ({"AWS_DEFAULT_REGION": "us-gov-west-1"}, "", {}),
    "newer regions": ({}, "", {"region": "mx-central-1"}),
    "israel": ({}, "", {"region": "il-central-1"}),
    "legacy, global region": (
        {"AWS_STS_REGIONAL_ENDPOINTS": "legacy"},
        "",
        {"region": "eu-west-1"},
    ),
    "legacy, no region": ({"AWS_STS_REGIONAL_ENDPOINTS": "legacy"}, "", {}),
    "legacy, newer region": ({"AWS_STS_REGIONAL_ENDPOINTS": "legacy"}, "", {"region": "ap-east-1"}),
    "legacy, china": ({"AWS_STS_REGIONAL_ENDPOINTS": "legacy"}, "", {"region": "cn-north-1"}),
    "legacy, govcloud": ({"AWS_STS_REGIONAL_ENDPOINTS": "legacy"}, "", {"region": "us-gov-west-1"}),
    "legacy in the profile": (
        {"AWS_PROFILE": "work"},
        PROFILE + "region = us-west-2\nsts_regional_endpoints = legacy\n",
        {},
    ),
    "regional in the environment over legacy in the profile": (
        {"AWS_STS_REGIONAL_ENDPOINTS": "regional"},
        PROFILE + "region = us-west-2\nsts_regional_endpoints = legacy\n",
        {"profile": "work"},
    ),
    "regional named": ({"AWS_STS_REGIONAL_ENDPOINTS": "regional"}, "", {"region": "us-east-1"}),
    "--endpoint-url with a path and a port": (
        {},
        "",
        {"region": "eu-west-1", "endpoint_url": "http://127.0.0.1:9/base/path"},
    ),
    "--endpoint-url with a slash": ({}, "", {"endpoint_url": "https://sts.example.com:8443/"}),
    "--endpoint-url over legacy": (
        {"AWS_STS_REGIONAL_ENDPOINTS": "legacy"},
        "",
        {"region": "eu-west-1", "endpoint_url": "http://localhost:4566"},
    ),
    "--endpoint-url over AWS_ENDPOINT_URL_STS": (
        {"AWS_ENDPOINT_URL_STS": "http://localhost:4500"},
        "",
        {"endpoint_url": "http://localhost:4566"},
    ),
    "--endpoint-url ipv6": ({}, "", {"endpoint_url": "http://[::1]:8080"}),
    "AWS_ENDPOINT_URL_STS": ({"AWS_ENDPOINT_URL_STS": "http://localhost:4566"}, "", {}),
    "AWS_ENDPOINT_URL": ({"AWS_ENDPOINT_URL": "http://localhost:4567/all"}, "", {}),
    "AWS_ENDPOINT_URL_STS over AWS_ENDPOINT_URL": (
        {"AWS_ENDPOINT_URL_STS": "http://localhost:4566", "AWS_ENDPOINT_URL": "http://x:1"},
        "",
        {},
    ),
    "empty AWS_ENDPOINT_URL_STS": (
        {"AWS_ENDPOINT_URL_STS": "", "AWS_ENDPOINT_URL": "http://localhost:4567"},
        "",
        {},
    ),
    "profile endpoint_url": (
        {},
        "[default]\nregion = eu-west-1\nendpoint_url = http://127.0.0.1:4568/p\n",
        {},
    ),
    "AWS_ENDPOINT_URL over the profile's": (
        {"AWS_ENDPOINT_URL": "http://localhost:4567"},
        "[default]\nendpoint_url = http://127.0.0.1:4568\n",
        {},
    ),
    "ignored in the environment": (
        {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true", "AWS_ENDPOINT_URL_STS": "http://x:1"},
        "[default]\nendpoint_url = http://127.0.0.1:4568\n",
        {"region": "eu-west-1"},
    ),
    "ignored in the profile": (
        {},
        PROFILE + "ignore_configured_endpoint_urls = true\nendpoint_url = http://127.0.0.1:1\n",
        {"profile": "work"},
    ),
    "not ignored in the environment, ignored in the profile": (
        {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "false", "AWS_ENDPOINT_URL_STS": "http://x:1"},
        "[default]\nignore_configured_endpoint_urls = true\n",
        {},
    ),
    "ignored but named on the command line": (
        {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "TRUE"},
        "",
        {"endpoint_url": "http://localhost:4566"},
    ),
    "CA bundle in the environment": ({"AWS_CA_BUNDLE": "/nonexistent/ca.pem"}, "", {}),
    "CA bundle in the profile": ({}, "[default]\nca_bundle = /nonexistent/ca.pem\n", {}),
    "the AWS CLI's own settings": (
        {},
        PROFILE + "output = json\ncli_pager =\nmax_attempts = 9\nretry_mode = adaptive\n",
        {"profile": "work", "region": "sa-east-1"},
    ),
}
# Shapes botocore may well answer, but not in a way followed here: the caller takes botocore.
UNANSWERED_SHAPES = {
    "services section": (
        {},
        "[default]\nservices = local\n[services local]\nsts =\n  endpoint_url = http://x:1\n",
        {},
    ),
    "FIPS": ({"AWS_USE_FIPS_ENDPOINT": "true"}, "", {"region": "us-gov-west-1"}),
    "FIPS off": ({"AWS_USE_FIPS_ENDPOINT": "false"}, "", {}),
    "FIPS in the profile": ({}, "[default]\nuse_fips_endpoint = true\n", {}),
    "dual-stack": ({"AWS_USE_DUALSTACK_ENDPOINT": "true"}, "", {"region": "eu-west-1"}),
    "proxy": ({"https_proxy": "http://proxy:3128"}, "", {}),
    "proxy in capitals": ({"HTTPS_PROXY": "http://proxy:3128"}, "", {}),
    "no_proxy": ({"NO_PROXY": "localhost"}, "", {}),
    "all_proxy": ({"ALL_PROXY": "socks5://proxy:1080"}, "", {}),
    "defaults mode": ({"AWS_DEFAULTS_MODE": "standard"}, "", {}),
    "defaults mode in the profile": ({}, "[default]\ndefaults_mode = in-region\n", {}),
    "another data path": ({"AWS_DATA_PATH": "/nonexistent"}, "", {}),
    "isolated partition": ({}, "", {"region": "us-iso-east-1"}),
    "sovereign partition": ({}, "", {"region": "eusc-de-east-1"}),
    "unknown sts_regional_endpoints": ({}, "[default]\nsts_regional_endpoints = global\n", {}),
    "percent-encoded path": ({}, "", {"endpoint_url": "http://127.0.0.1:9/a%2Fb"}),
    "dot segments": ({}, "", {"endpoint_url": "http://127.0.0.1:9/a/../b"}),
    "non-ASCII host": ({}, "", {"endpoint_url": "http://bücher.example:9"}),
    "tcp keepalive": ({}, "[default]\ntcp_keepalive = true\n", {}),
    # botocore then verifies no certificate at all.
    "empty AWS_CA_BUNDLE": ({"AWS_CA_BUNDLE": ""}, "", {}),
    "empty ca_bundle": ({}, "[default]\nca_bundle =\n", {}),
}


def set_up(
    environment: dict[str, str], config: str, keys_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Path(os.environ["AWS_CONFIG_FILE"]).write_text(config)
    Path(os.environ["AWS_SHARED_CREDENTIALS_FILE"]).write_text(
        "".join(
            f"[{name}]\naws_access_key_id = {BASE_ACCESS_KEY_ID}\n"
            f"aws_secret_access_key = {BASE_SECRET}\n"
            for name in ("default", "work")
        )
    )
    for name, value in environment.items():
        monkeypatch.setenv(name, value)


@pytest.mark.parametrize("name", ANSWERED_SHAPES)
def test_the_endpoint_is_botocores(name, keys_in_environment, tmp_path, monkeypatch):
    environment, config, command_line = ANSWERED_SHAPES[name]
    set_up(environment, config, tmp_path, monkeypatch)
    place = Place(**command_line)

    ours = ours_for(place)
    url, signing_region, meta_url = botocore_endpoint(place)

    assert ours is not None
    assert (direct_sts.request_url(ours), ours.signing_region) == (url, signing_region)
    assert ours.url == meta_url


@pytest.mark.parametrize("name", UNANSWERED_SHAPES)
def test_shapes_not_followed_are_left_to_botocore(name, keys_in_environment, tmp_path, monkeypatch):
    environment, config, command_line = UNANSWERED_SHAPES[name]
    set_up(environment, config, tmp_path, monkeypatch)
    from envgen.sources import sts_session

    place = Place(**command_line)
    context = sts_session.open_context(place, sts_session.chosen_profile(place))
    assert direct_sts.resolve_endpoint(place, context.settings, context.region) is None


# ---------------------------------------------------------------------------------------------
# HTTPS: the same trust as botocore


def certificate_authority(directory: Path) -> tuple[Path, Path, Path]:
    """A CA (ca.pem) and a server certificate it signed for `localhost` only (server.pem and
    its key): made for the test, so no machine's trust store knows the CA."""
    from datetime import timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.now(timezone.utc)

    def name(text: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(name("envgen test CA"))
        .issuer_name(name("envgen test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    server_key = ec.generate_private_key(ec.SECP256R1())
    server = (
        x509.CertificateBuilder()
        .subject_name(name("localhost"))
        .issuer_name(ca.subject)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths = (directory / "ca.pem", directory / "server.pem", directory / "server-key.pem")
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(server.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        server_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


def over_tls(certificate: Path, key: Path, response: bytes):  # type: ignore[no-untyped-def]
    import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate, key)

    def handler(connection: socket.socket, server: HostileEndpoint) -> None:
        with context.wrap_socket(connection, server_side=True) as secured:
            if read_request(secured):  # type: ignore[arg-type]
                server.count_request()
                secured.sendall(response)

    return handler


@pytest.mark.parametrize(
    ("trust", "host", "answered"),
    [
        ("AWS_CA_BUNDLE", "localhost", True),
        ("profile ca_bundle", "localhost", True),
        ("AWS_CA_BUNDLE over the profile's", "localhost", True),
        ("default", "localhost", False),
        ("AWS_CA_BUNDLE", "127.0.0.1", False),  # the certificate names localhost only
        ("unreadable bundle", "localhost", False),
        ("bundle under ~", "localhost", True),  # urllib3 expands it for botocore
    ],
)
def test_https_trusts_what_botocore_trusts(
    trust, host, answered, keys_in_environment, tmp_path, monkeypatch, capsys
):
    from envgen.errors import EnvgenError
    from envgen.sources import sts_session

    ca, certificate, key = certificate_authority(tmp_path)
    config = ""
    if trust == "AWS_CA_BUNDLE":
        monkeypatch.setenv("AWS_CA_BUNDLE", str(ca))
    elif trust == "profile ca_bundle":
        config = f"[default]\nca_bundle = {ca}\n"
    elif trust == "AWS_CA_BUNDLE over the profile's":
        monkeypatch.setenv("AWS_CA_BUNDLE", str(ca))
        config = f"[default]\nca_bundle = {tmp_path / 'missing.pem'}\n"
    elif trust == "unreadable bundle":
        monkeypatch.setenv("AWS_CA_BUNDLE", str(tmp_path / "missing.pem"))
    elif trust == "bundle under ~":
        monkeypatch.setenv("HOME", str(tmp_path))
        monkeypatch.setenv("AWS_CA_BUNDLE", "~/ca.pem")
    Path(os.environ["AWS_CONFIG_FILE"]).write_text(config)

    with HostileEndpoint(over_tls(certificate, key, answer("200 OK", SUCCESS_BODY))) as server:
        place = Place(
            region="eu-west-1",
            endpoint_url=server.url.replace("http://127.0.0.1", f"https://{host}"),
        )
        parameters = {"RoleArn": ROLE, "RoleSessionName": "envgen"}
        botocore_outcome = by_botocore("AssumeRole", parameters, place)
        botocore_requests, server.requests = server.requests, 0
        context = sts_session.open_context(place, None)
        endpoint = direct_sts.resolve_endpoint(place, context.settings, context.region)
        assert endpoint is not None
        try:
            direct_outcome: Outcome = (
                "answer",
                direct_sts.call(
                    "AssumeRole",
                    parameters,
                    keys_in_environment,
                    endpoint,
                    place,
                    profile=context.settings,
                ),
            )
        except EnvgenError as error:
            direct_outcome = "error", (error.message, error.exit_code)

    assert direct_outcome == botocore_outcome
    assert server.requests == botocore_requests
    assert (direct_outcome[0] == "answer") is answered


def test_plain_http_beyond_loopback_is_warned_about_once_as_on_botocores_road(
    keys_in_environment, capsys
):
    """0.0.0.0 is no loopback address to envgen, yet Linux connects it to the loopback server:
    a plain-http endpoint elsewhere, answering 500 to both attempts."""
    handler = answering(answer("500 Internal Server Error", error_body("InternalFailure")))
    with HostileEndpoint(handler) as server:
        place = Place(endpoint_url=server.url.replace("127.0.0.1", "0.0.0.0"))
        parameters = {"RoleArn": ROLE, "RoleSessionName": "envgen"}
        botocore_outcome = by_botocore("AssumeRole", parameters, place)
        botocore_said = capsys.readouterr()
        direct_sts._warned_plain.clear()
        direct_outcome = by_direct("AssumeRole", parameters, place, keys_in_environment)
        direct_said = capsys.readouterr()

    assert server.requests == 4
    assert direct_outcome == botocore_outcome
    assert direct_said == botocore_said
    assert direct_said.err.count("is plain http") == 1
    assert direct_said.out == ""


def test_the_default_trust_is_botocores_bundle(monkeypatch):
    from botocore.httpsession import get_cert_path

    assert direct_sts.ca_bundle(None, {}) == get_cert_path(True)
    # Without certifi botocore falls back to the bundle it ships; so does the direct road,
    # without importing botocore to find it.
    monkeypatch.setitem(sys.modules, "certifi", None)
    import botocore.httpsession

    fallback = direct_sts.ca_bundle(None, {})
    assert fallback == botocore.httpsession.DEFAULT_CA_BUNDLE
    assert Path(fallback).is_file()


def test_the_botocore_installed_reads_configured_endpoints_as_the_direct_road_assumes():
    """resolve_endpoint follows AWS_ENDPOINT_URL* and endpoint_url on the strength of envgen's
    floor (boto3 1.28, which requires botocore 1.31): this run's botocore must bear it out."""
    import botocore.configprovider

    assert hasattr(botocore.configprovider, "ConfiguredEndpointProvider")
    floor = re.search(
        r'"boto3>=([0-9.]+)"', (Path(__file__).parents[2] / "pyproject.toml").read_text()
    )
    assert floor is not None and floor.group(1) == "1.28"


def test_retry_rules_are_botocores_standard_mode():
    import inspect

    from botocore.retries import special, standard

    assert direct_sts._THROTTLING_CODES == frozenset(
        standard.ThrottledRetryableChecker._THROTTLED_ERROR_CODES
    )
    assert direct_sts._TRANSIENT_CODES == frozenset(
        standard.TransientRetryableChecker._TRANSIENT_ERROR_CODES
    )
    assert direct_sts._TRANSIENT_STATUSES == frozenset(
        standard.TransientRetryableChecker._TRANSIENT_STATUS_CODES
    )
    assert special.RetryIDPCommunicationError._SERVICE_NAME == "sts"
    assert direct_sts._STS_RETRIED_CODES == {"IDPCommunicationError"}
    backoff = inspect.signature(standard.ExponentialBackoff).parameters["max_backoff"]
    assert backoff.default == direct_sts._MAX_BACKOFF_SECONDS


@pytest.mark.parametrize(
    ("environment", "config", "chosen"),
    [
        ({}, "", "regional"),
        ({}, "[default]\nregion = eu-west-1\n", "regional"),
        ({"AWS_STS_REGIONAL_ENDPOINTS": "legacy"}, "", None),
        ({}, "[default]\nsts_regional_endpoints = legacy\n", None),
        ({}, "[default]\nsts_regional_endpoints = regional\n", None),
    ],
)
def test_envgen_sessions_ask_regional_endpoints_unless_told(
    environment, config, chosen, keys_in_environment, monkeypatch
):
    """Set on the session itself, whatever botocore's own default (`legacy` before 1.40)."""
    from envgen.sources import sts_session

    Path(os.environ["AWS_CONFIG_FILE"]).write_text(config)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    session = sts_session.bounded_botocore_session(None)
    assert session.instance_variables().get("sts_regional_endpoints") == chosen
