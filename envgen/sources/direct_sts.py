"""STS's Query API spoken without botocore: the request botocore's STS client would send, signed
as botocore signs it, sent within the bounds of bounded_client, and answered with the dictionary
botocore's client returns, or the one line envgen's botocore path prints for the same answer.

Loading botocore costs a command about 200 ms, more than everything else a renewal does; a
request that can take this road skips it. `resolve_endpoint` answers only where it knows
botocore's answer (otherwise None, and the caller goes through botocore); `call` then makes one
STS call the way botocore's client would: the same form body, SigV4 over the same canonical
request, TOTAL_ATTEMPTS attempts with botocore standard mode's retry rules, the same trust for
HTTPS, and the same bounds (connect and read timeouts, one network budget, a capped response).

Only the standard library and botocore-free envgen modules are imported here; defusedxml parses
the answers, refusing DTDs and entities.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import socket
import time
from datetime import datetime, timezone
from urllib.parse import quote, urlencode, urlsplit

from envgen import messages
from envgen.errors import EnvgenError
from envgen.sources import bounded_client, sts_lines
from envgen.values import Value

# typing.TYPE_CHECKING without loading typing, nor dataclasses, http.client or ssl unless a
# request needs them: this road exists to start fast (see envgen.values).
TYPE_CHECKING = False
if TYPE_CHECKING:
    import ssl
    from collections.abc import Mapping
    from typing import Any, Final

    from envgen.sources.request import Place

    # The output members of an operation: a type name, or a nested mapping for a structure.
    Shape = Mapping[str, str | "Shape"]

API_VERSION = "2011-06-15"
# botocore's query serializer sends its form with this type, and signs it.
CONTENT_TYPE = "application/x-www-form-urlencoded; charset=utf-8"
USER_AGENT = "envgen"

# ---------------------------------------------------------------------------------------------
# Values


class SigningKeys(Value):
    """The keys that sign a request; repr shows the key id only."""

    __slots__ = ("access_key_id", "secret_access_key", "session_token")
    _hidden = frozenset({"secret_access_key", "session_token"})
    access_key_id: Final[str]
    secret_access_key: Final[str]
    session_token: Final[str | None]

    def __init__(
        self, access_key_id: str, secret_access_key: str, session_token: str | None = None
    ) -> None:
        self.access_key_id = access_key_id
        self.secret_access_key = secret_access_key
        self.session_token = session_token


class Endpoint(Value):
    """Where to send the request (scheme://host[:port][/path]) and the region it is signed for."""

    __slots__ = ("url", "signing_region")
    url: Final[str]
    signing_region: Final[str]

    def __init__(self, url: str, signing_region: str) -> None:
        self.url = url
        self.signing_region = signing_region


# ---------------------------------------------------------------------------------------------
# Where botocore's STS client would send the request

# Any of these in the environment, in any case, changes how botocore connects.
_PROXY_VARIABLES = frozenset({"http_proxy", "https_proxy", "all_proxy", "no_proxy"})

# Environment variables that change botocore's STS endpoint or connection in ways not followed
# here: with any of them set, botocore decides.
_UNFOLLOWED_VARIABLES = (
    "AWS_DATA_PATH",  # a different endpoint ruleset or model
    "AWS_DEFAULTS_MODE",  # may switch sts_regional_endpoints and timeouts
    "AWS_USE_FIPS_ENDPOINT",
    "AWS_USE_DUALSTACK_ENDPOINT",
    "AWS_CSM_ENABLED",
)

# Profile settings that do not bear on the STS endpoint or connection (credentials, roles, the
# AWS CLI's own settings) and those followed here; any other setting leaves it to botocore.
_FOLLOWED_PROFILE_SETTINGS = frozenset(
    {
        "region",
        "endpoint_url",
        "ignore_configured_endpoint_urls",
        "sts_regional_endpoints",
        "ca_bundle",
        "aws_access_key_id",
        "aws_secret_access_key",
        "aws_session_token",
        "aws_security_token",
        "aws_credential_expiration",
        "role_arn",
        "source_profile",
        "role_session_name",
        "external_id",
        "duration_seconds",
        "mfa_serial",
        "credential_source",
        "credential_process",
        "web_identity_token_file",
        "sso_session",
        "sso_start_url",
        "sso_region",
        "sso_account_id",
        "sso_role_name",
        "sso_registration_scopes",
        "output",
        "cli_pager",
        "cli_timestamp_format",
        "cli_follow_urlparam",
        "cli_binary_format",
        "cli_auto_prompt",
        "cli_history",
        "max_attempts",
        "retry_mode",
        "parameter_validation",
        "__name__",
    }
)

# Regions per partition, as botocore's partitions.json matches them; other partitions (the
# isolated ones, the European sovereign cloud) and pseudo-regions are left to botocore.
_PARTITIONS = (
    (re.compile(r"cn-[a-z]+-\d+"), "amazonaws.com.cn"),
    (re.compile(r"us-gov-[a-z]+-\d+"), "amazonaws.com"),
    (re.compile(r"(us|eu|ap|sa|ca|me|af|il|mx)-[a-z]+-\d+"), "amazonaws.com"),
)
# Regions whose requests go to the global endpoint when sts_regional_endpoints is `legacy`
# (botocore's STS endpoint ruleset).
_LEGACY_GLOBAL_REGIONS = frozenset(
    {
        "ap-northeast-1",
        "ap-south-1",
        "ap-southeast-1",
        "ap-southeast-2",
        "ca-central-1",
        "eu-central-1",
        "eu-north-1",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "sa-east-1",
        "us-east-1",
        "us-east-2",
        "us-west-1",
        "us-west-2",
    }
)
_GLOBAL_ENDPOINT = "https://sts.amazonaws.com"
_GLOBAL_SIGNING_REGION = "us-east-1"

# The URL paths signed and sent alike without any normalizing or quoting.
_PLAIN_PATH = re.compile(r"(/[A-Za-z0-9_~-][A-Za-z0-9._~-]*)*/?")


def _flag(value: object) -> bool:
    """A boolean setting as botocore's ensure_boolean reads it."""
    if isinstance(value, bool):
        return value
    return isinstance(value, str) and value.lower() == "true"


def _configured_endpoint(
    profile: Mapping[str, Any], environ: Mapping[str, str]
) -> tuple[bool, str | None]:
    """(followed, url): the endpoint URL configured outside the command line, as botocore's
    ConfiguredEndpointProvider finds it; followed is False where botocore's answer is not
    known here."""
    if "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS" in environ:
        ignored = _flag(environ["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"])
    else:
        ignored = _flag(profile.get("ignore_configured_endpoint_urls"))
    configured = (
        environ.get("AWS_ENDPOINT_URL_STS")
        or environ.get("AWS_ENDPOINT_URL")
        or profile.get("endpoint_url")
        or None
    )
    # Every botocore envgen runs with reads these: boto3 1.28, the lowest envgen allows,
    # requires botocore 1.31, the first release with ConfiguredEndpointProvider.
    if ignored or configured is None:
        return True, None
    return (True, configured) if isinstance(configured, str) else (False, None)


def _usable_url(url: str) -> bool:
    """A URL this module sends to exactly as botocore would: ASCII, no credentials, query or
    fragment, and a path that needs neither normalizing nor quoting."""
    from envgen.sources.validation import endpoint_url_problem

    if not url.isascii() or endpoint_url_problem(url) is not None:
        return False
    return _PLAIN_PATH.fullmatch(urlsplit(url).path) is not None


def resolve_endpoint(
    place: Place,
    profile: Mapping[str, Any] | None,
    region: str | None,
    environ: Mapping[str, str] = os.environ,
) -> Endpoint | None:
    """The endpoint botocore's STS client for this command would use (sts_session.make_client),
    or None where that is not known here and the caller must take botocore's path. PROFILE is
    the chosen profile's settings (None: no profile), REGION the region in effect."""
    if any(name.lower() in _PROXY_VARIABLES for name in environ):
        return None
    if any(name in environ for name in _UNFOLLOWED_VARIABLES):
        return None
    settings: Mapping[str, Any] = profile or {}
    if any(key not in _FOLLOWED_PROFILE_SETTINGS for key in settings):
        return None
    # An empty bundle makes botocore skip verifying certificates altogether: its road, not
    # this one, does that.
    if environ.get("AWS_CA_BUNDLE") == "":
        return None
    if "AWS_CA_BUNDLE" not in environ and "ca_bundle" in settings:
        if not isinstance(settings["ca_bundle"], str) or not settings["ca_bundle"]:
            return None
    signing_region = region or sts_lines.FALLBACK_REGION
    suffix = next((dns for pattern, dns in _PARTITIONS if pattern.fullmatch(signing_region)), None)
    if suffix is None:
        return None
    url = place.endpoint_url
    if url is None:
        followed, url = _configured_endpoint(settings, environ)
        if not followed:
            return None
    if url is not None:
        return Endpoint(url, signing_region) if _usable_url(url) else None
    if "AWS_STS_REGIONAL_ENDPOINTS" in environ:
        mode: object = environ["AWS_STS_REGIONAL_ENDPOINTS"]
    else:
        # Unset, envgen's botocore path asks for `regional` (sts_session.make_client), the
        # default of every botocore since 1.40, so both roads agree on every version.
        mode = settings.get("sts_regional_endpoints", "regional")
    if mode not in ("regional", "legacy"):
        return None
    if mode == "legacy" and signing_region in _LEGACY_GLOBAL_REGIONS:
        return Endpoint(_GLOBAL_ENDPOINT, _GLOBAL_SIGNING_REGION)
    return Endpoint(f"https://sts.{signing_region}.{suffix}", signing_region)


# ---------------------------------------------------------------------------------------------
# The request, as botocore's query serializer and SigV4Auth make it


def form_body(operation: str, parameters: Mapping[str, str]) -> bytes:
    """Action, Version, then the parameters in the order given, form-encoded as botocore's
    AWSRequest encodes the serializer's body (urlencode: `+` for a space, `~` left alone)."""
    pairs = [("Action", operation), ("Version", API_VERSION), *parameters.items()]
    return urlencode(pairs).encode("ascii")


def request_url(endpoint: Endpoint) -> str:
    """The URL botocore posts to: the endpoint's own, `/` when it has no path."""
    return endpoint.url if urlsplit(endpoint.url).path else endpoint.url + "/"


def host_header(url: str) -> str:
    """The Host botocore signs (and urllib3 sends): the port only when it is not the scheme's."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    default_port = {"http": 80, "https": 443}.get(parts.scheme)
    if parts.port is not None and parts.port != default_port:
        host = f"{host}:{parts.port}"
    return host


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


def signed_headers(
    url: str, body: bytes, keys: SigningKeys | None, region: str, moment: datetime
) -> dict[str, str]:
    """The headers of the request (Host apart), signed with AWS Signature Version 4 for STS in
    REGION at MOMENT exactly as botocore's SigV4Auth signs them; unsigned when KEYS is None."""
    headers = {"Content-Type": CONTENT_TYPE}
    if keys is None:
        return headers
    stamp = moment.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    headers["X-Amz-Date"] = stamp
    if keys.session_token:
        headers["X-Amz-Security-Token"] = keys.session_token
    to_sign = {name.lower(): " ".join(value.split()) for name, value in headers.items()}
    to_sign["host"] = host_header(url)
    names = sorted(to_sign)
    canonical_request = "\n".join(
        [
            "POST",
            quote(urlsplit(url).path or "/", safe="/~"),
            "",
            "".join(f"{name}:{to_sign[name]}\n" for name in names),
            ";".join(names),
            hashlib.sha256(body).hexdigest(),
        ]
    )
    scope = f"{stamp[:8]}/{region}/sts/aws4_request"
    string_to_sign = "\n".join(
        [
            "AWS4-HMAC-SHA256",
            stamp,
            scope,
            hashlib.sha256(canonical_request.encode("utf-8")).hexdigest(),
        ]
    )
    key = ("AWS4" + keys.secret_access_key).encode("utf-8")
    for part in (stamp[:8], region, "sts", "aws4_request"):
        key = _hmac(key, part)
    signature = hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    headers["Authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={keys.access_key_id}/{scope}, "
        f"SignedHeaders={';'.join(names)}, Signature={signature}"
    )
    return headers


# ---------------------------------------------------------------------------------------------
# The exchange, within bounded_client's bounds


class _Answer(Value):
    __slots__ = ("status", "headers", "body")
    status: Final[int]
    headers: Final[dict[str, str]]
    body: Final[bytes]

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body


class _NoAnswer(Exception):
    """An exchange that ended without an HTTP answer; `kind` is botocore's name for the same
    failure (botocore.httpsession maps urllib3's errors to these)."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


# botocore gives up at once on these: another attempt would only repeat them.
_NOT_RETRIED = frozenset({"EndpointConnectionError"})
# The failures sts_session words as an unreachable endpoint; the rest as a failed call.
_UNREACHABLE = frozenset(
    {"EndpointConnectionError", "ConnectTimeoutError", "ReadTimeoutError", "ConnectionClosedError"}
)


def ca_bundle(profile: Mapping[str, Any] | None, environ: Mapping[str, str]) -> str:
    """The certificates botocore trusts: AWS_CA_BUNDLE, the profile's ca_bundle, certifi's
    bundle when certifi is installed, else the one botocore ships (found without importing it)."""
    chosen = environ.get("AWS_CA_BUNDLE") or (profile or {}).get("ca_bundle")
    if isinstance(chosen, str) and chosen:
        # urllib3 expands a leading `~` in the bundle botocore hands it.
        return os.path.expanduser(chosen)
    try:
        import certifi
    except ImportError:
        import importlib.util

        spec = importlib.util.find_spec("botocore")
        if spec is None or spec.origin is None:
            raise EnvgenError(
                sts_lines.failed_line("SSLError")
            ) from None  # pragma: no cover - botocore is a dependency
        return os.path.join(os.path.dirname(spec.origin), "cacert.pem")
    return str(certifi.where())


def _tls_context(bundle: str) -> ssl.SSLContext:
    import ssl

    try:
        context = ssl.create_default_context(cafile=bundle)
    except (OSError, ssl.SSLError):
        raise _NoAnswer("SSLError") from None
    context.check_hostname = True
    return context


# As http.client bounds what it reads before the body (urllib3 reads the head through it).
_MAX_LINE_BYTES = 65536
_MAX_HEADERS = 100


class _Closed(Exception):
    """The answer broke off or is no HTTP: urllib3's ProtocolError, botocore's
    ConnectionClosedError."""


class _NeverRaised(Exception):
    """Stands for ssl.SSLError in an except clause where no TLS is spoken."""


class _AnswerReader:
    """An HTTP/1.1 answer read off a socket, each read bounded by the socket's timeout."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._buffer = b""
        self._ended = False

    def _fill(self) -> bool:
        if self._ended:
            return False
        chunk = self._sock.recv(64 * 1024)
        if not chunk:
            self._ended = True
            return False
        self._buffer += chunk
        return True

    def line(self) -> bytes:
        while b"\n" not in self._buffer:
            if len(self._buffer) > _MAX_LINE_BYTES or not self._fill():
                raise _Closed()
        line, _, self._buffer = self._buffer.partition(b"\n")
        if len(line) > _MAX_LINE_BYTES:
            raise _Closed()
        return line.rstrip(b"\r")

    def take(self, size: int) -> bytes:
        """Exactly SIZE bytes: a body cut short is a broken connection, as on botocore's road
        (bounded_client)."""
        while len(self._buffer) < size:
            if not self._fill():
                raise _Closed()
        taken, self._buffer = self._buffer[:size], self._buffer[size:]
        return taken

    def rest(self, url: str) -> bytes:
        while self._fill():
            if len(self._buffer) > bounded_client.MAX_RESPONSE_BYTES:
                raise bounded_client.ResponseTooLarge(url)
        rest, self._buffer = self._buffer, b""
        return rest

    def head(self) -> tuple[int, dict[str, str]]:
        """The status and the headers (names lower-cased, repeated ones joined with `, ` as
        urllib3 joins them), 1xx interim answers passed over."""
        while True:
            status_line = self.line().split(None, 2)
            if len(status_line) < 2 or not status_line[0].startswith(b"HTTP/"):
                raise _Closed()
            try:
                status = int(status_line[1])
            except ValueError:
                raise _Closed() from None
            if not 100 <= status <= 999:
                raise _Closed()
            headers: dict[str, str] = {}
            count = 0
            while line := self.line():
                count += 1
                if count > _MAX_HEADERS:
                    raise _Closed()
                name, colon, value = line.decode("iso-8859-1").partition(":")
                if not colon:
                    continue
                key, text = name.strip().lower(), value.strip()
                headers[key] = f"{headers[key]}, {text}" if key in headers else text
            if status >= 200 or status == 101:
                return status, headers

    def body(self, headers: Mapping[str, str], url: str) -> bytes:
        cap = bounded_client.MAX_RESPONSE_BYTES
        if "chunked" in headers.get("transfer-encoding", "").lower():
            chunks: list[bytes] = []
            size = 0
            while True:
                length_text = self.line().split(b";", 1)[0].strip()
                try:
                    length = int(length_text, 16)
                except ValueError:
                    raise _Closed() from None
                if length == 0:
                    while self.line():
                        pass  # trailers
                    return b"".join(chunks)
                size += length
                if size > cap:
                    raise bounded_client.ResponseTooLarge(url)
                chunks.append(self.take(length))
                self.line()
        if "content-length" in headers:
            try:
                length = int(headers["content-length"].split(",")[0])
            except ValueError:
                raise _Closed() from None
            if length > cap:
                # botocore's road reads up to the cap before it gives up; the answer is the
                # same, and nothing is gained by reading a megabyte to reach it.
                raise bounded_client.ResponseTooLarge(url)
            return self.take(max(length, 0))
        return self.rest(url)


def _exchange_once(url: str, headers: Mapping[str, str], body: bytes, bundle: str) -> _Answer:
    """One POST: connected within CONNECT_TIMEOUT_SECONDS, each read within
    READ_TIMEOUT_SECONDS, at most MAX_RESPONSE_BYTES of body read."""
    parts = urlsplit(url)
    secure = parts.scheme == "https"
    host = parts.hostname or ""
    port = parts.port or (443 if secure else 80)
    try:
        sock = socket.create_connection(
            (host, port), timeout=bounded_client.CONNECT_TIMEOUT_SECONDS
        )
    except TimeoutError:
        raise _NoAnswer("ConnectTimeoutError") from None
    except OSError:
        # A refused connection, an unknown host, an unreachable network.
        raise _NoAnswer("EndpointConnectionError") from None
    tls_error: type[BaseException] = _NeverRaised
    try:
        if secure:
            import ssl

            tls_error = ssl.SSLError
            try:
                # The handshake runs within the connect timeout, as urllib3's does.
                sock = _tls_context(bundle).wrap_socket(sock, server_hostname=host)
            except (ssl.SSLError, ssl.CertificateError):
                raise _NoAnswer("SSLError") from None
            except TimeoutError:
                raise _NoAnswer("ReadTimeoutError") from None
            except OSError:
                raise _NoAnswer("ConnectionClosedError") from None
        head = [f"POST {parts.path or '/'} HTTP/1.1", f"Host: {host_header(url)}"]
        head += ["Accept-Encoding: identity", f"User-Agent: {USER_AGENT}"]
        head += [f"{name}: {value}" for name, value in headers.items()]
        head.append(f"Content-Length: {len(body)}")
        try:
            sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode("ascii") + body)
        except BrokenPipeError:
            pass  # the server may have answered already: read it, as urllib3 does
        except OSError:
            raise _NoAnswer("ConnectionClosedError") from None
        sock.settimeout(bounded_client.READ_TIMEOUT_SECONDS)
        reader = _AnswerReader(sock)
        try:
            status, headers_seen = reader.head()
            content = reader.body(headers_seen, url)
        except TimeoutError:
            raise _NoAnswer("ReadTimeoutError") from None
        except tls_error:
            raise _NoAnswer("SSLError") from None
        except (OSError, _Closed):
            raise _NoAnswer("ConnectionClosedError") from None
        return _Answer(status, headers_seen, content)
    finally:
        sock.close()


