"""botocore sessions whose every client is bounded: in attempts, in time and in what it reads.

botocore alone cannot promise that a command ends. Its read timeout applies to each socket
read, so an endpoint that trickles a byte every few seconds holds a request open for ever; its
retry settings can be lengthened from the environment (AWS_MAX_ATTEMPTS, AWS_RETRY_MODE) or a
profile (max_attempts, retry_mode); and it reads a response body whole, whatever its size.
Here every client, envgen's own and those botocore makes for a profile's provider, gets:

- a fixed retry policy: TOTAL_ATTEMPTS attempts in botocore's standard mode, whatever the
  environment or the profile says; a connection that is refused is not retried at all;
- one time budget for the whole command: every HTTP exchange runs in a worker thread and is
  abandoned when the time the command has spent waiting on the network reaches
  NETWORK_BUDGET_SECONDS (time spent waiting for an MFA code at the terminal does not count);
- a response read to MAX_RESPONSE_BYTES at most.

A plain http:// endpoint other than loopback gets a warning: keys and tokens would cross the
network in clear.

This leans on two botocore details, checked when each client is made: the `before-send`
event, whose handler may answer the request itself, and the client's endpoint's HTTP session
(`client._endpoint.http_session`), which sends it with the client's own proxy and TLS settings.
"""

from __future__ import annotations

import re
import threading
import time
from urllib.parse import urlsplit

# typing.TYPE_CHECKING without loading typing: direct_sts reads this module's bounds and
# messages on a road that must start fast (see envgen.values).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar

    Answer = TypeVar("Answer")

CONNECT_TIMEOUT_SECONDS = 3
# botocore's bound on each socket read; NETWORK_BUDGET_SECONDS bounds them all together.
READ_TIMEOUT_SECONDS = 6
TOTAL_ATTEMPTS = 2
NETWORK_BUDGET_SECONDS = 15
# An STS answer is a few kilobytes; an HTML page or an endless body is not one.
MAX_RESPONSE_BYTES = 1024 * 1024
_READ_CHUNK = 64 * 1024


class NetworkBudgetSpent(Exception):
    """The command has waited on the network for its whole budget. botocore does not retry
    exceptions it does not know, so raising this from an exchange ends the call."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url


class ResponseTooLarge(Exception):
    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url


class NotRetried(Exception):
    """A failure that another attempt would only repeat (a refused connection, an unknown
    host), carried past botocore's retry handler; `error` is botocore's own exception."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(type(error).__name__)
        self.error = error


class NotAnStsAnswer(Exception):
    """A successful HTTP status with a body that lacks what the STS operation returns."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url


class BadEndpointUrl(Exception):
    """The endpoint URL in effect, from wherever botocore took it, is not a usable URL."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


class UnsupportedBotocore(Exception):
    """The botocore installed no longer has the details this module relies on."""


def unreachable_errors() -> tuple[type[Exception], ...]:
    """botocore's exceptions for an endpoint that was not reached or did not answer in time."""
    from botocore import exceptions

    return (
        exceptions.EndpointConnectionError,
        exceptions.ConnectTimeoutError,
        exceptions.ReadTimeoutError,
        exceptions.ConnectionClosedError,
        exceptions.ProxyConnectionError,
    )


def client_config(extra: Any = None) -> Any:
    """The bounds, laid over any configuration a caller passes (signing, region): the caller's
    settings stay, except timeouts and retries, which are always these."""
    from botocore.config import Config

    bounded = Config(
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=READ_TIMEOUT_SECONDS,
        retries={"total_max_attempts": TOTAL_ATTEMPTS, "mode": "standard"},
    )
    return bounded if extra is None else extra.merge(bounded)


# 127.0.0.0/8 written plainly, the loopback address of most local endpoints, told without
# the ipaddress module (a millisecond and a half of every request on the direct road).
_PLAIN_LOOPBACK = re.compile(r"127(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}")


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost" or _PLAIN_LOOPBACK.fullmatch(host):
        return True
    import ipaddress

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def where(url: str) -> str:
    """scheme://host[:port] of URL: enough to name the endpoint, and never a path or query."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    return f"{parts.scheme}://{host}" + (f":{port}" if port is not None else "")


def plain_http_warning(url: str) -> str | None:
    """The warning a request to URL deserves: plain http:// to anything but loopback."""
    if urlsplit(url).scheme != "http" or is_loopback(url):
        return None
    return (
        f"warning: {where(url)} is plain http: keys and tokens cross the network "
        "unencrypted; use https://"
    )


