"""HTTP endpoints on loopback that misbehave the ways a broken network or a hostile server does:
silent, trickling, failing for ever, answering too much or the wrong thing. Every loop in them
is bounded: a server stops by itself after LIFETIME seconds even if a test forgets it."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable

from sts_server import provider_arn, role_arn, saml_assertion

LIFETIME = 60.0

ROLE = role_arn("Dev")
# Every command that talks to STS, ready to run against whatever AWS_ENDPOINT_URL_STS names.
NETWORK_COMMANDS = {
    "assume": ["assume", "--role-arn", ROLE, "--format", "json"],
    "session-token": ["assume", "--format", "json"],
    "saml": [
        "saml",
        "--saml-assertion",
        saml_assertion([(ROLE, provider_arn("corp"))]),
        "--format",
        "json",
    ],
    "web-identity": [
        "web-identity",
        "--role-arn",
        ROLE,
        "--web-identity-token",
        "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJjaSJ9.c2lnbmF0dXJl",
        "--format",
        "json",
    ],
    "whoami": ["whoami"],
    "exec": ["exec", "--role-arn", ROLE, "--", "true"],
}

Handler = Callable[[socket.socket, "HostileEndpoint"], None]


def read_request(connection: socket.socket) -> bytes:
    """One HTTP request's head and body (by Content-Length), or b"" when the client left."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            return b""
        data += chunk
        if len(data) > 1_000_000:
            return b""
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = connection.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def answer(status: str, body: bytes, content_type: str = "text/xml") -> bytes:
    return (
        f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body


ACCESS_DENIED = answer(
    "403 Forbidden",
    b'<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error>'
    b"<Type>Sender</Type><Code>AccessDenied</Code><Message>Not authorized</Message></Error>"
    b"<RequestId>1</RequestId></ErrorResponse>",
)


def closed_port_url() -> str:
    """A loopback URL where nothing listens: connections to it are refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


class HostileEndpoint:
    """A loopback server; each connection is served by `handler` on its own thread."""

    def __init__(self, handler: Handler, lifetime: float = LIFETIME) -> None:
        self._handler = handler
        self._lock = threading.Lock()
        self.requests = 0
        self.bytes_sent = 0
        self.ends_at = time.monotonic() + lifetime
        self._stopped = threading.Event()
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self._listener.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def alive(self) -> bool:
        return not self._stopped.is_set() and time.monotonic() < self.ends_at

    def count_request(self) -> None:
        with self._lock:
            self.requests += 1

    def count_sent(self, size: int) -> None:
        with self._lock:
            self.bytes_sent += size

    def _serve(self) -> None:
        with self._listener:
            while self.alive():
                try:
                    connection, _ = self._listener.accept()
                except OSError:
                    continue
                threading.Thread(target=self._serve_one, args=(connection,), daemon=True).start()

    def _serve_one(self, connection: socket.socket) -> None:
        with connection:
            connection.settimeout(max(0.1, self.ends_at - time.monotonic()))
            try:
                self._handler(connection, self)
            except OSError:
                pass  # the client gave up: what these servers exist to cause

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join()

    def __enter__(self) -> HostileEndpoint:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def silent(connection: socket.socket, server: HostileEndpoint) -> None:
    """Accepts, reads the request, never answers."""
    read_request(connection)
    server.count_request()
    while server.alive():
        time.sleep(0.2)


def trickling(interval: float = 2.0) -> Handler:
    """Answers a status line, then one byte of an endless header every `interval` seconds:
    each socket read gets something, so no read timeout ever fires."""

    def handler(connection: socket.socket, server: HostileEndpoint) -> None:
        if not read_request(connection):
            return
        server.count_request()
        connection.sendall(b"HTTP/1.1 200 OK\r\nX-Padding: ")
        while server.alive():
            time.sleep(interval)
            connection.sendall(b"a")
            server.count_sent(1)

    return handler


def answering(response: bytes) -> Handler:
    """Answers every request with the same bytes, counting requests."""

    def handler(connection: socket.socket, server: HostileEndpoint) -> None:
        if not read_request(connection):
            return
        server.count_request()
        connection.sendall(response)

    return handler


def endless_body(declared: int) -> Handler:
    """A 200 that declares `declared` bytes of body and streams them as fast as it can."""

    def handler(connection: socket.socket, server: HostileEndpoint) -> None:
        if not read_request(connection):
            return
        server.count_request()
        connection.sendall(
            f"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {declared}\r\n\r\n".encode()
        )
        chunk = b"<a>" + b"x" * 65533
        sent = 0
        while sent < declared and server.alive():
            connection.sendall(chunk)
            sent += len(chunk)
            server.count_sent(len(chunk))

    return handler


def forwarding_late(target: str, delay: float) -> Handler:
    """Holds each request `delay` seconds, then passes it to the server at `target` (an
    http://host:port URL) and its answer back: a slow network in front of a working endpoint."""
    host, _, port = target.removeprefix("http://").partition(":")

    def handler(connection: socket.socket, server: HostileEndpoint) -> None:
        request = read_request(connection)
        if not request:
            return
        server.count_request()
        time.sleep(delay)
        with socket.create_connection((host, int(port)), timeout=10) as upstream:
            upstream.sendall(request)
            connection.sendall(read_request(upstream))

    return handler
