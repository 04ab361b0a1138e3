"""A fake IAM Identity Center on loopback: the SSO OIDC service (RegisterClient,
StartDeviceAuthorization, CreateToken) and the SSO portal (GetRoleCredentials, Logout), speaking
the rest-json protocol botocore's `sso-oidc` and `sso` clients speak. Clients reach it through
AWS_ENDPOINT_URL_SSO_OIDC and AWS_ENDPOINT_URL_SSO, botocore's own variables.

A test scripts what the person at the browser does: `answers` lists what each CreateToken poll
with the device code gets (pending, slow_down, deny, expire) until the list runs out; then the
device is pending (unless `then` is "approve") until someone opens the verification URL (`GET /device?user_code=...`, what a
browser does) or the test calls `approve()`. Every request is logged with the time it arrived.

    with SsoServer() as server:
        env["AWS_ENDPOINT_URL_SSO_OIDC"] = env["AWS_ENDPOINT_URL_SSO"] = server.url
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import secrets
import threading
import time
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

ACCOUNT = "123456789012"
ROLE_NAME = "Developer"
START_URL = "https://example.awsapps.com/start"
SSO_REGION = "eu-west-1"
# Identity Center gives refresh tokens only to clients registered for this scope.
ACCESS_SCOPE = "sso:account:access"


@dataclasses.dataclass
class Call:
    operation: str
    at: float  # time.monotonic() when it arrived
    fields: dict[str, Any]


@dataclasses.dataclass
class Device:
    client_id: str
    start_url: str
    user_code: str
    expires_at: float
    answers: list[str]
    approved: bool = False
    used: bool = False


class SsoServer:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls: list[Call] = []
        # What the test may set before the client runs.
        self.registration_seconds = 90 * 24 * 3600
        self.device_seconds = 600
        self.interval = 1
        self.token_seconds = 8 * 3600
        self.role_seconds = 3600
        self.answers: list[str] = []
        # After the scripted answers: "wait" for approve() or the verification page, or
        # "approve" at once.
        self.then = "wait"
        # What the server has handed out.
        self.clients: dict[str, dict[str, Any]] = {}
        self.devices: dict[str, Device] = {}
        self.access_tokens: dict[str, float] = {}  # token -> time.time() it expires
        self.refresh_tokens: dict[str, str] = {}  # refresh token -> client id
        self.issued: list[dict[str, Any]] = []  # role credentials, in order
        self.logged_out: list[str] = []
        handler = _handler_for(self)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    # --- what a test asks ------------------------------------------------------------------

    def operations(self) -> list[str]:
        with self.lock:
            return [call.operation for call in self.calls]

    def calls_of(self, operation: str) -> list[Call]:
        with self.lock:
            return [call for call in self.calls if call.operation == operation]

    def approve(self) -> None:
        """The person signs in and allows every device waiting for it."""
        with self.lock:
            for device in self.devices.values():
                device.approved = True

    def grant_token(self, seconds: float, client_id: str = "planted") -> str:
        """An access token the portal accepts, as if issued earlier."""
        token = "aoa" + secrets.token_urlsafe(48)
        with self.lock:
            self.access_tokens[token] = time.time() + seconds
        return token

    def grant_refresh_token(self, client_id: str) -> str:
        token = "aor" + secrets.token_urlsafe(48)
        with self.lock:
            self.refresh_tokens[token] = client_id
        return token

    def register(self, seconds: float | None = None, scopes: list[str] | None = None) -> dict:
        """A client registration, as if made earlier."""
        return self._register({"clientName": "planted", "scopes": scopes}, seconds)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self) -> SsoServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- the services ------------------------------------------------------------------------

    def _register(self, fields: dict[str, Any], seconds: float | None = None) -> dict[str, Any]:
        now = int(time.time())
        client = {
            "clientId": "client-" + secrets.token_hex(8),
            "clientSecret": "secret-" + secrets.token_urlsafe(32),
            "clientIdIssuedAt": now,
            "clientSecretExpiresAt": now + int(seconds or self.registration_seconds),
            "scopes": fields.get("scopes") or [],
            "clientName": fields.get("clientName"),
        }
        with self.lock:
            self.clients[client["clientId"]] = client
        return {
            key: client[key]
            for key in ("clientId", "clientSecret", "clientIdIssuedAt", "clientSecretExpiresAt")
        }

    def _client(self, fields: dict[str, Any]) -> dict[str, Any] | None:
        client = self.clients.get(str(fields.get("clientId")))
        if client is None or client["clientSecret"] != fields.get("clientSecret"):
            return None
        if client["clientSecretExpiresAt"] <= time.time():
            return None
        return client

    def handle(self, method: str, path: str, headers: Any, body: bytes) -> tuple[int, dict, Any]:
        parts = urllib.parse.urlsplit(path)
        query = dict(urllib.parse.parse_qsl(parts.query))
        fields: dict[str, Any] = {}
        if body:
            try:
                fields = json.loads(body)
            except ValueError:
                return _error(400, "InvalidRequestException", "invalid_request")
        route = (method, parts.path)
        operation = {
            ("POST", "/client/register"): "RegisterClient",
            ("POST", "/device_authorization"): "StartDeviceAuthorization",
            ("POST", "/token"): "CreateToken",
            ("GET", "/federation/credentials"): "GetRoleCredentials",
            ("POST", "/logout"): "Logout",
            ("GET", "/device"): "OpenVerificationPage",
        }.get(route, "Unknown")
        recorded = dict(fields, **query)
        bearer = headers.get("x-amz-sso_bearer_token")
        if bearer is not None:
            recorded["accessToken"] = bearer
        with self.lock:
            self.calls.append(Call(operation, time.monotonic(), recorded))
        if operation == "RegisterClient":
            return 200, {}, self._register(fields)
        with self.lock:
            if operation == "StartDeviceAuthorization":
                return self._start_device_authorization(fields)
            if operation == "CreateToken":
                return self._create_token(fields)
            if operation == "GetRoleCredentials":
                return self._get_role_credentials(query, bearer)
            if operation == "Logout":
                if bearer in self.access_tokens:
                    del self.access_tokens[bearer]
                    self.logged_out.append(bearer)
                return 200, {}, None
            if operation == "OpenVerificationPage":
                for device in self.devices.values():
                    if device.user_code == query.get("user_code"):
                        device.approved = True
                        return 200, {}, {"page": "signed in; return to your terminal"}
                return 404, {}, {"page": "no such code"}
        return 404, {}, {"message": "unknown route"}

    def _start_device_authorization(self, fields: dict[str, Any]) -> tuple[int, dict, Any]:
        if self._client(fields) is None:
            return _error(400, "InvalidClientException", "invalid_client")
        device_code = "device-" + secrets.token_urlsafe(32)
        user_code = (
            f"{secrets.choice('BCDFGHJKLM')}{secrets.token_hex(2).upper()}-"
            f"{secrets.token_hex(2).upper()}"
        )
        self.devices[device_code] = Device(
            client_id=fields["clientId"],
            start_url=str(fields.get("startUrl")),
            user_code=user_code,
            expires_at=time.monotonic() + self.device_seconds,
            answers=list(self.answers),
            approved=self.then == "approve",
        )
        return (
            200,
            {},
            {
                "deviceCode": device_code,
                "userCode": user_code,
                "verificationUri": f"{self.url}/device",
                "verificationUriComplete": f"{self.url}/device?user_code={user_code}",
                "expiresIn": self.device_seconds,
                "interval": self.interval,
            },
        )

    def _issue_token(self, client: dict[str, Any]) -> tuple[int, dict, Any]:
        access = "aoa" + secrets.token_urlsafe(48)
        self.access_tokens[access] = time.time() + self.token_seconds
        answer: dict[str, Any] = {
            "accessToken": access,
            "tokenType": "Bearer",
            "expiresIn": self.token_seconds,
        }
        if ACCESS_SCOPE in client["scopes"]:
            refresh = "aor" + secrets.token_urlsafe(48)
            self.refresh_tokens[refresh] = client["clientId"]
            answer["refreshToken"] = refresh
        return 200, {}, answer

    def _create_token(self, fields: dict[str, Any]) -> tuple[int, dict, Any]:
        client = self._client(fields)
        if client is None:
            return _error(400, "InvalidClientException", "invalid_client")
        if fields.get("grantType") == "refresh_token":
            owner = self.refresh_tokens.pop(str(fields.get("refreshToken")), None)
            if owner != client["clientId"]:
                return _error(400, "InvalidGrantException", "invalid_grant")
            return self._issue_token(client)
        device = self.devices.get(str(fields.get("deviceCode")))
        if device is None or device.client_id != client["clientId"] or device.used:
            return _error(400, "InvalidGrantException", "invalid_grant")
        if time.monotonic() >= device.expires_at:
            return _error(400, "ExpiredTokenException", "expired_token")
        if device.answers:
            answer = device.answers.pop(0)
            name = {
                "pending": ("AuthorizationPendingException", "authorization_pending"),
                "slow_down": ("SlowDownException", "slow_down"),
                "deny": ("AccessDeniedException", "access_denied"),
                "expire": ("ExpiredTokenException", "expired_token"),
            }[answer]
            return _error(400, *name)
        if not device.approved:
            return _error(400, "AuthorizationPendingException", "authorization_pending")
        device.used = True
        return self._issue_token(client)

    def _get_role_credentials(self, query: dict[str, str], bearer: str | None) -> tuple:
        expires = self.access_tokens.get(str(bearer))
        if expires is None or expires <= time.time():
            return (
                401,
                {"x-amzn-ErrorType": "UnauthorizedException"},
                {"message": "Session token not found or invalid"},
            )
        if query.get("account_id") != ACCOUNT:
            return 403, {"x-amzn-ErrorType": "ForbiddenException"}, {"message": "No access"}
        # Whole seconds, in milliseconds, as the portal answers.
        expiration = (int(time.time()) + self.role_seconds) * 1000
        credentials = {
            "accessKeyId": "ASIA" + secrets.token_hex(8).upper(),
            "secretAccessKey": secrets.token_urlsafe(30),
            "sessionToken": "IQoJb3JpZ2lu" + secrets.token_urlsafe(200),
            "expiration": expiration,
        }
        self.issued.append(dict(credentials, roleName=query.get("role_name")))
        return 200, {}, {"roleCredentials": credentials}


def _error(status: int, error_type: str, oauth_error: str) -> tuple[int, dict, Any]:
    # What SSO OIDC sends: botocore takes the code from the header, RFC 8628 clients from
    # the body's `error`.
    return (
        status,
        {"x-amzn-ErrorType": error_type},
        {
            "error": oauth_error,
            "error_description": f"{oauth_error} (fake Identity Center)",
        },
    )


def _handler_for(server: SsoServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            status, headers, answer = server.handle(self.command, self.path, self.headers, body)
            data = b"" if answer is None else json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _serve

    return Handler


@pytest.fixture
def sso_server() -> Iterator[SsoServer]:
    with SsoServer() as server:
        yield server


def sso_config(
    session: str | None = "corp",
    profile: str = "dev",
    scopes: str | None = ACCESS_SCOPE,
    region: str = "eu-central-1",
) -> str:
    """An AWS config file with an SSO profile: the sso-session form, or the legacy one."""
    if session is None:
        return (
            f"[profile {profile}]\nsso_start_url = {START_URL}\nsso_region = {SSO_REGION}\n"
            f"sso_account_id = {ACCOUNT}\nsso_role_name = {ROLE_NAME}\nregion = {region}\n"
        )
    scope_line = f"sso_registration_scopes = {scopes}\n" if scopes else ""
    return (
        f"[profile {profile}]\nsso_session = {session}\nsso_account_id = {ACCOUNT}\n"
        f"sso_role_name = {ROLE_NAME}\nregion = {region}\n\n"
        f"[sso-session {session}]\nsso_start_url = {START_URL}\nsso_region = {SSO_REGION}\n"
        + scope_line
    )


@pytest.fixture
def sso_env(clean_env: dict[str, str], sso_server: SsoServer) -> dict[str, str]:
    """A user whose config has SSO profile `dev` (sso-session `corp`), Identity Center at the
    fake server; nobody signed in yet."""
    from pathlib import Path

    Path(clean_env["HOME"], ".aws").mkdir(exist_ok=True)
    Path(clean_env["AWS_CONFIG_FILE"]).write_text(sso_config())
    return dict(
        clean_env, AWS_ENDPOINT_URL_SSO_OIDC=sso_server.url, AWS_ENDPOINT_URL_SSO=sso_server.url
    )


def token_file(env: dict[str, str], name: str) -> Any:
    """Where the AWS CLI keeps the token of sso-session (or legacy start URL) NAME."""
    import hashlib
    from pathlib import Path

    digest = hashlib.sha1(name.encode()).hexdigest()
    return Path(env["HOME"], ".aws", "sso", "cache", f"{digest}.json")


def save_token_with_botocore(
    env: dict[str, str], name: str, token: dict[str, Any], start_url: str = START_URL
) -> None:
    """Cache a token the way the AWS CLI v2 does it: botocore's JSONFileCache with its SSO
    serialiser (datetimes as ...Z), filed by botocore's SSOTokenLoader."""
    from pathlib import Path

    from botocore.tokens import _sso_json_dumps
    from botocore.utils import JSONFileCache, SSOTokenLoader

    cache = JSONFileCache(
        str(Path(env["HOME"], ".aws", "sso", "cache")), dumps_func=_sso_json_dumps
    )
    session_name = None if name == start_url else name
    SSOTokenLoader(cache=cache).save_token(start_url, token, session_name=session_name)


def signed_in_as_the_aws_cli(
    env: dict[str, str],
    server: SsoServer,
    seconds: float = 8 * 3600,
    name: str = "corp",
    refreshable: bool = False,
) -> dict:
    """A sign-in to SsoServer cached as the AWS CLI caches it; returns the token entry."""
    token = {
        "startUrl": START_URL,
        "region": SSO_REGION,
        "accessToken": server.grant_token(seconds),
        "expiresAt": datetime.datetime.now(datetime.timezone.utc)
        + datetime.timedelta(seconds=seconds),
    }
    if refreshable:
        registration = server.register(scopes=[ACCESS_SCOPE])
        token.update(
            clientId=registration["clientId"],
            clientSecret=registration["clientSecret"],
            registrationExpiresAt=datetime.datetime.fromtimestamp(
                registration["clientSecretExpiresAt"], datetime.timezone.utc
            ),
            refreshToken=server.grant_refresh_token(registration["clientId"]),
        )
    save_token_with_botocore(env, name, token)
    return token