class NetworkBudget:
    """The seconds a command may still spend waiting on HTTP exchanges."""

    def __init__(self, seconds: float | None = None) -> None:
        # Read when the budget is made, so a test can shorten the module's constant.
        self.seconds = NETWORK_BUDGET_SECONDS if seconds is None else seconds
        self._spent = 0.0

    def remaining(self) -> float:
        return self.seconds - self._spent

    def spend(self, seconds: float) -> None:
        self._spent += seconds

    def wait_for(self, url: str, exchange: Callable[[], Answer]) -> Answer:
        """EXCHANGE's answer (or its exception), run in a worker thread and waited for at most
        the seconds left; NetworkBudgetSpent once they are gone. A thread, because a socket's
        timeouts bound each read, not an endpoint that trickles a byte at a time."""
        remaining = self.remaining()
        if remaining <= 0:
            raise NetworkBudgetSpent(url)
        outcome: list[Answer] = []
        failure: list[BaseException] = []
        finished = threading.Event()

        def work() -> None:
            try:
                outcome.append(exchange())
            except BaseException as error:
                failure.append(error)
            finally:
                finished.set()

        started = time.monotonic()
        # A daemon: an abandoned exchange must not keep the process alive after it reported.
        threading.Thread(target=work, name="envgen-http-exchange", daemon=True).start()
        answered = finished.wait(remaining)
        self.spend(time.monotonic() - started)
        if not answered:
            raise NetworkBudgetSpent(url)
        if failure:
            raise failure[0]
        return outcome[0]


class _Body:
    """A response body already read, in the shape botocore's AWSResponse reads it from."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, *args: Any, **kwargs: Any) -> list[bytes]:
        return [self._data]


def _send_capped(http_session: Any, request: Any) -> Any:
    """Send REQUEST through botocore's HTTP session and read at most MAX_RESPONSE_BYTES back."""
    import copy

    from botocore.awsrequest import AWSResponse
    from botocore.exceptions import ConnectionClosedError, ReadTimeoutError
    from urllib3 import exceptions as urllib3_errors

    streaming = copy.copy(request)
    streaming.stream_output = True
    response = http_session.send(streaming)
    raw = response.raw
    chunks: list[bytes] = []
    size = 0
    complete = False
    try:
        for chunk in raw.stream(_READ_CHUNK):
            size += len(chunk)
            if size > MAX_RESPONSE_BYTES:
                raise ResponseTooLarge(request.url)
            chunks.append(chunk)
        declared = str(response.headers.get("content-length", "")).strip()
        if declared.isdigit() and size < int(declared):
            # Some urllib3 releases hand on a body cut short without a word.
            raise urllib3_errors.ProtocolError("the connection closed inside the body")
        complete = True
    except (urllib3_errors.ProtocolError, urllib3_errors.ReadTimeoutError) as error:
        # botocore maps urllib3's errors while it reads the head; those in the body reach
        # here. Mapped the same way, they are retried and reported as botocore's are.
        if isinstance(error, urllib3_errors.ReadTimeoutError):
            raise ReadTimeoutError(endpoint_url=request.url, error=error) from None
        raise ConnectionClosedError(
            error=error, request=request, endpoint_url=request.url
        ) from None
    finally:
        if not complete:
            # A connection left half-read must not go back to the pool.
            raw.close()
    return AWSResponse(
        response.url, response.status_code, response.headers, _Body(b"".join(chunks))
    )


def _check_sts_body(body: bytes, operation: str, url: str) -> None:
    """A successful STS answer is `<{operation}Response><{operation}Result>...`; anything else
    is refused here, before botocore's parser (which fails on some shapes with a bare KeyError)
    sees it. DTDs are refused too: no STS answer carries one."""
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import ParseError, fromstring

    try:
        root = fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (DefusedXmlException, ParseError, ValueError):
        raise NotAnStsAnswer(url) from None

    def local(tag: object) -> str:
        return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""

    if local(root.tag) != f"{operation}Response" or not any(
        local(child.tag) == f"{operation}Result" for child in root
    ):
        raise NotAnStsAnswer(url)


def _refused(error: BaseException) -> bool:
    from botocore.exceptions import EndpointConnectionError, ProxyConnectionError

    # EndpointConnectionError is botocore's name for a refused connection or an unknown
    # host; its subclasses (TLS failures, connect timeouts) are kept out on purpose.
    return type(error) in (EndpointConnectionError, ProxyConnectionError)


