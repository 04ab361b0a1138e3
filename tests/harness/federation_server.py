"""A fake AWS federation endpoint on loopback: getSigninToken as AWS answers it, checking the
session JSON it receives, plus the misbehaviours envgen must survive (a page that is not JSON,
an answer too big, one that trickles, a refusal). Tests read what it received from `requests`.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

# The modes a test can put the endpoint in.
ANSWER = "answer"
NOT_JSON = "not-json"
TOO_BIG = "too-big"
TRICKLE = "trickle"
REFUSE = "refuse"


@dataclass
class Received:
    method: str
    path: str
    query: dict[str, list[str]]
    form: dict[str, list[str]]


@dataclass
class FederationServer:
    mode: str = ANSWER
    requests: list[Received] = field(default_factory=list)
    # The sign-in tokens handed out, by the access key id they were issued for.
    issued: dict[str, str] = field(default_factory=dict)
    url: str = ""
    problems: list[str] = field(default_factory=list)

    def reset(self) -> None:
        self.mode = ANSWER
        self.requests.clear()
        self.issued.clear()
        self.problems.clear()


def _handler(state: FederationServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            self._handle(b"")

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self._handle(self.rfile.read(length))

        def _handle(self, body: bytes) -> None:
            parts = urllib.parse.urlsplit(self.path)
            form = urllib.parse.parse_qs(body.decode("utf-8"))
            query = urllib.parse.parse_qs(parts.query)
            state.requests.append(Received(self.command, parts.path, query, form))
            if state.mode == REFUSE:
                self._send(400, b"<html>Invalid Credentials Parameter</html>", "text/html")
                return
            if state.mode == NOT_JSON:
                self._send(200, b"<html><body>Sign in</body></html>", "text/html")
                return
            if state.mode == TOO_BIG:
                self._send(200, b'{"SigninToken": "' + b"A" * (2 * 1024 * 1024) + b'"}')
                return
            if state.mode == TRICKLE:
                self.send_response(200)
                self.send_header("Content-Length", "1000000")
                self.end_headers()
                try:
                    for _ in range(1000):
                        self.wfile.write(b" ")
                        self.wfile.flush()
                        time.sleep(1)
                except OSError:
                    pass
                return
            # As AWS: the fields come in the POST body (or the query), Session is the JSON of
            # the three parts of temporary credentials, nothing else.
            fields = {**query, **form}
            problem = None
            try:
                action = fields["Action"][0]
                session = json.loads(fields["Session"][0])
            except (KeyError, ValueError):
                action, session = "", None
            if action != "getSigninToken":
                problem = f"Action {action!r}"
            elif not isinstance(session, dict) or set(session) != {
                "sessionId",
                "sessionKey",
                "sessionToken",
            }:
                problem = "the Session document's fields"
            elif not all(isinstance(value, str) and value for value in session.values()):
                problem = "an empty Session field"
            if problem is not None:
                state.problems.append(problem)
                self._send(400, b"Invalid Credentials Parameter", "text/plain")
                return
            assert isinstance(session, dict)
            token = "signin-" + secrets.token_urlsafe(48)
            state.issued[session["sessionId"]] = token
            self._send(200, json.dumps({"SigninToken": token}).encode())

        def _send(self, status: int, body: bytes, kind: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                self.wfile.write(body)
            except OSError:
                pass

    return Handler


@pytest.fixture(scope="session")
def federation_server() -> Iterator[FederationServer]:
    state = FederationServer()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}/federation"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def federation(federation_server: FederationServer) -> FederationServer:
    federation_server.reset()
    return federation_server
