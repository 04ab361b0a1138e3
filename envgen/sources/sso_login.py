"""`envgen sso login` and `envgen sso logout`: the OAuth device authorization grant (RFC 8628)
against IAM Identity Center's OIDC service, and the portal's Logout; plus the bounded clients and
the error lines that the SSO source shares.

Every wait ends: each HTTP exchange is bounded by envgen's bounded client, and the polling loop
by the lifetime Identity Center gives the device code (and by LONGEST_WAIT whatever it says).
No token, client secret or device code is ever printed; the user code is shown on purpose.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from envgen.errors import EnvgenError
from envgen.messages import detail, inform, say
from envgen.sources import bounded_client
from envgen.sources.sso_tokens import (
    LOGIN_HINT,
    SsoSession,
    Token,
    format_time,
    load_registration,
    save_registration,
    save_token,
    token_directory,
    token_entry,
)

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
# RFC 8628 section 3.5: poll every 5 seconds unless told otherwise, 5 more after each slow_down.
DEFAULT_INTERVAL_SECONDS = 5
SLOW_DOWN_SECONDS = 5
# Identity Center gives a device code 10 minutes; an answer promising longer is not believed.
LONGEST_WAIT = timedelta(minutes=30)

ENDPOINT_VARIABLES = "AWS_ENDPOINT_URL_SSO_OIDC / AWS_ENDPOINT_URL_SSO"


def client(service: str, region: str, profile: str | None = None) -> Any:
    """A bounded, unsigned client of Identity Center's `sso-oidc` or `sso` (portal) service in
    REGION; botocore's own endpoint rules apply, AWS_ENDPOINT_URL_SSO_OIDC and
    AWS_ENDPOINT_URL_SSO included."""
    from botocore import UNSIGNED
    from botocore.config import Config

    from envgen.sources.sts_session import bounded_botocore_session

    made = bounded_botocore_session(profile).create_client(
        service,
        region_name=region,
        config=Config(signature_version=UNSIGNED, region_name=region),
    )
    detail(f"IAM Identity Center {service} endpoint {bounded_client.where(made.meta.endpoint_url)}")
    return made


def error_code(error: Any) -> str:
    return str(error.response.get("Error", {}).get("Code") or "UnknownError")


ADVICE = {
    "InvalidRequestException": "check sso_start_url and sso_region in the config file",
    "InvalidClientException": "the client registration is no longer valid; run envgen sso login "
    "again",
    "UnauthorizedException": f"the sign-in is no longer valid; {LOGIN_HINT}",
    "ForbiddenException": "IAM Identity Center does not give this user that role in that "
    "account; check sso_account_id and sso_role_name",
    "ResourceNotFoundException": "no such role or account; check sso_account_id and sso_role_name",
    "TooManyRequestsException": "IAM Identity Center is throttling requests; wait a moment and "
    "run again",
    "InternalServerException": "IAM Identity Center failed; run again shortly",
}


@contextlib.contextmanager
def identity_center_errors() -> Iterator[None]:
    """botocore's exceptions from an Identity Center call as one line each, quoting nothing
    the server sent but its error code."""
    from botocore import exceptions as botocore_errors
    from botocore.parsers import ResponseParserError

    check = f"check the network, {ENDPOINT_VARIABLES} and sso_region"
    try:
        yield
    except bounded_client.NotRetried as refused:
        raise EnvgenError(
            f"cannot reach IAM Identity Center ({type(refused.error).__name__}); {check}"
        ) from None
    except bounded_client.NetworkBudgetSpent as spent:
        raise EnvgenError(
            f"{bounded_client.where(spent.url)} gave no complete answer within "
            f"{bounded_client.NETWORK_BUDGET_SECONDS} s; {check}, then run again"
        ) from None
    except bounded_client.ResponseTooLarge as large:
        raise EnvgenError(
            f"{bounded_client.where(large.url)} answered with more than "
            f"{bounded_client.MAX_RESPONSE_BYTES // 1024} KiB, which IAM Identity Center does "
            f"not; check {ENDPOINT_VARIABLES} and any proxy in between"
        ) from None
    except bounded_client.BadEndpointUrl as bad:
        raise EnvgenError(
            f"the IAM Identity Center endpoint URL in effect is not usable: {bad.problem}; check "
            f"{ENDPOINT_VARIABLES} and AWS_ENDPOINT_URL"
        ) from None
    except bounded_client.UnsupportedBotocore as old:
        raise EnvgenError(
            f"botocore {old} is not one envgen works with; install the botocore that envgen's "
            "package requires"
        ) from None
    except botocore_errors.ClientError as error:
        code = error_code(error)
        operation = getattr(error, "operation_name", "") or "the call"
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if isinstance(status, int) and status >= 500 and code not in ADVICE:
            raise EnvgenError(
                f"IAM Identity Center answered {operation} with HTTP {status}; it may be down: "
                f"run again later, or check {ENDPOINT_VARIABLES}"
            ) from None
        advice = ADVICE.get(code, "see the AWS documentation for this error code")
        raise EnvgenError(f"IAM Identity Center refused {operation}: {code}; {advice}") from None
    except bounded_client.unreachable_errors() as error:
        raise EnvgenError(
            f"cannot reach IAM Identity Center ({type(error).__name__}); {check}"
        ) from None
    except (ResponseParserError, NotIdentityCenter):
        raise EnvgenError(
            f"the endpoint did not answer like IAM Identity Center; check {ENDPOINT_VARIABLES} "
            "and any proxy in between"
        ) from None
    except botocore_errors.ParamValidationError:
        raise EnvgenError(
            "IAM Identity Center would refuse a setting; check sso_start_url, sso_region, "
            "sso_account_id and sso_role_name"
        ) from None
    except botocore_errors.BotoCoreError as error:
        raise EnvgenError(
            f"the IAM Identity Center call failed ({type(error).__name__}); run again with "
            "ENVGEN_DEBUG=1 for details"
        ) from None


class NotIdentityCenter(Exception):
    """A successful answer without the fields the operation returns."""


def answer_fields(answer: Any, strings: tuple[str, ...], numbers: tuple[str, ...] = ()) -> None:
    if not isinstance(answer, dict):
        raise NotIdentityCenter
    for name in strings:
        if not isinstance(answer.get(name), str) or not answer[name]:
            raise NotIdentityCenter
    for name in numbers:
        if type(answer.get(name)) is not int:
            raise NotIdentityCenter


def _register(oidc: Any, session: SsoSession) -> dict[str, Any]:
    # The AWS CLI's client names, so the registrations it lists look alike.
    label = session.name if session.name else str(int(time.time()))
    arguments: dict[str, Any] = {"clientName": f"botocore-client-{label}", "clientType": "public"}
    if session.scopes:
        arguments["scopes"] = list(session.scopes)
    answer = oidc.register_client(**arguments)
    answer_fields(answer, ("clientId", "clientSecret"), ("clientSecretExpiresAt",))
    try:
        expires_at = datetime.fromtimestamp(answer["clientSecretExpiresAt"], timezone.utc)
    except (OverflowError, OSError, ValueError):
        raise NotIdentityCenter from None
    registration: dict[str, Any] = {
        "clientId": answer["clientId"],
        "clientSecret": answer["clientSecret"],
        "expiresAt": format_time(expires_at),
    }
    if session.scopes:
        registration["scopes"] = list(session.scopes)
    save_registration(session, registration)
    detail("registered a new IAM Identity Center client")
    return registration


def browser_allowed(environ: Mapping[str, str], in_container: bool) -> bool:
    """Whether a browser here could show a page to the person at this terminal: not over SSH,
    not in a container, unless $BROWSER, set by the user, names one. Which browser, and whether
    there is a display for it, envgen.browser decides, as for `envgen console`."""
    if environ.get("BROWSER"):
        return True
    if any(environ.get(name) for name in ("SSH_CONNECTION", "SSH_CLIENT", "SSH_TTY")):
        return False
    return not in_container


def running_in_container() -> bool:
    return (
        os.path.exists("/.dockerenv")
        or os.path.exists("/run/.containerenv")
        or bool(os.environ.get("container"))
    )


def open_browser(url: str) -> bool:
    """Open URL in the user's browser as `envgen console` does (no browser's output reaches
    envgen's streams, and the wait for it is bounded); False when there is none or it fails,
    and the person opens the URL elsewhere."""
    from envgen.browser import browser_command, open_secret_url

    try:
        open_secret_url(url, browser_command(), warn=say)
    except EnvgenError as error:
        detail(f"no browser opened: {error.message}")
        return False
    return True


def _authorize(oidc: Any, session: SsoSession, registration: dict[str, Any]) -> dict[str, Any]:
    answer = oidc.start_device_authorization(
        clientId=registration["clientId"],
        clientSecret=registration["clientSecret"],
        startUrl=session.start_url,
    )
    answer_fields(
        answer,
        ("deviceCode", "userCode", "verificationUri", "verificationUriComplete"),
        ("expiresIn",),
    )
    return dict(answer)


def _show(authorization: dict[str, Any], use_browser: bool) -> None:
    say(f"sign in at {authorization['verificationUriComplete']}")
    say(f"and check that the page shows the code {authorization['userCode']}")
    url = authorization["verificationUriComplete"]
    # Only a web page is worth a browser: not a file: or javascript: address a server made up.
    web_page = url.startswith("https://") or (
        url.startswith("http://") and bounded_client.is_loopback(url)
    )
    if use_browser and web_page and open_browser(url):
        say("opened in your browser; waiting for you to sign in there (Ctrl-C to stop)")
    else:
        say("open it in a browser on any device; waiting for you to sign in (Ctrl-C to stop)")


def _poll(
    oidc: Any,
    registration: dict[str, Any],
    authorization: dict[str, Any],
    sleep: Callable[[float], None],
) -> dict[str, Any]:
    """CreateToken with the device code until the person allows or denies it, or it expires."""
    from botocore.exceptions import ClientError

    wait = min(max(int(authorization["expiresIn"]), 0), int(LONGEST_WAIT.total_seconds()))
    deadline = time.monotonic() + wait
    interval = authorization.get("interval")
    interval = interval if type(interval) is int and interval > 0 else DEFAULT_INTERVAL_SECONDS
    expired = EnvgenError(
        f"the code was not used within {wait // 60} min {wait % 60} s and has expired; run "
        "envgen sso login again"
    )
    while True:
        if time.monotonic() + interval > deadline:
            raise expired
        sleep(interval)
        try:
            answer = oidc.create_token(
                grantType=DEVICE_GRANT,
                clientId=registration["clientId"],
                clientSecret=registration["clientSecret"],
                deviceCode=authorization["deviceCode"],
            )
        except ClientError as error:
            code = error_code(error)
            if code == "AuthorizationPendingException":
                continue
            if code == "SlowDownException":
                interval += SLOW_DOWN_SECONDS
                detail(f"asked to slow down: polling every {interval} s")
                continue
            if code == "AccessDeniedException":
                raise EnvgenError(
                    "the sign-in was denied in the browser; run envgen sso login again to retry"
                ) from None
            if code == "ExpiredTokenException":
                raise expired from None
            raise
        answer_fields(answer, ("accessToken",), ("expiresIn",))
        return dict(answer)


def login(
    session: SsoSession,
    use_browser: bool,
    profile: str | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Path:
    """Sign in to SESSION through the device authorization grant; the token goes to the AWS
    CLI's token cache. Returns the file written."""
    with identity_center_errors():
        oidc = client("sso-oidc", session.region, profile)
        registration = load_registration(session)
        if registration is not None:
            detail("reusing the cached IAM Identity Center client registration")
            try:
                authorization = _authorize(oidc, session, registration)
            except Exception as error:
                if error_code_of(error) != "InvalidClientException":
                    raise
                # Revoked or deleted on the server side before it expired: register anew.
                registration = None
        if registration is None:
            registration = _register(oidc, session)
            authorization = _authorize(oidc, session, registration)
        _show(authorization, use_browser)
        answer = _poll(oidc, registration, authorization, sleep)
        entry = token_entry(
            session,
            answer["accessToken"],
            answer["expiresIn"],
            registration,
            answer.get("refreshToken") if isinstance(answer.get("refreshToken"), str) else None,
        )
        path = save_token(session, entry)
    inform(
        f"signed in to {session.start_url} ({session.described}); the sign-in lasts until "
        f"{entry['expiresAt']}"
    )
    return path


