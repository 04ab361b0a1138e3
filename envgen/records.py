"""What envgen records beside the credentials it sets, so that the prompt hook and `envgen
refresh` can act on them later: when they expire, when the hook must next run envgen, and
where they came from.

- ENVGEN_EXPIRATION: the expiry, epoch seconds; absent when none is known.
- ENVGEN_CHECK_AT: epoch seconds from which the hook runs `envgen refresh --hook`; the only
  variable a shell reads.
- ENVGEN_SOURCE: how to get the credentials again, read by envgen alone. Never a secret: the
  source's kind, the profile, the options that chose it, a digest of the access key id that
  was set (to tell whether the user replaced the keys since; a digest, as imported key ids
  can be any length) and whether the output was persisted.

ENVGEN_SOURCE is a compact JSON document in URL-safe base64 without padding: letters, digits,
`-` and `_` only. JSON as it is could not travel everywhere: cmd refuses its `"`, and csh's
joined form (eval with unquoted backquotes) expands its braces and commas before eval runs.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Mapping
from datetime import datetime, timezone

from envgen.errors import UsageError
from envgen.values import Value

# typing.TYPE_CHECKING without loading typing: see envgen.values.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Final

    from envgen.sources.request import Issued, Place, RoleOptions

EXPIRATION = "ENVGEN_EXPIRATION"
CHECK_AT = "ENVGEN_CHECK_AT"
SOURCE = "ENVGEN_SOURCE"
RECORD_VARIABLES: tuple[str, ...] = (EXPIRATION, CHECK_AT, SOURCE)

REFRESH_BEFORE = "ENVGEN_REFRESH_BEFORE"
DEFAULT_WINDOW_SECONDS = 300
# A window longer than the longest session STS grants (36 hours, a session token) means
# "always"; beyond a few days it is a typo.
LONGEST_WINDOW_SECONDS = 7 * 86400
# After a renewal failed, the hook asks again this much later, not at every prompt.
RETRY_SECONDS = 60
# How long before the refresh window the hook starts a renewal in the background, for the
# sources whose renewal lands in a cache every envgen run reads (renews_ahead): at the
# window, the renewal at the prompt is then a cache hit, without waiting for the network.
# Five minutes leave a slow endpoint and botocore's retries time to finish, and keep the
# credentials it fetches nearly as long-lived as the ones fetched at the window.
LEAD_SECONDS = 300
# The kinds of source whose renewal is written to the AWS CLI's cache under botocore's key: a
# role (a profile's, or --role-arn over a profile's keys) and IAM Identity Center's role
# credentials. A session token has no cache: fetched ahead, it would be lost.
_CACHED_KINDS = frozenset({"role", "sso"})
# Origin.base of credentials a renewal could not sign for again (envgen.refresh refuses them).
_UNRENEWABLE_BASES = frozenset({"env", "passed-through"})

# An epoch second as the shells compare it: digits only, and few enough that no shell's
# arithmetic overflows on it.
_EPOCH = re.compile(r"[0-9]{1,18}")

# ENVGEN_SOURCE as envgen writes it, and the most of it envgen reads.
_SOURCE_TEXT = re.compile(r"[A-Za-z0-9_-]{1,16384}")

# The fields of Origin that are not text.
_NON_TEXT_FIELDS: dict[str, type] = {"duration_seconds": int, "persisted": bool}

# The version of the record's layout: a record of another version is not acted on.
_VERSION = 1


def refresh_window(environ: Mapping[str, str]) -> int:
    """ENVGEN_REFRESH_BEFORE, checked: seconds before the expiry at which envgen renews."""
    text = environ.get(REFRESH_BEFORE)
    if text is None or text == "":
        return DEFAULT_WINDOW_SECONDS
    stripped = text.strip()
    if not (stripped.isascii() and stripped.isdigit()) or int(stripped) > LONGEST_WINDOW_SECONDS:
        shown = f" {stripped!r}" if len(stripped) <= 20 and stripped.isprintable() else ""
        raise UsageError(
            f"{REFRESH_BEFORE}{shown} is not a number of seconds from 0 to "
            f"{LONGEST_WINDOW_SECONDS}; set it like {REFRESH_BEFORE}=300, or unset it for "
            f"{DEFAULT_WINDOW_SECONDS}"
        )
    return int(stripped)


def epoch_seconds(moment: datetime) -> int:
    return int(moment.timestamp())


def read_epoch(text: str | None) -> int | None:
    """An epoch second recorded by envgen, or None for anything else."""
    if text is None or not _EPOCH.fullmatch(text):
        return None
    return int(text)


class Origin(Value):
    """Where a set of credentials came from, as `envgen refresh` needs it to get them again.

    `kind` is the source's name (envgen.sources.request.SourceName); `base` is botocore's name
    for where the credentials that signed the call came from (`env`, `shared-credentials-file`,
    ...), when envgen knows it; the rest are the profile and the command-line options that
    chose the source, None where not given.
    """

    __slots__ = (
        "kind",
        "key_digest",
        "profile",
        "role_arn",
        "session_name",
        "duration_seconds",
        "external_id",
        "serial_number",
        "region",
        "endpoint_url",
        "base",
        "persisted",
    )
    kind: Final[str]
    key_digest: Final[str]
    profile: Final[str | None]
    role_arn: Final[str | None]
    session_name: Final[str | None]
    duration_seconds: Final[int | None]
    external_id: Final[str | None]
    serial_number: Final[str | None]
    region: Final[str | None]
    endpoint_url: Final[str | None]
    base: Final[str | None]
    persisted: Final[bool]

    def __init__(
        self,
        kind: str,
        key_digest: str,
        profile: str | None = None,
        role_arn: str | None = None,
        session_name: str | None = None,
        duration_seconds: int | None = None,
        external_id: str | None = None,
        serial_number: str | None = None,
        region: str | None = None,
        endpoint_url: str | None = None,
        base: str | None = None,
        persisted: bool = False,
    ) -> None:
        self.kind = kind
        self.key_digest = key_digest
        self.profile = profile
        self.role_arn = role_arn
        self.session_name = session_name
        self.duration_seconds = duration_seconds
        self.external_id = external_id
        self.serial_number = serial_number
        self.region = region
        self.endpoint_url = endpoint_url
        self.base = base
        self.persisted = persisted

    @classmethod
    def of(
        cls,
        issued: Issued,
        where: Place | None = None,
        options: RoleOptions | None = None,
        *,
        persisted: bool = False,
    ) -> Origin:
        """The origin of what a source issued for the command line's place and options (the
        MFA code given with --token-code is a secret, and spent: never recorded)."""
        # A role answered from the AWS CLI's cache is renewed as the role it is, and its
        # output is the same whichever path answered.
        kind = "role" if issued.source == "aws-cli-cache" else issued.source
        return cls(
            kind=kind,
            key_digest=key_digest(issued.credentials.access_key_id),
            profile=issued.profile,
            role_arn=options.role_arn if options else None,
            session_name=options.session_name if options else None,
            duration_seconds=options.duration_seconds if options else None,
            external_id=options.external_id if options else None,
            serial_number=options.serial_number if options else None,
            region=where.region if where else None,
            endpoint_url=where.endpoint_url if where else None,
            base=issued.base,
            persisted=persisted,
        )

    def text(self) -> str:
        fields = {
            name: value
            for name, value in self.as_dict().items()
            if value is not None and value is not False
        }
        document = json.dumps({"v": _VERSION, **fields}, separators=(",", ":"))
        return base64.urlsafe_b64encode(document.encode("ascii")).decode("ascii").rstrip("=")

    @classmethod
    def from_text(cls, text: str) -> Origin | None:
        """The origin recorded in TEXT, or None for anything envgen did not write."""
        if not _SOURCE_TEXT.fullmatch(text):
            return None
        try:
            data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            document = json.loads(data.decode("ascii"))
        except (ValueError, RecursionError):
            return None
        if not isinstance(document, dict) or document.pop("v", None) != _VERSION:
            return None
        names = set(cls.__slots__)
        if set(document) - names or not {"kind", "key_digest"} <= set(document):
            return None
        for name, value in document.items():
            wanted = _NON_TEXT_FIELDS.get(name, str)
            if type(value) is not wanted:
                return None
        return cls(**document)


def key_digest(access_key_id: str) -> str:
    """What ENVGEN_SOURCE keeps of an access key id: enough to tell it from another."""
    return hashlib.sha256(access_key_id.encode("utf-8", "surrogatepass")).hexdigest()[:20]


def renews_ahead(origin: Origin) -> bool:
    """Whether credentials of `origin` are renewed in the background LEAD_SECONDS before the
    window: their source writes a shared cache, and can sign for them again."""
    return origin.kind in _CACHED_KINDS and origin.base not in _UNRENEWABLE_BASES


def first_check(origin: Origin, expires: int, window: int) -> int:
    """When the hook next runs envgen for credentials of `origin` that expire at `expires`:
    at the start of the lead before the window where they renew ahead, else at the window."""
    lead = LEAD_SECONDS if renews_ahead(origin) else 0
    return expires - window - lead


def variables(
    origin: Origin, expiration: datetime | None, window: int, not_before: int = 0
) -> dict[str, str]:
    """The records for credentials of `origin` that expire at `expiration`: the hook next runs
    envgen `window` seconds before the expiry (LEAD_SECONDS earlier still for a source that
    renews ahead), and not before `not_before`."""
    recorded = {SOURCE: origin.text()}
    if expiration is not None:
        expires = epoch_seconds(expiration)
        recorded[EXPIRATION] = str(expires)
        recorded[CHECK_AT] = str(max(first_check(origin, expires, window), not_before, 0))
    return recorded


def now_epoch() -> int:
    return epoch_seconds(datetime.now(timezone.utc))
