"""An HTTP endpoint on loopback that lets two runs of one command meet the same STS answers.

STS (moto's server here) issues new random keys on every call, so two runs of a command could
never print the same bytes. Put this proxy in front of it: while it records, each request goes
on to the server and its answer (status line, headers and body, byte for byte) is kept; while
it replays, the n-th request gets the n-th answer recorded, and the server is not asked. Either
way it keeps what each request asked for (path, content type and form parameters), so a test
can check that both runs asked for the same thing. With no server behind it, it answers every
request with one fixed answer (an STS error, say).

Only the date-dependent parts of a request (its signature and time stamp headers) are left out
of the comparison, and a session name botocore makes from the clock (`botocore-session-<epoch
seconds>`) compares equal to another made within a few minutes of it.
"""

from __future__ import annotations

import dataclasses
import http.client
import re
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# Headers that belong to one connection, not to the answer: the proxy closes each connection.
_HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length"})
_GENERATED_SESSION_NAME = re.compile(r"botocore-session-(\d+)")
# How far from now a generated session name's clock may be.
_CLOCK_SLACK_SECONDS = 300


@dataclasses.dataclass(frozen=True)
class Answer:
    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def raw(self) -> bytes:
        lines = [f"HTTP/1.1 {self.status} {self.reason}"]
        lines += [f"{name}: {value}" for name, value in self.headers]
        lines += [f"Content-Length: {len(self.body)}", "Connection: close"]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + self.body


def sts_error(status: int, code: str, message: str) -> Answer:
    """An STS error answer, as STS words one."""
    body = (
        '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
        f"<Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>"
        "<RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ErrorResponse>"
    ).encode()
    reasons = {400: "Bad Request", 403: "Forbidden", 500: "Internal Server Error"}
    return Answer(
        status,
        reasons.get(status, "Error"),
        (("Content-Type", "text/xml"), ("x-amzn-RequestId", "c6104cbe-af31-11e0-8154")),
        body,
    )


@dataclasses.dataclass(frozen=True)
class Asked:
    """What one request asked for, as far as two runs' requests must agree."""

    method: str
    path: str
    content_type: str
    form: tuple[tuple[str, str], ...]


def _asked(method: str, path: str, content_type: str, body: bytes) -> Asked:
    form = []
    for name, value in urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True):
        generated = _GENERATED_SESSION_NAME.fullmatch(value)
        if name == "RoleSessionName" and generated:
            made_at = int(generated[1])
            assert abs(made_at - time.time()) < _CLOCK_SLACK_SECONDS, value
            value = "botocore-session-<epoch seconds>"
        form.append((name, value))
    return Asked(method, path, content_type, tuple(form))


class ReplayingProxy:
    def __init__(self, upstream: str | None = None, fixed: Answer | None = None) -> None:
        assert (upstream is None) != (fixed is None), "a server behind it, or a fixed answer"
        self._upstream = urllib.parse.urlsplit(upstream) if upstream else None
        self._fixed = fixed
        self._lock = threading.Lock()
        self._recording = True
        self._answers: list[Answer] = []
        self._next = 0
        self.recorded: list[Asked] = []
        self.replayed: list[Asked] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                proxy._handle(self)

            do_GET = do_POST

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def replay(self) -> None:
        """From now on, answer with what was recorded, in order."""
        with self._lock:
            self._recording = False
            self._next = 0

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        asked = _asked(handler.command, handler.path, handler.headers.get("Content-Type", ""), body)
        with self._lock:
            recording = self._recording
            (self.recorded if recording else self.replayed).append(asked)
            if not recording:
                index, self._next = self._next, self._next + 1
        if self._fixed is not None:
            answer = self._fixed
        elif recording:
            answer = self._forward(handler, body)
            with self._lock:
                self._answers.append(answer)
        else:
            with self._lock:
                answer = (
                    self._answers[index]
                    if index < len(self._answers)
                    else Answer(599, "Nothing Recorded", (), b"")
                )
        handler.close_connection = True
        handler.wfile.write(answer.raw())
        handler.wfile.flush()

    def _forward(self, handler: BaseHTTPRequestHandler, body: bytes) -> Answer:
        assert self._upstream is not None
        connection = http.client.HTTPConnection(
            self._upstream.hostname or "127.0.0.1", self._upstream.port, timeout=30
        )
        try:
            headers = {
                name: value
                for name, value in handler.headers.items()
                if name.lower() not in _HOP_BY_HOP
            }
            connection.request(handler.command, handler.path, body=body, headers=headers)
            response = connection.getresponse()
            return Answer(
                response.status,
                response.reason,
                tuple(
                    (name, value)
                    for name, value in response.getheaders()
                    if name.lower() not in _HOP_BY_HOP
                ),
                response.read(),
            )
        finally:
            connection.close()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self) -> ReplayingProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