def error_code_of(error: BaseException) -> str | None:
    response = getattr(error, "response", None)
    return error_code(error) if isinstance(response, dict) else None


def refresh(session: SsoSession, token: Token, profile: str | None = None) -> Token | None:
    """A new access token for an expired one, through its refresh token, as botocore's SSO
    token provider gets it; None when Identity Center will not give one."""
    from botocore.exceptions import ClientError

    from envgen.sources.sso_tokens import load_token

    fields = token.fields
    with identity_center_errors():
        oidc = client("sso-oidc", session.region, profile)
        try:
            answer = oidc.create_token(
                grantType="refresh_token",
                clientId=fields["clientId"],
                clientSecret=fields["clientSecret"],
                refreshToken=fields["refreshToken"],
            )
        except ClientError as error:
            detail(f"the refresh token was refused ({error_code(error)})")
            return None
        answer_fields(answer, ("accessToken",), ("expiresIn",))
        registration = {
            "clientId": fields["clientId"],
            "clientSecret": fields["clientSecret"],
            "expiresAt": fields["registrationExpiresAt"],
        }
        refresh_token = answer.get("refreshToken")
        save_token(
            session,
            token_entry(
                session,
                answer["accessToken"],
                answer["expiresIn"],
                registration,
                refresh_token if isinstance(refresh_token, str) else None,
            ),
        )
    detail("renewed the IAM Identity Center sign-in with its refresh token")
    return load_token(session)


def _token_files(session: SsoSession | None) -> list[Path]:
    directory = token_directory()
    if session is not None:
        return [directory / (session.token_key() + ".json")]
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        return []
    return [directory / name for name in names if name.endswith(".json")]


def logout(session: SsoSession | None, profile: str | None = None) -> int:
    """Remove SESSION's token (every token, with None) from the cache, after asking the portal
    to end each; returns how many were removed. Client registrations stay, as the AWS CLI
    leaves them."""
    from envgen.sources.aws_cli_cache import load_json_entry

    removed = 0
    for path in _token_files(session):
        entry = load_json_entry(path)
        if not isinstance(entry, dict) or not isinstance(entry.get("accessToken"), str):
            continue
        region = entry.get("region")
        if isinstance(region, str) and region:
            try:
                with identity_center_errors():
                    client("sso", region, profile).logout(accessToken=entry["accessToken"])
            except EnvgenError as error:
                # The token is removed from this machine either way.
                say(f"warning: the portal did not end the session: {error.message}")
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        except OSError as error:
            raise EnvgenError(
                f"cannot remove {path} ({error.strerror or type(error).__name__})"
            ) from None
        removed += 1
    return removed
