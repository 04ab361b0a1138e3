"""IAM Identity Center's configuration and token cache, read and written as the AWS CLI v2 does,
without botocore.

`~/.aws/sso/cache` holds one file per sign-in: the SHA-1 of the sso-session's name (or, for a
profile of the legacy form, of its start URL) plus `.json`, holding the access token, its
expiry, the client registration it came from and, when Identity Center gave one, the refresh
token. Beside them lie the client registrations, named by the SHA-1 of what they were made
for. envgen writes both in the AWS CLI's shape, so botocore, the AWS CLI and the SDKs use an
`envgen sso login` and envgen uses theirs; it reads them as warily as the role cache (a regular
file of this user's, writable by no one else, a few kilobytes).
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone

from envgen import regions
from envgen.config_files import Profiles, config_file_path, read_sections
from envgen.credentials import read_stored_expiration
from envgen.errors import EnvgenError, UsageError
from envgen.sources.aws_cli_cache import load_json_entry
from envgen.values import Value

# typing.TYPE_CHECKING without loading typing: see envgen.values.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any, Final

TOKEN_DIR = os.path.join("~", ".aws", "sso", "cache")
# botocore renews a token, and treats a registration as spent, this long before it expires.
REFRESH_WINDOW = timedelta(minutes=15)
# The AWS CLI's format for every time it writes into the token cache.
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
# Identity Center's access tokens last 8 hours by default, 7 days at most (with a longer
# session behind them); an entry claiming more was not written by it.
LONGEST_TOKEN_LIFETIME = timedelta(days=90, minutes=5)

LOGIN_HINT = "run envgen sso login"


class SsoSession(Value):
    """Where to sign in: an `[sso-session NAME]` section, or a legacy profile's own settings
    (then `name` is None and the token is filed under the start URL)."""

    __slots__ = ("name", "start_url", "region", "scopes")
    name: Final[str | None]
    start_url: Final[str]
    region: Final[str]
    scopes: Final[tuple[str, ...]]

    def __init__(
        self, name: str | None, start_url: str, region: str, scopes: tuple[str, ...] = ()
    ) -> None:
        self.name = name
        self.start_url = start_url
        self.region = region
        self.scopes = scopes

    @property
    def described(self) -> str:
        return f"sso-session {self.name}" if self.name else f"start URL {self.start_url}"

    def token_key(self) -> str:
        return hashlib.sha1((self.name or self.start_url).encode("utf-8")).hexdigest()

    def registration_key(self) -> str:
        # botocore's SSO token fetcher files a registration under what it was made for.
        arguments = {
            "tool": "botocore",
            "startUrl": self.start_url,
            "region": self.region,
            "scopes": list(self.scopes) or None,
            "session_name": self.name,
        }
        return hashlib.sha1(json.dumps(arguments, sort_keys=True).encode("utf-8")).hexdigest()


class Token(Value):
    """A cached sign-in; `fields` is the entry as stored, kept whole so a rewrite loses nothing
    another tool put there."""

    __slots__ = ("access_token", "expires_at", "fields")
    _hidden = frozenset({"access_token", "fields"})
    access_token: Final[str]
    expires_at: Final[datetime]
    fields: Final[dict[str, Any]]

    def __init__(self, access_token: str, expires_at: datetime, fields: dict[str, Any]) -> None:
        self.access_token = access_token
        self.expires_at = expires_at
        self.fields = fields

    def is_fresh(self, now: datetime | None = None) -> bool:
        return self.expires_at - (now or datetime.now(timezone.utc)) > timedelta(0)

    def needs_renewal(self, now: datetime | None = None) -> bool:
        return self.expires_at - (now or datetime.now(timezone.utc)) < REFRESH_WINDOW

    def refreshable(self, now: datetime | None = None) -> bool:
        """Holds a refresh token and the registration it belongs to, not yet expired."""
        if not all(
            isinstance(self.fields.get(name), str) and self.fields[name]
            for name in ("refreshToken", "clientId", "clientSecret", "registrationExpiresAt")
        ):
            return False
        registered_until = read_stored_expiration(self.fields["registrationExpiresAt"])
        return registered_until is not None and registered_until > (
            now or datetime.now(timezone.utc)
        )


def token_directory() -> Path:
    # pathlib only here, for the sign-in's files: a role's cache hit never needs it.
    from pathlib import Path

    return Path(os.path.expanduser(TOKEN_DIR))


def _sso_session_sections(environ: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """The `[sso-session NAME]` sections of the config file, named as botocore names them."""
    from envgen.config_files import ConfigUnreadable

    try:
        sections = read_sections(config_file_path(environ))
    except ConfigUnreadable as error:
        raise EnvgenError(
            f"{error}; fix the config file (the AWS CLI cannot read it either)"
        ) from None
    found: dict[str, dict[str, str]] = {}
    for section, values in sections.items():
        if not section.startswith("sso-session"):
            continue
        try:
            words = shlex.split(section)
        except ValueError:
            continue
        if len(words) == 2:
            found[words[1]] = values
    return found


def _scopes(text: str | None) -> tuple[str, ...]:
    return tuple(scope.strip() for scope in (text or "").split(",") if scope.strip())


def _required(settings: Mapping[str, str], where: str) -> tuple[str, str]:
    missing = [key for key in ("sso_start_url", "sso_region") if not settings.get(key)]
    if missing:
        raise UsageError(f"{where} lacks {' and '.join(missing)}; add it to the config file")
    region = regions.checked(settings["sso_region"], f"sso_region of {where}")
    assert region is not None
    return settings["sso_start_url"], region


def session_named(name: str, environ: Mapping[str, str] = os.environ) -> SsoSession:
    sessions = _sso_session_sections(environ)
    if name not in sessions:
        listed = ", ".join(sorted(sessions)) or "none"
        raise UsageError(
            f"no [sso-session {name}] in {config_file_path(environ)} (sso-sessions there: {listed})"
        )
    settings = sessions[name]
    start_url, region = _required(settings, f"[sso-session {name}]")
    return SsoSession(name, start_url, region, _scopes(settings.get("sso_registration_scopes")))


def is_sso_profile(profile: Mapping[str, str]) -> bool:
    """A profile botocore gives SSO role credentials for: one naming an account or a role in
    Identity Center, with no role_arn or web identity token that botocore's providers would
    take first."""
    botocore_first = ("role_arn", "web_identity_token_file")
    return not any(key in profile for key in botocore_first) and any(
        key in profile for key in ("sso_account_id", "sso_role_name")
    )


def session_of_profile(
    name: str, profiles: Profiles, environ: Mapping[str, str] = os.environ
) -> SsoSession:
    """The sign-in PROFILE uses: its sso_session's, else its own sso_start_url (legacy)."""
    profile = profiles.get(name)
    if profile is None:
        raise UsageError(f"no profile {name!r} in {config_file_path(environ)}")
    if profile.get("sso_session"):
        session = session_named(profile["sso_session"], environ)
        # botocore refuses a profile that repeats a session setting with another value.
        for key, value in (("sso_start_url", session.start_url), ("sso_region", session.region)):
            if profile.get(key, value) != value:
                raise UsageError(
                    f"profile {name!r} sets {key} differently from its [sso-session "
                    f"{session.name}]; remove it from the profile"
                )
        return session
    if "sso_start_url" not in profile and "sso_region" not in profile:
        raise UsageError(
            f"profile {name!r} has no sso_session or sso_start_url; it does not sign in "
            "through IAM Identity Center"
        )
    start_url, region = _required(profile, f"profile {name!r}")
    return SsoSession(None, start_url, region)


