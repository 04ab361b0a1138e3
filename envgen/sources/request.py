"""What every credential source is asked with and what every one gives back: plain values, so
the cached path can use them without loading a module that talks to AWS.

A source is one module of envgen.sources with a function from a `Place` (and its own options)
to an `Issued`; it checks what it was given, makes its one call, and says which source it is.
"""

from __future__ import annotations

from envgen import regions
from envgen.errors import UsageError
from envgen.sources import validation
from envgen.values import Value

# typing.TYPE_CHECKING without loading typing: see envgen.values.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from datetime import datetime
    from typing import Final, Literal

    from envgen.credentials import Credentials

    # Which source issued a set of credentials: what a renewal would have to ask again.
    SourceName = Literal[
        "aws-cli-cache",
        "role",
        "session-token",
        "saml",
        "web-identity",
        "imported",
        "sso",
        "federation-token",
    ]


# Issued.base of credentials that were already temporary and are exported as they are.
PASSED_THROUGH = "passed-through"


class Place(Value):
    """Which configuration to start from and where the AWS endpoints are."""

    __slots__ = ("profile", "region", "endpoint_url")
    profile: Final[str | None]
    region: Final[str | None]
    endpoint_url: Final[str | None]

    def __init__(
        self, profile: str | None = None, region: str | None = None, endpoint_url: str | None = None
    ) -> None:
        self.profile = profile
        self.region = region
        self.endpoint_url = endpoint_url

    def with_profile(self, profile: str | None) -> Place:
        return Place(profile, self.region, self.endpoint_url)


class RoleOptions(Value):
    __slots__ = (
        "role_arn",
        "session_name",
        "duration_seconds",
        "external_id",
        "serial_number",
        "token_code",
    )
    _hidden = frozenset({"token_code"})
    role_arn: Final[str | None]
    session_name: Final[str | None]
    duration_seconds: Final[int | None]
    external_id: Final[str | None]
    serial_number: Final[str | None]
    token_code: Final[str | None]

    def __init__(
        self,
        role_arn: str | None = None,
        session_name: str | None = None,
        duration_seconds: int | None = None,
        external_id: str | None = None,
        serial_number: str | None = None,
        token_code: str | None = None,
    ) -> None:
        self.role_arn = role_arn
        self.session_name = session_name
        self.duration_seconds = duration_seconds
        self.external_id = external_id
        self.serial_number = serial_number
        self.token_code = token_code

    def without_token_code(self) -> RoleOptions:
        """The same options for a later call: an MFA code is good for one."""
        return RoleOptions(
            self.role_arn,
            self.session_name,
            self.duration_seconds,
            self.external_id,
            self.serial_number,
        )

    def profile_overrides(self) -> dict[str, str | int]:
        """What the command line lays over a role profile, under the profile's own key names."""
        laid_over = (
            ("role_session_name", self.session_name),
            ("duration_seconds", self.duration_seconds),
            ("external_id", self.external_id),
            ("mfa_serial", self.serial_number),
        )
        return {key: value for key, value in laid_over if value is not None}


class Issued(Value):
    """Credentials and where they came from: `whose` for the summary line (None when nothing
    better than "these credentials" can be said), `source` and `profile` for whoever has to get
    them again when they expire (a profile's role is renewed by assuming the profile again;
    a SAML assertion or imported keys cannot be renewed without the user). `base` is where
    the credentials that signed the call came from, as botocore names its providers (`env`,
    `shared-credentials-file`, ...), or PASSED_THROUGH when the credentials found were already
    temporary and are handed on as they are: neither can be asked again once the shell holds
    the new keys in their place."""

    __slots__ = ("credentials", "whose", "source", "profile", "base")
    credentials: Final[Credentials]
    whose: Final[str | None]
    source: Final[SourceName]
    profile: Final[str | None]
    base: Final[str | None]

    def __init__(
        self,
        credentials: Credentials,
        whose: str | None,
        source: SourceName,
        profile: str | None = None,
        base: str | None = None,
    ) -> None:
        self.credentials = credentials
        self.whose = whose
        self.source = source
        self.profile = profile
        self.base = base

    @property
    def expiration(self) -> datetime | None:
        return self.credentials.expiration


def place(profile: str | None, region: str | None, endpoint_url: str | None) -> Place:
    """The command line's --profile, --region and --endpoint-url, checked."""
    return Place(
        profile, regions.checked(region, "--region"), validation.endpoint_url(endpoint_url)
    )


def one_profile(positional: str | None, option: str | None) -> str | None:
    """The profile named as PROFILE or with --profile (the AWS CLI's habit); both may be given
    only when they agree."""
    if positional is not None and option is not None and positional != option:
        raise UsageError(
            f"PROFILE {positional!r} and --profile {option!r} name different profiles; "
            "give one of them"
        )
    named = option if option is not None else positional
    if named is not None and not named.strip():
        raise UsageError("the profile name is empty; give a profile of your AWS config files")
    return named


def checked_options(
    role_arn: str | None = None,
    session_name: str | None = None,
    duration_seconds: int | None = None,
    external_id: str | None = None,
    serial_number: str | None = None,
    token_code: str | None = None,
) -> RoleOptions:
    """The command line's role options, each checked before anything is sent."""
    return RoleOptions(
        role_arn=validation.role_arn(role_arn),
        session_name=validation.session_name(session_name),
        duration_seconds=validation.duration(duration_seconds),
        external_id=validation.external_id(external_id),
        serial_number=validation.serial_number(serial_number),
        token_code=validation.token_code(token_code),
    )
