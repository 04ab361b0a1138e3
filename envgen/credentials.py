"""The credentials value every source produces and every dialect renders."""

from __future__ import annotations

from datetime import datetime, timezone

from envgen.errors import EnvgenError, UsageError
from envgen.records import RECORD_VARIABLES
from envgen.values import Value

# typing.TYPE_CHECKING without loading typing: see envgen.values.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Final

ACCESS_KEY_ID = "AWS_ACCESS_KEY_ID"
SECRET_ACCESS_KEY = "AWS_SECRET_ACCESS_KEY"
SESSION_TOKEN = "AWS_SESSION_TOKEN"
CREDENTIAL_EXPIRATION = "AWS_CREDENTIAL_EXPIRATION"
SESSION_EXPIRATION = "AWS_SESSION_EXPIRATION"
REGION = "AWS_REGION"
DEFAULT_REGION = "AWS_DEFAULT_REGION"
PROFILE = "AWS_PROFILE"
DEFAULT_PROFILE = "AWS_DEFAULT_PROFILE"
SECURITY_TOKEN = "AWS_SECURITY_TOKEN"

# Variables that choose another identity than the keys beside them: the JavaScript
# SDK takes AWS_PROFILE over keys in the environment, botocore takes
# AWS_DEFAULT_PROFILE over AWS_PROFILE and the legacy AWS_SECURITY_TOKEN over
# AWS_SESSION_TOKEN. Output with keys unsets all three; output that names a
# profile unsets the other two.
IDENTITY_SELECTORS: tuple[str, ...] = (PROFILE, DEFAULT_PROFILE, SECURITY_TOKEN)

# The variables a set of credentials can set, then every variable envgen sets or
# clears, in output order: envgen's own records (envgen.records) among them. Whatever
# a new set of credentials leaves out is unset in the same output, so no stale session
# token, expiry, profile or record survives beside new keys.
CREDENTIAL_VARIABLES: tuple[str, ...] = (
    ACCESS_KEY_ID,
    SECRET_ACCESS_KEY,
    SESSION_TOKEN,
    CREDENTIAL_EXPIRATION,
    SESSION_EXPIRATION,
    REGION,
    DEFAULT_REGION,
)
MANAGED_VARIABLES: tuple[str, ...] = (
    *CREDENTIAL_VARIABLES,
    *IDENTITY_SELECTORS,
    *RECORD_VARIABLES,
)

SECRET_VARIABLES = frozenset({SECRET_ACCESS_KEY, SESSION_TOKEN})


def lone_surrogate_in(value: str) -> str | None:
    """The first lone surrogate in `value`, or None when the value is writable as UTF-8.

    JSON's `\\udcff` escapes and undecodable command-line bytes both arrive as
    lone surrogates; no file, environment block or shell can carry one, and
    writing it anyway leaves bytes that the AWS SDKs cannot parse.
    """
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        return value[error.start]
    return None


def format_expiration(moment: datetime) -> str:
    """ISO 8601 in UTC with a Z, the form the AWS CLI and SDKs write."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


_TIME_CHARACTERS = frozenset("0123456789-:.+TZtz ")


def _moment(text: str) -> datetime | None:
    """The time ISO 8601 text names, as STS and the SDKs write it (`...Z`, `...+00:00`) or
    botocore's cache does (`...UTC`); naive when it names no zone, None when it is no time."""
    cleaned = text.strip()
    for suffix in ("UTC", "Z", "z"):
        if cleaned.endswith(suffix):
            cleaned = cleaned[: -len(suffix)] + "+00:00"
            break
    try:
        return datetime.fromisoformat(cleaned)
    except ValueError:
        return None


def parse_expiration(text: str, field: str = "expiration") -> datetime:
    """Read an expiry given to envgen, in UTC; a time without a zone is taken as UTC, as STS
    means it. `field` names where the text came from, for the error message."""
    moment = _moment(text)
    if moment is None:
        # Echo only what could be a time: a key pasted into the wrong field must not be shown.
        shown = f" {text.strip()!r}" if set(text.strip()) <= _TIME_CHARACTERS else ""
        raise UsageError(
            f"{field}{shown} is not an ISO 8601 time; write it like 2030-01-31T12:00:00Z"
        )
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    try:
        return moment.astimezone(timezone.utc)
    except OverflowError:
        raise UsageError(
            f"{field} lies outside the years 1 to 9999 once in UTC; write it like "
            "2030-01-31T12:00:00Z"
        ) from None


def read_stored_expiration(text: str) -> datetime | None:
    """Read an expiry from a file other programs write too (the AWS CLI's caches), in UTC, or
    None: what is no time is no answer there, never an error, and neither is a time without a
    zone, which botocore would read as local time where envgen reads UTC."""
    moment = _moment(text)
    if moment is None or moment.tzinfo is None:
        return None
    try:
        return moment.astimezone(timezone.utc)
    except OverflowError:
        return None


