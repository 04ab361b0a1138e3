"""A real STS endpoint on loopback: moto's server, with its SAML gaps filled and every request
counted by Action; the fixtures that start it; and how tests run the real envgen executable
against it. Test modules import the fixtures by name."""

from __future__ import annotations

import base64
import collections
import io
import os
import subprocess
import sys
import threading
import urllib.parse
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from conftest import ENVGEN, posix_only

ACCOUNT = "123456789012"
BASE_ACCESS_KEY_ID = "AKIAIOSFODNN7BASEKEY"
BASE_SECRET = "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"
ROLE_ATTRIBUTE = "https://aws.amazon.com/SAML/Attributes/Role"
SESSION_DURATION_ATTRIBUTE = "https://aws.amazon.com/SAML/Attributes/SessionDuration"
SESSION_NAME_ATTRIBUTE = "https://aws.amazon.com/SAML/Attributes/RoleSessionName"


def role_arn(name: str, account: str = ACCOUNT) -> str:
    return f"arn:aws:iam::{account}:role/{name}"


def provider_arn(name: str, account: str = ACCOUNT) -> str:
    return f"arn:aws:iam::{account}:saml-provider/{name}"


class RequestLog:
    """The Actions the server received, in order; a test reads only what arrived after reset()."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._actions: list[str] = []
        self._parameters: list[dict[str, str]] = []

    def record(self, action: str, parameters: dict[str, str] | None = None) -> None:
        with self._lock:
            self._actions.append(action)
            self._parameters.append(dict(parameters or {}, Action=action))

    def reset(self) -> None:
        with self._lock:
            self._actions.clear()
            self._parameters.clear()

    def requests(self, action: str) -> list[dict[str, str]]:
        """The parameters of each request for ACTION, in order."""
        with self._lock:
            return [dict(fields) for fields in self._parameters if fields["Action"] == action]

    def counts(self) -> collections.Counter[str]:
        with self._lock:
            return collections.Counter(self._actions)


def counting(app, log: RequestLog):  # type: ignore[no-untyped-def]
    """WSGI middleware: read the query-protocol body for its Action, then hand it on intact."""

    def middleware(environ, start_response):  # type: ignore[no-untyped-def]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        fields = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
        fields.update(urllib.parse.parse_qs(environ.get("QUERY_STRING", "")))
        log.record(
            (fields.get("Action") or ["?"])[0],
            {name: values[0] for name, values in fields.items() if values},
        )
        return app(environ, start_response)

    return middleware


def saml_attributes(document: bytes) -> dict[str, list[str]]:
    from defusedxml.ElementTree import fromstring

    attributes: dict[str, list[str]] = collections.defaultdict(list)
    for element in fromstring(document).iter():
        if str(element.tag).endswith("}Attribute"):
            for value in element:
                attributes[element.get("Name", "")].append((value.text or "").strip())
    return attributes


def patch_moto_saml() -> None:
    """moto 5.2 answers 500 to an assertion with several role pairs, ignores DurationSeconds and
    accepts any RoleArn/PrincipalArn. This answers as STS documents: the pair must be one the
    assertion grants, and the session lasts the lesser of DurationSeconds and SessionDuration."""
    from moto.core.responses import ActionResult
    from moto.sts.exceptions import STSClientError
    from moto.sts.responses import TokenResponse

    def assume_role_with_saml(self):  # type: ignore[no-untyped-def]
        role = self._get_param("RoleArn")
        principal = self._get_param("PrincipalArn")
        attributes = saml_attributes(base64.b64decode(self._get_param("SAMLAssertion")))
        pairs = set()
        for text in attributes[ROLE_ATTRIBUTE]:
            first, second = (part.strip() for part in text.split(","))
            pairs.add((first, second) if ":role/" in first else (second, first))
        if (role, principal) not in pairs:
            raise STSClientError("AccessDenied", "Not authorized to perform sts:AssumeRoleWithSAML")
        duration = self._get_int_param("DurationSeconds", 3600)
        if attributes[SESSION_DURATION_ATTRIBUTE]:
            duration = min(duration, int(attributes[SESSION_DURATION_ATTRIBUTE][0]))
        assumed = self.backend.assume_role(
            region_name=self.region,
            role_session_name=(attributes[SESSION_NAME_ATTRIBUTE] or ["saml-user"])[0],
            role_arn=role,
            policy=None,
            duration=duration,
            external_id=None,
        )
        return ActionResult(
            {
                "Credentials": assumed,
                "AssumedRoleUser": {"AssumedRoleId": assumed.user_id, "Arn": assumed.arn},
                "Subject": "saml-user",
                "SubjectType": "persistent",
                "Issuer": "https://idp.example.com/",
                "Audience": "https://signin.aws.amazon.com/saml",
                "NameQualifier": "B64EncodedStringOfHashOfIssuerAccountIdAndUserId=",
            }
        )

    TokenResponse.assume_role_with_saml = assume_role_with_saml


class StsServer:
    def __init__(self) -> None:
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        patch_moto_saml()
        self.log = RequestLog()
        app = counting(DomainDispatcherApplication(create_backend_app), self.log)

        class QuietRequestHandler(MotoRequestHandler):
            def log_request(self, *args: object) -> None:
                pass

        self._server = make_server(
            "127.0.0.1", 0, app, threaded=True, request_handler=QuietRequestHandler
        )
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join()


@pytest.fixture(scope="session")
def sts_server() -> Iterator[StsServer]:
    server = StsServer()
    yield server
    server.stop()


@pytest.fixture
def sts(sts_server: StsServer) -> StsServer:
    sts_server.log.reset()
    return sts_server


def with_long_term_keys(
    clean_env: dict[str, str], config: str = "[default]\nregion = eu-west-1\n"
) -> dict[str, str]:
    """CLEAN_ENV's user with long-term keys in ~/.aws/credentials and CONFIG in ~/.aws/config;
    a copy of the environment to change at will."""
    home = Path(clean_env["HOME"])
    (home / ".aws").mkdir()
    Path(clean_env["AWS_SHARED_CREDENTIALS_FILE"]).write_text(
        f"[default]\naws_access_key_id = {BASE_ACCESS_KEY_ID}\n"
        f"aws_secret_access_key = {BASE_SECRET}\n"
    )
    Path(clean_env["AWS_CONFIG_FILE"]).write_text(config)
    return dict(clean_env)


@pytest.fixture
def sts_env(clean_env: dict[str, str], sts: StsServer) -> dict[str, str]:
    """A user with long-term keys in ~/.aws/credentials, STS at the local server."""
    return dict(with_long_term_keys(clean_env), AWS_ENDPOINT_URL_STS=sts.url)


def saml_assertion(
    pairs: Sequence[tuple[str, str]],
    session_duration: int | None = None,
    session_name: str = "alice@example.com",
) -> str:
    """A SAMLResponse as an identity provider posts it: base64 of the XML. Unsigned: neither
    envgen nor the test server checks signatures, STS does."""
    values = "".join(
        f"<saml:AttributeValue>{first},{second}</saml:AttributeValue>" for first, second in pairs
    )
    duration = (
        f'<saml:Attribute Name="{SESSION_DURATION_ATTRIBUTE}">'
        f"<saml:AttributeValue>{session_duration}</saml:AttributeValue></saml:Attribute>"
        if session_duration is not None
        else ""
    )
    document = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
        'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r1" Version="2.0">'
        "<saml:Issuer>https://idp.example.com/</saml:Issuer>"
        '<saml:Assertion ID="_a1" Version="2.0"><saml:AttributeStatement>'
        f'<saml:Attribute Name="{ROLE_ATTRIBUTE}">{values}</saml:Attribute>'
        f'<saml:Attribute Name="{SESSION_NAME_ATTRIBUTE}">'
        f"<saml:AttributeValue>{session_name}</saml:AttributeValue></saml:Attribute>"
        f"{duration}"
        "</saml:AttributeStatement></saml:Assertion></samlp:Response>"
    )
    return base64.b64encode(document.encode()).decode()


# Runs argv[2:] as the leader of a new session whose controlling terminal is argv[1]: on Linux
# a session leader's first open of a terminal makes it the controlling one.
_ON_TERMINAL = (
    "import os, sys; os.setsid(); os.close(os.open(sys.argv[1], os.O_RDWR)); "
    "os.execvp(sys.argv[2], sys.argv[2:])"
)


def run_envgen_on_terminal(
    args: Sequence[str], env: dict[str, str], answer: bytes, until: bytes
) -> tuple[subprocess.CompletedProcess[bytes], bytes]:
    """envgen with a terminal a person could type on (stdin, stdout, stderr stay pipes):
    waits for `until` on the terminal, types `answer`, and returns what the terminal showed."""
    return converse_on_terminal(args, env, [(until, answer + b"\n")])


def converse_on_terminal(
    args: Sequence[str],
    env: dict[str, str],
    exchanges: Sequence[tuple[bytes, bytes]],
    program: Sequence[str] = (ENVGEN,),
) -> tuple[subprocess.CompletedProcess[bytes], bytes]:
    """As run_envgen_on_terminal, for several questions: for each (until, typed) pair, waits
    until `until` shows up after what the previous pair waited for, then types `typed` as is
    (a line ends only where it holds a newline; b"\x04" ends the input). `program` is what
    runs with `args`: envgen, unless a test asks another program that runs envgen itself."""
    posix_only("a pseudo-terminal")
    import pty
    import select

    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-c", _ON_TERMINAL, os.ttyname(terminal), *program, *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    # The parent keeps its end of the terminal open: with no holder at all, reading the
    # controller fails before the child has even opened it.
    shown = b""
    waited_up_to = 0
    try:
        for until, typed in exchanges:
            while until not in shown[waited_up_to:]:
                ready, _, _ = select.select([controller], [], [], 30)
                if not ready:
                    break
                try:
                    chunk = os.read(controller, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                shown += chunk
            found = shown.find(until, waited_up_to)
            waited_up_to = len(shown) if found < 0 else found + len(until)
            os.write(controller, typed)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(controller)
        os.close(terminal)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr), shown