def _token_from(entry: Any) -> Token | None:
    if not isinstance(entry, dict):
        return None
    access_token, expires_text = entry.get("accessToken"), entry.get("expiresAt")
    if not isinstance(access_token, str) or not access_token or not isinstance(expires_text, str):
        return None
    expires_at = read_stored_expiration(expires_text)
    if expires_at is None:
        return None
    try:
        if expires_at - datetime.now(timezone.utc) > LONGEST_TOKEN_LIFETIME:
            return None
    except OverflowError:
        return None
    return Token(access_token, expires_at.astimezone(timezone.utc), entry)


def load_token(session: SsoSession) -> Token | None:
    """The cached sign-in of SESSION, or None when there is none envgen may use."""
    return _token_from(load_json_entry(token_directory() / (session.token_key() + ".json")))


def load_registration(session: SsoSession, now: datetime | None = None) -> dict[str, Any] | None:
    """The client registration cached for SESSION while it has more than the window left."""
    entry = load_json_entry(token_directory() / (session.registration_key() + ".json"))
    if not isinstance(entry, dict) or not all(
        isinstance(entry.get(name), str) and entry[name]
        for name in ("clientId", "clientSecret", "expiresAt")
    ):
        return None
    # The AWS CLI's authorization-code registrations cannot run the device flow.
    if "authorization_code" in (entry.get("grantTypes") or ()):
        return None
    expires_at = read_stored_expiration(entry["expiresAt"])
    if expires_at is None or expires_at - (now or datetime.now(timezone.utc)) < REFRESH_WINDOW:
        return None
    return entry


def _write(name: str, entry: Mapping[str, Any]) -> Path:
    from envgen.persist import atomic
    from envgen.sources.aws_cli_cache import clear_the_place

    directory = token_directory()
    path = directory / (name + ".json")
    data = json.dumps(dict(entry)).encode("utf-8")
    try:
        atomic.make_directory(directory)
        clear_the_place(path)
        atomic.replace_file(path, data, atomic.PRIVATE_MODE)
    except OSError as error:
        raise EnvgenError(
            f"cannot write {path} ({atomic.describe_os_error(error)}); check that "
            f"{directory} is yours and writable"
        ) from None
    return path


def save_registration(session: SsoSession, registration: Mapping[str, Any]) -> None:
    _write(session.registration_key(), registration)


def save_token(session: SsoSession, token: Mapping[str, Any]) -> Path:
    return _write(session.token_key(), token)


def token_entry(
    session: SsoSession,
    access_token: str,
    expires_in: int,
    registration: Mapping[str, Any],
    refresh_token: str | None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """A token as the AWS CLI caches it: the same fields, in the same order, times in UTC."""
    issued = now or datetime.now(timezone.utc)
    entry: dict[str, Any] = {
        "startUrl": session.start_url,
        "region": session.region,
        "accessToken": access_token,
        "expiresAt": (issued + timedelta(seconds=expires_in)).strftime(TIME_FORMAT),
        "clientId": registration["clientId"],
        "clientSecret": registration["clientSecret"],
        "registrationExpiresAt": registration["expiresAt"],
    }
    if refresh_token:
        entry["refreshToken"] = refresh_token
    return entry


def format_time(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime(TIME_FORMAT)