class Credentials(Value):
    __slots__ = ("access_key_id", "secret_access_key", "session_token", "expiration", "region")
    _hidden = frozenset({"secret_access_key", "session_token"})
    access_key_id: Final[str]
    secret_access_key: Final[str]
    session_token: Final[str | None]
    expiration: Final[datetime | None]
    region: Final[str | None]

    def __init__(
        self,
        access_key_id: str,
        secret_access_key: str,
        session_token: str | None = None,
        expiration: datetime | None = None,
        region: str | None = None,
    ) -> None:
        self.access_key_id = access_key_id
        self.secret_access_key = secret_access_key
        # Empty is as good as absent.
        self.session_token = session_token or None
        self.expiration = expiration
        self.region = region or None
        if not self.access_key_id:
            raise EnvgenError("the access key id is empty; give the AccessKeyId of the credentials")
        if not self.secret_access_key:
            raise EnvgenError(
                "the secret access key is empty; give the SecretAccessKey of the credentials"
            )
        if self.expiration is not None and self.expiration.tzinfo is None:
            raise ValueError("expiration must be timezone-aware")
        self._refuse_unwritable_text()

    def _refuse_unwritable_text(self) -> None:
        # Refused here, once for every output (shell code, JSON, a saved profile):
        # the message names the field and the code point, never the value.
        fields = {
            ACCESS_KEY_ID: self.access_key_id,
            SECRET_ACCESS_KEY: self.secret_access_key,
            SESSION_TOKEN: self.session_token,
            REGION: self.region,
        }
        for name, value in fields.items():
            found = lone_surrogate_in(value) if value else None
            if found is not None:
                raise EnvgenError(
                    f"{name} contains a lone surrogate (U+{ord(found):04X}), which is not "
                    "text any file or shell can hold; give the value exactly as it was issued"
                )

    @property
    def is_temporary(self) -> bool:
        return self.session_token is not None

    def is_expired(self, now: datetime | None = None) -> bool:
        if self.expiration is None:
            return False
        return self.expiration <= (now or datetime.now(timezone.utc))

    def refuse_if_expired(self) -> None:
        """Expired credentials are refused, never exported: every AWS call would fail with them."""
        if self.expiration is not None and self.is_expired():
            raise EnvgenError(
                f"these credentials expired at {format_expiration(self.expiration)}; "
                "get new ones (sign in again, or assume or import fresh ones)"
            )

    def environment(self) -> dict[str, str]:
        """The variables these credentials set, in CREDENTIAL_VARIABLES order."""
        expiration = format_expiration(self.expiration) if self.expiration is not None else None
        values: dict[str, str | None] = {
            ACCESS_KEY_ID: self.access_key_id,
            SECRET_ACCESS_KEY: self.secret_access_key,
            SESSION_TOKEN: self.session_token,
            CREDENTIAL_EXPIRATION: expiration,
            SESSION_EXPIRATION: expiration,
            REGION: self.region,
            DEFAULT_REGION: self.region,
        }
        return {name: value for name, value in values.items() if value is not None}


class Changes(Value):
    """What one output does to the environment: variables to set, then variables to unset."""

    __slots__ = ("assignments", "unsets", "credentials")
    assignments: Final[dict[str, str]]
    unsets: Final[tuple[str, ...]]
    # The credentials behind the assignments, for formats that print them whole.
    credentials: Final[Credentials | None]

    def __init__(
        self,
        assignments: dict[str, str],
        unsets: tuple[str, ...],
        credentials: Credentials | None = None,
    ) -> None:
        self.assignments = assignments
        self.unsets = unsets
        self.credentials = credentials

    @classmethod
    def from_credentials(
        cls, credentials: Credentials, records: dict[str, str] | None = None
    ) -> Changes:
        """The credentials' variables, then envgen's records of them (for a shell; never
        for a format); every other managed variable is unset."""
        assignments = {**credentials.environment(), **(records or {})}
        unsets = tuple(name for name in MANAGED_VARIABLES if name not in assignments)
        return cls(assignments, unsets, credentials)

    @classmethod
    def naming_profile(cls, profile: str, region: str | None) -> Changes:
        """AWS_PROFILE names a saved profile; the keys, a token and another profile
        variable that would win over it are unset, and the region is kept."""
        assignments = {PROFILE: profile}
        if region is not None:
            assignments[REGION] = region
            assignments[DEFAULT_REGION] = region
        unsets = tuple(
            name
            for name in MANAGED_VARIABLES
            if name not in assignments and name not in (REGION, DEFAULT_REGION)
        )
        return cls(assignments, unsets)

    @classmethod
    def clearing(cls) -> Changes:
        return cls({}, MANAGED_VARIABLES)

    def __repr__(self) -> str:
        shown = {n: ("***" if n in SECRET_VARIABLES else v) for n, v in self.assignments.items()}
        return f"Changes(assignments={shown!r}, unsets={self.unsets!r})"