def _bounded_exchange(
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    bundle: str,
    budget: bounded_client.NetworkBudget,
) -> _Answer:
    """One exchange in a worker thread, waited for at most the budget left, as bounded_client
    waits for botocore's."""
    return budget.wait_for(url, lambda: _exchange_once(url, headers, body, bundle))


# ---------------------------------------------------------------------------------------------
# Answers, as botocore's QueryParser reads them

# The output members of each operation, in botocore's order, with their types: a nested
# mapping is a structure. tests/sources/test_direct_sts.py checks this against botocore's model.
_CREDENTIALS: Shape = {
    "AccessKeyId": "string",
    "SecretAccessKey": "string",
    "SessionToken": "string",
    "Expiration": "timestamp",
}
_ROLE_USER: Shape = {"AssumedRoleId": "string", "Arn": "string"}
_TOKEN_USAGE: Shape = {"SessionTokenUtilization": "integer", "SessionTokenSize": "integer"}
OUTPUT_SHAPES: Mapping[str, Shape] = {
    "AssumeRole": {
        "Credentials": _CREDENTIALS,
        "AssumedRoleUser": _ROLE_USER,
        "PackedPolicySize": "integer",
        "SourceIdentity": "string",
        **_TOKEN_USAGE,
    },
    "GetSessionToken": {"Credentials": _CREDENTIALS, **_TOKEN_USAGE},
    "GetCallerIdentity": {"UserId": "string", "Account": "string", "Arn": "string"},
    "GetFederationToken": {
        "Credentials": _CREDENTIALS,
        "FederatedUser": {"FederatedUserId": "string", "Arn": "string"},
        "PackedPolicySize": "integer",
        **_TOKEN_USAGE,
    },
}