def _exchange(client: Any, budget: NetworkBudget, request: Any, event_name: str) -> Any:
    """One HTTP exchange, answered in the worker thread, waited for at most the budget left."""
    http_session = client._endpoint.http_session
    try:
        response = budget.wait_for(request.url, lambda: _send_capped(http_session, request))
    except BaseException as error:
        if _refused(error):
            raise NotRetried(error) from None
        raise
    # event_name is "before-send.<service>.<operation>".
    _, service, operation = (event_name.split(".") + ["", ""])[:3]
    if service == "sts" and 200 <= response.status_code < 300:
        _check_sts_body(response.content, operation, request.url)
    return response


# What each successful STS answer must hold; botocore parses any well-formed XML into a
# dictionary, so a proxy's page or another service's answer would otherwise come back empty.
CREDENTIAL_FIELDS = ("AccessKeyId", "SecretAccessKey", "SessionToken")
IDENTITY_FIELDS = ("Account", "Arn", "UserId")


def _holds_strings(fields: Any, names: tuple[str, ...]) -> bool:
    return isinstance(fields, dict) and all(
        isinstance(fields.get(name), str) and fields[name] for name in names
    )


def check_sts_answer(http_response: Any, parsed: Any, model: Any, **_: Any) -> None:
    if http_response is None or http_response.status_code >= 300:
        return
    members = getattr(model.output_shape, "members", {}) or {}
    if "Credentials" in members:
        fields = parsed.get("Credentials") if isinstance(parsed, dict) else None
        if not _holds_strings(fields, CREDENTIAL_FIELDS):
            raise NotAnStsAnswer(http_response.url)
    elif model.name == "GetCallerIdentity" and not _holds_strings(parsed, IDENTITY_FIELDS):
        raise NotAnStsAnswer(http_response.url)


def _check_client(client: Any) -> None:
    endpoint = getattr(client, "_endpoint", None)
    if not callable(getattr(getattr(endpoint, "http_session", None), "send", None)):
        import botocore

        raise UnsupportedBotocore(botocore.__version__)


def bounded_session(profile: str | None, warn: Any) -> Any:
    """A botocore session for PROFILE whose clients are all bounded; `warn(text)` tells the
    user about a plain http:// endpoint, once per endpoint."""
    return _session_class()(profile=profile, warn=warn)


_SESSION_CLASS: Any = None


def _session_class() -> Any:
    global _SESSION_CLASS
    if _SESSION_CLASS is not None:
        return _SESSION_CLASS
    import botocore.session

    class BoundedSession(botocore.session.Session):
        def __init__(self, *, profile: str | None, warn: Any) -> None:
            super().__init__(profile=profile)
            self.network_budget = NetworkBudget()
            # Where STS clients botocore makes for itself (a profile's web identity provider)
            # send their requests when they name no endpoint: the command line's, if any.
            self.sts_endpoint_url: str | None = None
            self._warn = warn
            self._warned: set[str] = set()

        def create_client(self, *args: Any, **kwargs: Any) -> Any:
            from botocore.exceptions import BotoCoreError

            from envgen.sources.validation import endpoint_url_problem

            kwargs["config"] = client_config(kwargs.get("config"))
            service = args[0] if args else kwargs.get("service_name")
            if service == "sts" and self.sts_endpoint_url and not kwargs.get("endpoint_url"):
                kwargs["endpoint_url"] = self.sts_endpoint_url
            try:
                client = super().create_client(*args, **kwargs)
            except ValueError as error:
                if isinstance(error, BotoCoreError):
                    raise
                # botocore's only plain ValueError here is its refusal of the endpoint URL.
                raise BadEndpointUrl("it is not a valid URL") from None
            # An endpoint botocore accepts can still fail later, when a request is signed (a
            # port beyond 65535): checked now, whichever setting it came from.
            problem = endpoint_url_problem(client.meta.endpoint_url)
            if problem is not None:
                raise BadEndpointUrl(problem)
            _check_client(client)
            budget = self.network_budget

            def before_send(request: Any, event_name: str = "", **_: Any) -> Any:
                self._warn_if_plain(request.url)
                return _exchange(client, budget, request, event_name)

            client.meta.events.register("before-send", before_send)
            if client.meta.service_model.service_name == "sts":
                client.meta.events.register("after-call.sts", check_sts_answer)
            return client

        def _warn_if_plain(self, url: str) -> None:
            warning = plain_http_warning(url)
            endpoint = where(url)
            if warning is not None and endpoint not in self._warned:
                self._warned.add(endpoint)
                self._warn(warning)

    _SESSION_CLASS = BoundedSession
    return BoundedSession
