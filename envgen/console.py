"""`envgen console`: from temporary credentials to a console sign-in URL, whatever their source.

The AWS federation endpoint trades temporary credentials (AssumeRole*, GetFederationToken) for a
sign-in token; the login URL built from it signs whoever opens it in for 15 minutes, so it is a
bearer secret, handled like a key: never in a message, never on a terminal unasked.

The credentials travel in a POST body, not in the query string, so no proxy or server log keeps
them; the answer is read with a size cap, and the whole exchange waits at most the STS client's
network budget (envgen.sources.bounded_client).
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import threading
import urllib.request
from urllib.parse import urlencode, urlsplit

from envgen.credentials import Credentials
from envgen.errors import EnvgenError, UsageError
from envgen.messages import detail
from envgen.sources import bounded_client

SIGNIN_URL_VARIABLE = "ENVGEN_SIGNIN_URL"
# A sign-in token is a couple of kilobytes; anything much larger is not the federation endpoint.
MAX_ANSWER_BYTES = 64 * 1024
# The `Issuer` of the login URL: where the console sends the user once the session ends. aws-vault
# names itself the same way.
ISSUER = "envgen"


@dataclasses.dataclass(frozen=True)
class Partition:
    name: str
    signin_host: str
    console_host: str


PARTITIONS = {
    "aws": Partition("aws", "signin.aws.amazon.com", "console.aws.amazon.com"),
    "aws-cn": Partition("aws-cn", "signin.amazonaws.cn", "console.amazonaws.cn"),
    "aws-us-gov": Partition(
        "aws-us-gov", "signin.amazonaws-us-gov.com", "console.amazonaws-us-gov.com"
    ),
}
# Regions of the isolated partitions (us-iso-east-1, us-isob-east-1, eu-isoe-west-1, ...): their
# consoles are not on the internet and their sign-in hosts are not public.
_ISOLATED_REGION = re.compile(r"[a-z]{2}-iso[a-z]*-")


def partition_of(region: str | None) -> Partition:
    """The partition whose console serves REGION; aws when no region is known, as the AWS CLI
    assumes."""
    if region is None:
        return PARTITIONS["aws"]
    if region.startswith("cn-"):
        return PARTITIONS["aws-cn"]
    if region.startswith("us-gov-"):
        return PARTITIONS["aws-us-gov"]
    if _ISOLATED_REGION.match(region):
        raise UsageError(
            f"region {region} is in an isolated partition, whose console envgen does not know; "
            "envgen console signs in to the aws, aws-cn and aws-us-gov partitions"
        )
    return PARTITIONS["aws"]


def signin_endpoint(partition: Partition, environ: dict[str, str] | None = None) -> str:
    """The federation endpoint: ENVGEN_SIGNIN_URL when set, checked like an STS endpoint URL,
    else the partition's. Plain http is accepted for loopback only: the secret access key itself
    travels in the request, not a signature of it."""
    from envgen.sources.validation import endpoint_url_problem

    environ = dict(os.environ) if environ is None else environ
    given = environ.get(SIGNIN_URL_VARIABLE)
    if given is None or given == "":
        return f"https://{partition.signin_host}/federation"
    problem = endpoint_url_problem(given)
    if (
        problem is None
        and urlsplit(given).scheme == "http"
        and not bounded_client.is_loopback(given)
    ):
        problem = (
            "it is plain http, which would send the secret key in clear (http is for loopback only)"
        )
    if problem is not None:
        raise UsageError(
            f"{SIGNIN_URL_VARIABLE}: {problem}; give the federation endpoint, like "
            "https://signin.aws.amazon.com/federation"
        )
    return given


# A console service as the console's own paths name it: s3, ec2, cloudwatch, iam, lambda, ...
_SERVICE = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")


def destination(
    partition: Partition,
    region: str | None,
    service: str | None = None,
    given_url: str | None = None,
) -> str:
    """The console page to land on: --destination as given (a page of the partition's console,
    over https), else the service's home (or the console's), in REGION when one is known."""
    if service is not None and given_url is not None:
        raise UsageError("give --service or --destination, not both")
    if given_url is not None:
        return checked_destination(partition, given_url)
    if service is not None and not _SERVICE.fullmatch(service):
        raise UsageError(
            "--service: not a console service name; give one like s3, ec2 or cloudwatch "
            "(lower case, as in the console's addresses)"
        )
    page = f"{service}/home" if service is not None else "console/home"
    if region is None:
        return f"https://{partition.console_host}/{page}"
    return f"https://{region}.{partition.console_host}/{page}?region={region}"


def _on_console_of(partition: Partition, url: str) -> bool:
    console_domain = partition.console_host.removeprefix("console.")
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 (a port beyond 65535 raises here)
    except ValueError:
        return False
    return (
        not any(character.isspace() or not character.isprintable() for character in url)
        and parts.scheme == "https"
        and parts.username is None
        and (host == console_domain or host.endswith("." + console_domain))
    )


def checked_destination(partition: Partition, url: str) -> str:
    """A --destination the sign-in endpoint will redirect to: https, on the partition's console
    domain. The federation endpoint refuses others anyway; refused here, nothing is spent."""
    console_domain = partition.console_host.removeprefix("console.")
    if not _on_console_of(partition, url):
        raise UsageError(
            f"--destination: not an https:// address of the {partition.name} console "
            f"(*.{console_domain}); give one like https://{partition.console_host}/s3/home"
        )
    return url


def session_document(credentials: Credentials) -> str:
    """The JSON the federation endpoint takes: the three parts of temporary credentials."""
    if credentials.session_token is None:
        raise EnvgenError(
            "console sign-in needs temporary credentials (a role, or a federation token for "
            "long-term keys), and these have no session token"
        )
    return json.dumps(
        {
            "sessionId": credentials.access_key_id,
            "sessionKey": credentials.secret_access_key,
            "sessionToken": credentials.session_token,
        }
    )


def _post(url: str, body: bytes, deadline_seconds: float) -> tuple[int, bytes]:
    """POST BODY to URL and read the answer, at most MAX_ANSWER_BYTES, in at most
    DEADLINE_SECONDS in all (a server trickling a byte at a time included)."""
    import urllib.error

    # A redirect is not followed: the credentials go to the address that was checked, no other.
    class RefuseRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    opener = urllib.request.build_opener(RefuseRedirect, _tls_handler())
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
        },
    )
    outcome: dict[str, object] = {}
    finished = threading.Event()

    def exchange() -> None:
        try:
            try:
                response = opener.open(request, timeout=bounded_client.READ_TIMEOUT_SECONDS)
            except urllib.error.HTTPError as refused:
                response = refused
            with response:
                status = response.status if response.status is not None else 0
                data = response.read(MAX_ANSWER_BYTES + 1)
            outcome["answer"] = (status, data)
        except BaseException as error:
            outcome["error"] = error
        finally:
            finished.set()

    # A daemon: an abandoned exchange must not keep the process alive after it has reported.
    threading.Thread(target=exchange, name="envgen-signin-exchange", daemon=True).start()
    if not finished.wait(deadline_seconds):
        raise EnvgenError(
            f"the federation endpoint {bounded_client.where(url)} gave no complete answer within "
            f"{bounded_client.NETWORK_BUDGET_SECONDS} s; check the network, any proxy in between "
            f"and {SIGNIN_URL_VARIABLE}, then run again"
        )
    error = outcome.get("error")
    if error is not None:
        reason = getattr(error, "reason", None)
        cause = type(reason).__name__ if isinstance(reason, BaseException) else type(error).__name__
        raise EnvgenError(
            f"cannot reach the federation endpoint {bounded_client.where(url)} ({cause}); check "
            f"the network, any proxy in between and {SIGNIN_URL_VARIABLE}"
        )
    answer = outcome["answer"]
    assert isinstance(answer, tuple)
    return answer


def _tls_handler() -> urllib.request.HTTPSHandler:
    """HTTPS as botocore makes it: AWS_CA_BUNDLE, when set, holds the certificates to trust."""
    import ssl

    bundle = os.environ.get("AWS_CA_BUNDLE") or None
    try:
        context = ssl.create_default_context(cafile=bundle)
    except (OSError, ssl.SSLError):
        raise EnvgenError(
            "AWS_CA_BUNDLE names no readable file of certificates; fix it or unset it"
        ) from None
    return urllib.request.HTTPSHandler(context=context)


# What a sign-in token is made of; whatever else an answer holds is not repeated or used.
_SIGNIN_TOKEN = re.compile(r"[A-Za-z0-9_\-+/=.~%]{16,16384}")


def signin_token(
    endpoint: str, credentials: Credentials, session_seconds: int | None = None
) -> str:
    """getSigninToken: the credentials traded for a sign-in token. SESSION_SECONDS, for role
    credentials only, is how long the console session lasts."""
    fields = {"Action": "getSigninToken", "Session": session_document(credentials)}
    if session_seconds is not None:
        fields["SessionDuration"] = str(session_seconds)
    status, data = _post(
        endpoint, urlencode(fields).encode("ascii"), bounded_client.NETWORK_BUDGET_SECONDS
    )
    where = bounded_client.where(endpoint)
    if len(data) > MAX_ANSWER_BYTES:
        raise EnvgenError(
            f"the federation endpoint {where} answered with more than {MAX_ANSWER_BYTES // 1024} "
            f"KiB, which no sign-in token is; check {SIGNIN_URL_VARIABLE} and any proxy in between"
        )
    if status in (400, 401, 403):
        # Its body is an HTML page at best; the likely causes are what the user can act on.
        duration = (
            f", or --duration-seconds {session_seconds} is more than the role allows"
            if session_seconds is not None
            else ""
        )
        raise EnvgenError(
            f"the federation endpoint {where} refused the credentials (HTTP {status}): they may "
            "have expired, or come from GetSessionToken, which console sign-in does not take"
            f"{duration}; use a role profile, or long-term keys (envgen then gets a federation "
            "token)"
        )
    if not 200 <= status < 300:
        raise EnvgenError(
            f"the federation endpoint {where} answered HTTP {status}; run again later, or check "
            f"{SIGNIN_URL_VARIABLE} and any proxy in between"
        )
    try:
        answer = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        answer = None
    token = answer.get("SigninToken") if isinstance(answer, dict) else None
    if not isinstance(token, str) or not _SIGNIN_TOKEN.fullmatch(token):
        raise EnvgenError(
            f"{where} did not answer like the AWS federation endpoint (no sign-in token in "
            f"JSON); check {SIGNIN_URL_VARIABLE} and any proxy in between"
        )
    return token


def login_url(endpoint: str, token: str, landing: str) -> str:
    """The URL that signs its bearer in and lands on LANDING: valid for 15 minutes."""
    query = urlencode(
        {"Action": "login", "Issuer": ISSUER, "Destination": landing, "SigninToken": token}
    )
    return f"{endpoint}?{query}"


# The console session a role's credentials may ask for (getSigninToken's SessionDuration).
MIN_SESSION_SECONDS = 900
MAX_SESSION_SECONDS = 43200


@dataclasses.dataclass(frozen=True)
class ConsoleRequest:
    """What the command line asks for, checked before any credentials are fetched."""

    service: str | None = None
    destination_url: str | None = None
    region: str | None = None
    session_seconds: int | None = None
    signin_url: str | None = None


def checked_request(
    service: str | None,
    destination_url: str | None,
    region: str | None,
    session_seconds: int | None,
    environ: dict[str, str] | None = None,
) -> ConsoleRequest:
    """Everything the command line and ENVGEN_SIGNIN_URL say, refused before any request is made
    when wrong; the destination's partition is checked again once the region is known."""
    from envgen import regions

    region = regions.checked(region, "--region")
    if service is not None and destination_url is not None:
        raise UsageError("give --service or --destination, not both")
    if session_seconds is not None and not (
        MIN_SESSION_SECONDS <= session_seconds <= MAX_SESSION_SECONDS
    ):
        raise UsageError(
            f"--duration-seconds {session_seconds} is out of range; give {MIN_SESSION_SECONDS} "
            f"to {MAX_SESSION_SECONDS} seconds (15 minutes to 12 hours)"
        )
    environ = dict(os.environ) if environ is None else environ
    signin_url = environ.get(SIGNIN_URL_VARIABLE) or None
    if signin_url is not None:
        signin_url = signin_endpoint(PARTITIONS["aws"], environ)
    request = ConsoleRequest(service, destination_url, region, session_seconds, signin_url)
    # Checked now against the partition of --region, or any partition while the region is not
    # known yet, and again with the region the credentials come with.
    if region is not None:
        landing_page(request, region)
    elif destination_url is not None:
        if not any(_on_console_of(partition, destination_url) for partition in PARTITIONS.values()):
            checked_destination(PARTITIONS["aws"], destination_url)
    else:
        destination(PARTITIONS["aws"], None, service)
    return request


def landing_page(request: ConsoleRequest, region: str | None) -> str:
    return destination(partition_of(region), region, request.service, request.destination_url)


def sign_in(request: ConsoleRequest, credentials: Credentials, federated: bool) -> str:
    """The login URL for CREDENTIALS: on the sign-in host of their region's partition (or
    ENVGEN_SIGNIN_URL), landing on the page asked for. FEDERATED credentials (GetFederationToken)
    take no SessionDuration: their console session lasts as long as the token."""
    credentials.refuse_if_expired()
    region = request.region or credentials.region
    partition = partition_of(region)
    endpoint = request.signin_url or signin_endpoint(partition, {})
    landing = landing_page(request, region)
    detail(f"federation endpoint {bounded_client.where(endpoint)}, landing on {landing}")
    token = signin_token(endpoint, credentials, None if federated else request.session_seconds)
    return login_url(endpoint, token, landing)