class _Unparsable(Exception):
    """A body botocore's parser could not read either."""


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _parse_xml(body: bytes, *, allow_dtd: bool) -> Any:
    """The document's root, read as botocore reads it (UTF-8 whatever the declaration says);
    entities are never expanded, and a DTD is refused unless ALLOW_DTD."""
    from xml.etree.ElementTree import TreeBuilder

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import DefusedXMLParser

    parser = DefusedXMLParser(
        target=TreeBuilder(),
        encoding="utf-8",
        forbid_dtd=not allow_dtd,
        forbid_entities=True,
        forbid_external=True,
    )
    try:
        parser.feed(body)
        return parser.close()
    # ParseError is a SyntaxError; caught as such, since defusedxml before 0.8 parses with a
    # copy of ElementTree whose ParseError is a class of its own.
    except (DefusedXmlException, SyntaxError, ValueError):
        raise _Unparsable() from None


def _children_by_name(node: Any) -> dict[str, Any]:
    """botocore's _build_name_to_xml_node: repeated names gather into a list."""
    if isinstance(node, list):
        return _children_by_name(node[0])
    named: dict[str, Any] = {}
    for child in node:
        name = _local(child.tag)
        if name in named:
            if isinstance(named[name], list):
                named[name].append(child)
            else:
                named[name] = [named[name], child]
        else:
            named[name] = child
    return named


