"""Run by `envgen exec --serve` under test, as the command: looks at the credentials endpoint
the way an AWS SDK does, and as an intruder would, and writes what it saw as JSON to the file
named first. The second word says what to do:

- renewal: botocore's default chain, asked until it hands out a second access key (each one
  used for a real STS call), or until 40 seconds have passed;
- probe: raw HTTP requests without, with a wrong and with the right token, through a client
  that trickles and one that sends a header without end, and to another loopback address.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
import urllib.error
import urllib.parse
import urllib.request


def renewal() -> dict[str, object]:
    import boto3
    import botocore.session

    session = botocore.session.Session()
    credentials = session.get_credentials()
    sts = boto3.Session(botocore_session=session).client("sts")
    keys: list[str] = []
    arns: list[str] = []
    deadline = time.monotonic() + 40
    while len(set(keys)) < 2 and time.monotonic() < deadline:
        key = credentials.get_frozen_credentials().access_key
        if key not in keys:
            keys.append(key)
            arns.append(sts.get_caller_identity()["Arn"])
        time.sleep(0.25)
    return {"method": credentials.method, "keys": keys, "arns": arns}


def status_of(url: str, headers: dict[str, str]) -> tuple[int, object]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, None


def raw_exchange(address: tuple[str, int], data: bytes) -> bytes:
    with socket.create_connection(address, timeout=10) as connection:
        connection.sendall(data)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
        return received


def probe() -> dict[str, object]:
    url = os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
    token = os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
    parsed = urllib.parse.urlsplit(url)
    address = (parsed.hostname or "", parsed.port or 80)
    seen: dict[str, object] = {"host": parsed.hostname, "port": parsed.port, "token": token}
    seen["without_token"] = status_of(url, {})[0]
    seen["wrong_token"] = status_of(url, {"Authorization": token[:-1] + "x"})[0]
    seen["token_twice"] = (
        raw_exchange(
            address,
            f"GET {parsed.path} HTTP/1.1\r\nAuthorization: {token}\r\nAuthorization: {token}\r\n\r\n".encode(),
        )
        .split(b" ")[1]
        .decode()
    )
    # A client that sends half a request and then nothing, and one that trickles: both hold a
    # connection open while the right token is answered at once.
    silent = socket.create_connection(address)
    silent.sendall(b"GET /credentials HTTP/1.1\r\nAuthoriz")
    trickler = socket.create_connection(address)
    trickler.sendall(b"G")
    started = time.monotonic()
    status, document = status_of(url, {"Authorization": token})
    seen["answer_seconds"] = time.monotonic() - started
    seen["with_token"] = status
    seen["document_keys"] = sorted(document) if isinstance(document, dict) else None
    seen["access_key_id"] = document.get("AccessKeyId") if isinstance(document, dict) else None
    for byte in b"ET /credentials HTTP/1.1\r\n":
        try:
            trickler.sendall(bytes([byte]))
        except OSError:
            break
        time.sleep(0.3)
    # The trickler's deadline has passed: the endpoint has given up on it.
    trickler.settimeout(10)
    seen["trickler_answer"] = trickler.recv(100).split(b" ")[1:2]
    seen["trickler_answer"] = [part.decode() for part in seen["trickler_answer"]]
    silent.close()
    trickler.close()
    huge = f"GET /credentials HTTP/1.1\r\nAuthorization: {token}\r\nX-Filler: ".encode()
    started = time.monotonic()
    try:
        answer = raw_exchange(address, huge + b"a" * (1024 * 1024))
        seen["huge_header"] = answer.split(b" ")[1].decode() if answer else "closed"
    except OSError:
        seen["huge_header"] = "closed"
    seen["huge_header_seconds"] = time.monotonic() - started
    seen["after_huge_header"] = status_of(url, {"Authorization": token})[0]
    try:
        socket.create_connection(("127.0.0.2", address[1]), timeout=5).close()
        seen["other_loopback"] = "connected"
    except OSError:
        seen["other_loopback"] = "refused"
    return seen


if __name__ == "__main__":
    result = {"renewal": renewal, "probe": probe}[sys.argv[2]]()
    result["environment"] = {
        name: os.environ.get(name)
        for name in (
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_PROFILE",
            "AWS_DEFAULT_PROFILE",
            "AWS_REGION",
            "ENVGEN_CHECK_AT",
            "ENVGEN_EXPIRATION",
        )
    }
    with open(sys.argv[1], "w", encoding="utf-8") as out:
        json.dump(result, out)
