"""The credentials endpoint of `exec --serve`: what the AWS SDKs and the AWS CLI read when
AWS_CONTAINER_CREDENTIALS_FULL_URI names it (botocore's ContainerProvider, the JavaScript SDK's
fromHttp), on 127.0.0.1 only, answering only a request that carries the random token.

botocore sends `GET <path>` with `Authorization: <token>` and `Accept: application/json`, waits
2 seconds, tries 3 times, and reads AccessKeyId, SecretAccessKey, Token and Expiration from a
200 answer's JSON; anything else is a failure to it.

A local program that connects may be hostile: it may send nothing, trickle a byte at a time, or
send a header without end. Each connection has its own thread, a deadline for the whole request
and a bound on its size, and the number of connections served at once is bounded, so no client
stalls the endpoint for another.
"""

from __future__ import annotations

import hmac
import json
import os
import secrets
import selectors
import socket
import threading
import time
from collections.abc import Callable

from envgen.credentials import Credentials, format_expiration

LOOPBACK = "127.0.0.1"
PATH = "/credentials"
# Enough for any request line and headers an SDK sends (a few hundred bytes).
MAX_REQUEST_BYTES = 16 * 1024
# The whole request, from connection to the blank line after the headers.
REQUEST_DEADLINE_SECONDS = 5.0
# Connections answered at once; more wait in the listen queue (and are closed once it is full).
MAX_CONNECTIONS = 64
_ACCEPT_POLL_SECONDS = 0.2

_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    431: "Request Header Fields Too Large",
    503: "Service Unavailable",
}


def served_document(credentials: Credentials) -> dict[str, str]:
    """The JSON the container credential providers of the SDKs read."""
    assert credentials.session_token is not None and credentials.expiration is not None
    return {
        "AccessKeyId": credentials.access_key_id,
        "SecretAccessKey": credentials.secret_access_key,
        "Token": credentials.session_token,
        "Expiration": format_expiration(credentials.expiration),
    }


class CredentialsEndpoint:
    """Serves whatever `current` returns at the moment of each request (None: nothing valid)."""

    def __init__(self, current: Callable[[], Credentials | None]) -> None:
        self._current = current
        self.token = secrets.token_urlsafe(32)
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind((LOOPBACK, 0))
        self._listener.listen(MAX_CONNECTIONS)
        self.port: int = self._listener.getsockname()[1]
        self.url = f"http://{LOOPBACK}:{self.port}{PATH}"
        self._stopping = threading.Event()
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        self._thread = threading.Thread(target=self._accept, name="envgen-endpoint", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop answering and close the port: nothing is served once the command has ended."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join()
        self._listener.close()

    def _accept(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self._listener, selectors.EVENT_READ)
            while not self._stopping.is_set():
                if not selector.select(_ACCEPT_POLL_SECONDS):
                    continue
                try:
                    connection, _ = self._listener.accept()
                except OSError:
                    continue
                if not _same_user(connection) or not self._slots.acquire(blocking=False):
                    connection.close()
                    continue
                try:
                    threading.Thread(
                        target=self._answer, args=(connection,), name="envgen-request", daemon=True
                    ).start()
                except RuntimeError:
                    # No thread to be had: this client is turned away, the endpoint goes on.
                    self._slots.release()
                    connection.close()

    def _answer(self, connection: socket.socket) -> None:
        try:
            with connection:
                head = _read_head(connection, time.monotonic() + REQUEST_DEADLINE_SECONDS)
                if isinstance(head, int):
                    _respond(connection, head, {"message": _REASONS[head]})
                    return
                status, document = self._response(*head)
                _respond(connection, status, document)
        except OSError:
            pass
        finally:
            self._slots.release()

    def _response(
        self, method: str, target: str, authorizations: list[bytes]
    ) -> tuple[int, object]:
        if not authorizations:
            return 401, {"message": "Authorization header missing"}
        # One header, equal to the token: compared in constant time, so the time an answer
        # takes tells nothing about how much of a guess was right.
        expected = self.token.encode("ascii")
        if len(authorizations) != 1 or not hmac.compare_digest(authorizations[0], expected):
            return 403, {"message": "Authorization token not accepted"}
        if method != "GET":
            return 405, {"message": "only GET is answered"}
        if target.split("?", 1)[0] != PATH:
            return 404, {"message": "not found"}
        credentials = self._current()
        if credentials is None:
            return 503, {"message": "the credentials have expired and could not be renewed"}
        return 200, served_document(credentials)


def _same_user(connection: socket.socket) -> bool:
    """Whether the other end of the connection belongs to the user envgen runs as. Another
    user cannot read the token, but could hold every slot with connections that say nothing;
    such connections are closed at once. Where the owner cannot be found out (no
    /proc/net/tcp), the token alone decides."""
    from envgen.browser import socket_owner

    try:
        owner = socket_owner(connection.getpeername(), connection.getsockname())
    except OSError:
        return False
    return owner is None or owner == os.getuid()


def _read_head(connection: socket.socket, deadline: float) -> tuple[str, str, list[bytes]] | int:
    """The request's method, target and Authorization header values, or the status that refuses
    it; reads at most MAX_REQUEST_BYTES, until the deadline at the latest."""
    received = b""
    while b"\r\n\r\n" not in received:
        left = deadline - time.monotonic()
        if left <= 0:
            return 408
        connection.settimeout(left)
        try:
            chunk = connection.recv(MAX_REQUEST_BYTES + 1 - len(received))
        except TimeoutError:
            return 408
        if not chunk:
            raise ConnectionResetError
        received += chunk
        if len(received) > MAX_REQUEST_BYTES and b"\r\n\r\n" not in received:
            return 431
    head = received.split(b"\r\n\r\n", 1)[0]
    request_line, *header_lines = head.split(b"\r\n")
    words = request_line.split(b" ")
    if len(words) != 3 or not words[2].startswith(b"HTTP/1."):
        return 400
    authorizations = []
    for line in header_lines:
        name, colon, value = line.partition(b":")
        if not colon:
            return 400
        if name.strip().lower() == b"authorization":
            authorizations.append(value.strip())
    try:
        method, target = words[0].decode("ascii"), words[1].decode("ascii")
    except UnicodeDecodeError:
        return 400
    return method, target, authorizations


def _respond(connection: socket.socket, status: int, document: object) -> None:
    body = json.dumps(document).encode("utf-8")
    head = (
        f"HTTP/1.1 {status} {_REASONS[status]}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Cache-Control: no-store\r\n"
        "Connection: close\r\n\r\n"
    ).encode("ascii")
    # A client that never reads gets the rest of the request's time, no more: the answer
    # fits in the socket's buffer anyway.
    connection.settimeout(REQUEST_DEADLINE_SECONDS)
    connection.sendall(head + body)