def _as_texts(named: dict[str, Any]) -> dict[str, Any]:
    """botocore's _replace_nodes: leaves become their text, branches dictionaries."""
    for name, node in named.items():
        named[name] = _as_texts(_children_by_name(node)) if list(node) else node.text
    return named


def _text(node: Any) -> str:
    if isinstance(node, list):
        raise _Unparsable()
    return str(node.text or "")


def _timestamp(text: str) -> datetime:
    from envgen.credentials import read_stored_expiration

    moment = read_stored_expiration(text)
    if moment is None:
        raise _Unparsable()
    return moment


def _parse_structure(shape: Shape, node: Any) -> dict[str, Any]:
    named = _children_by_name(node)
    parsed: dict[str, Any] = {}
    for member, kind in shape.items():
        child = named.get(member)
        if child is None:
            continue
        if not isinstance(kind, str):
            parsed[member] = _parse_structure(kind, child)
        elif kind == "integer":
            try:
                parsed[member] = int(_text(child))
            except ValueError:
                raise _Unparsable() from None
        elif kind == "timestamp":
            parsed[member] = _timestamp(_text(child))
        else:
            parsed[member] = _text(child)
    return parsed


def _holds_strings(fields: object, names: tuple[str, ...]) -> bool:
    return isinstance(fields, dict) and all(
        isinstance(fields.get(name), str) and fields[name] for name in names
    )


def _parse_success(operation: str, answer: _Answer, url: str) -> dict[str, Any]:
    """A 2xx answer: `<{Op}Response><{Op}Result>` holding what the operation returns, as
    bounded_client insists, parsed into botocore's dictionary."""
    try:
        root = _parse_xml(answer.body, allow_dtd=False)
    except _Unparsable:
        raise bounded_client.NotAnStsAnswer(url) from None
    if _local(root.tag) != f"{operation}Response":
        raise bounded_client.NotAnStsAnswer(url)
    results = [child for child in root if _local(child.tag) == f"{operation}Result"]
    if not results:
        raise bounded_client.NotAnStsAnswer(url)
    shape = OUTPUT_SHAPES[operation]
    try:
        parsed = _parse_structure(shape, _children_by_name(root)[f"{operation}Result"])
    except _Unparsable:
        raise bounded_client.NotAnStsAnswer(url) from None
    if "Credentials" in shape:
        if not _holds_strings(parsed.get("Credentials"), bounded_client.CREDENTIAL_FIELDS):
            raise bounded_client.NotAnStsAnswer(url)
    elif operation == "GetCallerIdentity" and not _holds_strings(
        parsed, bounded_client.IDENTITY_FIELDS
    ):
        raise bounded_client.NotAnStsAnswer(url)
    metadata_node = _children_by_name(root).get("ResponseMetadata")
    metadata: dict[str, Any] = {}
    if metadata_node is not None:
        metadata = {name: node.text for name, node in _children_by_name(metadata_node).items()}
    parsed["ResponseMetadata"] = metadata
    return parsed


def _parse_error(answer: _Answer) -> dict[str, Any]:
    """An error answer as botocore's QueryParser reads it: `Error` with Code and Message; a 5xx
    whose body is empty or an HTML page gets its status as the code."""
    body = answer.body.strip()
    if answer.status >= 500 and (not body or body.startswith(b"<html>")):
        import http.client

        return {
            "Error": {
                "Code": str(answer.status),
                "Message": http.client.responses.get(answer.status, ""),
            }
        }
    # botocore's parser reads DTDs; entities it would expand are refused here.
    parsed = _as_texts(_children_by_name(_parse_xml(answer.body, allow_dtd=True)))
    if "Errors" in parsed:
        errors = parsed.pop("Errors")
        if isinstance(errors, dict):
            parsed.update(errors)
    return parsed


# ---------------------------------------------------------------------------------------------
# Retries, as botocore's standard mode decides them

_TRANSIENT_CODES = frozenset(
    {"RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete"}
)
_TRANSIENT_STATUSES = frozenset({500, 502, 503, 504})
_THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
    }
)
# botocore retries this STS code specially (botocore.retries.special).
_STS_RETRIED_CODES = frozenset({"IDPCommunicationError"})
_MAX_BACKOFF_SECONDS = 20
_THROTTLING_BASE_SECONDS = 1.0
_OTHER_BASE_SECONDS = 0.05
_RETRY_AFTER_MAX_ADDITIONAL_SECONDS = 5


def _error_code(parsed: Mapping[str, Any]) -> str | None:
    """The code the retry rules compare (botocore compares whatever the answer holds, so a
    code that is not text matches none of them)."""
    details = parsed.get("Error")
    code = details.get("Code") if isinstance(details, dict) else None
    return code if isinstance(code, str) else None


def _throttled(status: int | None, code: str | None) -> bool:
    return status == 429 or code in _THROTTLING_CODES


def _retryable(status: int | None, code: str | None, failure: str | None) -> bool:
    if failure is not None:
        return failure not in _NOT_RETRIED
    return (
        code in _TRANSIENT_CODES
        or status in _TRANSIENT_STATUSES
        or _throttled(status, code)
        or code in _STS_RETRIED_CODES
    )


def _backoff(attempt: int, throttled: bool, headers: Mapping[str, str]) -> float:
    """botocore standard mode's delay before retry ATTEMPT (1-based attempt that failed)."""
    base = _THROTTLING_BASE_SECONDS if throttled else _OTHER_BASE_SECONDS
    import random

    delay = random.random() * min(base * 2.0 ** (attempt - 1), _MAX_BACKOFF_SECONDS)
    retry_after = headers.get("x-amz-retry-after")
    if retry_after is not None:
        try:
            asked = int(retry_after) / 1000.0
        except (ValueError, OverflowError):
            return delay
        if asked >= 0:
            return max(delay, min(asked, _RETRY_AFTER_MAX_ADDITIONAL_SECONDS + delay))
    return delay


# ---------------------------------------------------------------------------------------------
# The call

_warned_plain: set[str] = set()


def _warn_if_plain(url: str) -> None:
    line = bounded_client.plain_http_warning(url)
    endpoint = bounded_client.where(url)
    if line is not None and endpoint not in _warned_plain:
        _warned_plain.add(endpoint)
        messages.say(line)


def call(
    operation: str,
    parameters: Mapping[str, str],
    keys: SigningKeys | None,
    endpoint: Endpoint,
    place: Place,
    *,
    profile: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] = os.environ,
    budget: bounded_client.NetworkBudget | None = None,
) -> dict[str, Any]:
    """One STS Query API call, answered as botocore's client answers it (output members, then
    ResponseMetadata with RequestId, HTTPStatusCode, HTTPHeaders, RetryAttempts); any failure
    is the EnvgenError envgen's botocore path raises for the same answer. PROFILE (the chosen
    profile's settings) is read for its ca_bundle; BUDGET is the command's network budget
    (a fresh one by default)."""
    if operation not in OUTPUT_SHAPES:
        raise ValueError(f"no output shape known for {operation}")
    url = request_url(endpoint)
    body = form_body(operation, parameters)
    bundle = ca_bundle(profile, environ) if url.startswith("https:") else ""
    spent = budget if budget is not None else bounded_client.NetworkBudget()
    attempt = 0
    while True:
        attempt += 1
        headers = signed_headers(
            url, body, keys, endpoint.signing_region, datetime.now(timezone.utc)
        )
        if any(not value.isascii() or not value.isprintable() for value in headers.values()):
            raise EnvgenError(sts_lines.failed_line("HTTPClientError"))
        _warn_if_plain(url)
        answer: _Answer | None = None
        failure: str | None = None
        try:
            answer = _bounded_exchange(url, headers, body, bundle, spent)
        except _NoAnswer as missing:
            failure = missing.kind
        except (
            bounded_client.NetworkBudgetSpent,
            bounded_client.ResponseTooLarge,
        ) as bounded:
            raise EnvgenError(sts_lines.bounded_line(bounded)) from None
        status = answer.status if answer is not None else None
        parsed: dict[str, Any] = {}
        if answer is not None and answer.status >= 300:
            try:
                parsed = _parse_error(answer)
            except _Unparsable:
                raise EnvgenError(
                    sts_lines.not_sts_line(sts_lines.endpoint_named(None, place))
                ) from None
        elif answer is not None:
            try:
                parsed = _parse_success(operation, answer, url)
            except bounded_client.NotAnStsAnswer as strange:
                raise EnvgenError(sts_lines.bounded_line(strange)) from None
            metadata = parsed["ResponseMetadata"]
            metadata.update(HTTPStatusCode=answer.status, HTTPHeaders=dict(answer.headers))
            if attempt >= bounded_client.TOTAL_ATTEMPTS:
                # botocore's standard mode notes it on any answer to the last attempt.
                metadata["MaxAttemptsReached"] = True
            metadata["RetryAttempts"] = attempt - 1
            return parsed
        code = _error_code(parsed)
        if attempt < bounded_client.TOTAL_ATTEMPTS and _retryable(status, code, failure):
            time.sleep(
                _backoff(
                    attempt,
                    _throttled(status, code),
                    answer.headers if answer is not None else {},
                )
            )
            continue
        if failure is not None:
            if failure in _UNREACHABLE:
                raise EnvgenError(sts_lines.unreachable_line(bounded_client.where(url), failure))
            raise EnvgenError(sts_lines.failed_line(failure))
        details = parsed.get("Error")
        raise EnvgenError(
            sts_lines.refused_line(operation, details if isinstance(details, dict) else {}, status)
        )
