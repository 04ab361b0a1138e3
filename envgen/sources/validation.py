"""Checks on what the user typed, done before any network call: STS would refuse the same
values a round trip later, with a message that may echo them."""

from __future__ import annotations

import base64
import binascii
import re

from envgen.errors import UsageError
from envgen.sources.text_input import DEFAULT_LIMIT, read_text

DEFAULT_DURATION_SECONDS = 1800
MIN_DURATION_SECONDS = 900
MAX_DURATION_SECONDS = 43200

# The shapes STS documents for each parameter.
_PARTITION = r"arn:aws[a-z0-9-]*"
ROLE_ARN = re.compile(_PARTITION + r":iam::\d{12}:role/(?:[\w+=,.@-]+/)*[\w+=,.@-]{1,64}")
SAML_PROVIDER_ARN = re.compile(_PARTITION + r":iam::\d{12}:saml-provider/[\w.-]{1,128}")
SESSION_NAME = re.compile(r"[\w+=,.@-]{2,64}")
EXTERNAL_ID = re.compile(r"[\w+=,.@:/-]{2,1224}")
SERIAL_NUMBER = re.compile(r"[\w+=/:,.@-]{9,256}")
TOKEN_CODE = re.compile(r"\d{6}")
# SAMLAssertion is limited to 100,000 characters by STS, WebIdentityToken to 20,000.
MAX_SAML_ASSERTION = 100_000
MIN_WEB_IDENTITY_TOKEN = 4
MAX_WEB_IDENTITY_TOKEN = 20_000
# The most bytes read for each option's file://PATH or `-`: the longest value STS accepts, even
# wrapped into short lines with CR LF ends (base64 copied from a page often is), with room to
# spare; the length STS accepts is checked on the value itself.
READ_LIMITS = {
    "--saml-assertion": 256 * 1024,
    "--web-identity-token": 64 * 1024,
}


def _check(pattern: re.Pattern[str], value: str | None, option: str, shape: str) -> str | None:
    if value is None:
        return None
    if not pattern.fullmatch(value):
        raise UsageError(f"{option}: not {shape}")
    return value


def role_arn(value: str | None, option: str = "--role-arn") -> str | None:
    return _check(ROLE_ARN, value, option, "a role ARN like arn:aws:iam::123456789012:role/NAME")


def principal_arn(value: str | None, option: str = "--principal-arn") -> str | None:
    return _check(
        SAML_PROVIDER_ARN,
        value,
        option,
        "a SAML provider ARN like arn:aws:iam::123456789012:saml-provider/NAME",
    )


def session_name(value: str | None) -> str | None:
    return _check(
        SESSION_NAME,
        value,
        "--role-session-name",
        "a session name: 2 to 64 letters, digits or + = , . @ _ -",
    )


def external_id(value: str | None) -> str | None:
    return _check(
        EXTERNAL_ID,
        value,
        "--external-id",
        "an external id: 2 to 1224 letters, digits or + = , . @ : / _ -",
    )


def serial_number(value: str | None) -> str | None:
    return _check(
        SERIAL_NUMBER,
        value,
        "--serial-number",
        "an MFA device: its ARN (arn:aws:iam::123456789012:mfa/NAME) or a hardware serial",
    )


def token_code(value: str | None, origin: str = "--token-code") -> str | None:
    if value is not None and not TOKEN_CODE.fullmatch(value):
        # The code itself is left out: it is a credential, however short-lived.
        raise UsageError(f"{origin}: an MFA code is exactly 6 digits")
    return value


def duration(value: int | None, option: str = "--duration-seconds") -> int | None:
    if value is not None and not MIN_DURATION_SECONDS <= value <= MAX_DURATION_SECONDS:
        raise UsageError(
            f"{option} {value} is out of range; give {MIN_DURATION_SECONDS} to "
            f"{MAX_DURATION_SECONDS} seconds (15 minutes to 12 hours)"
        )
    return value


def endpoint_url_problem(value: str) -> str | None:
    """What is wrong with VALUE as an STS endpoint URL, or None. The URL itself is never quoted
    back: it may hold a user name and password."""
    from urllib.parse import urlsplit

    if not value:
        return "it is empty"
    if any(character.isspace() or not character.isprintable() for character in value):
        return "it holds spaces or control characters"
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        # Its text names the defect (an unclosed IPv6 bracket, a port beyond 65535).
        return "it is not a valid URL (check the host's brackets and the port)"
    if parts.scheme not in ("http", "https"):
        return "it does not start with https:// (or http://)"
    if not parts.hostname:
        return "it names no host"
    if port == 0:
        return "port 0 is not a port to connect to"
    if parts.username is not None or parts.password is not None:
        return "it holds a user name or password, which STS never takes"
    if parts.query or parts.fragment or value.endswith(("?", "#")):
        return "it holds a query or fragment, which STS endpoints never have"
    return None


def endpoint_url(value: str | None) -> str | None:
    if value is not None:
        problem = endpoint_url_problem(value)
        if problem is not None:
            raise UsageError(
                f"--endpoint-url: {problem}; give a URL like https://sts.eu-west-1.amazonaws.com"
            )
    return value


def default_session_name() -> str:
    """`envgen-<login name>`, so CloudTrail shows who assumed the role."""
    # Loaded only for a call to STS: the cache hit checks its options here too.
    import getpass

    try:
        user = getpass.getuser()
    except (KeyError, OSError, ImportError):
        user = ""
    cleaned = re.sub(r"[^\w+=,.@-]", "-", user, flags=re.ASCII).strip("-")
    return f"envgen-{cleaned}"[:64] if cleaned else "envgen"


def read_secret_value(value: str, option: str) -> str:
    """VALUE itself, the content of file://PATH, or stdin for `-`; surrounding whitespace dropped.

    A file or stdin is read up to the option's limit (READ_LIMITS); a FIFO or device is refused.
    """
    if value == "-" or value.startswith("file://"):
        limit = READ_LIMITS.get(option, DEFAULT_LIMIT)
        text, origin = read_text(value.removeprefix("file://"), label=option, limit=limit)
    else:
        text, origin = value, option
    text = text.strip()
    if not text:
        raise UsageError(f"{option}: {origin} is empty")
    return text


def saml_assertion_bytes(encoded: str) -> bytes:
    """Decode the base64 SAMLResponse strictly: a stray character means a damaged copy-paste."""
    compact = "".join(encoded.split())
    if len(compact) > MAX_SAML_ASSERTION:
        raise UsageError(
            f"--saml-assertion: {len(compact)} characters, more than STS accepts "
            f"({MAX_SAML_ASSERTION})"
        )
    try:
        decoded = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        raise UsageError(
            "--saml-assertion: not base64; give the SAMLResponse value exactly as the identity "
            "provider posted it (or file://PATH, or - for stdin)"
        ) from None
    if not decoded:
        raise UsageError("--saml-assertion: decodes to nothing")
    return decoded


def web_identity_token(token: str) -> str:
    if not MIN_WEB_IDENTITY_TOKEN <= len(token) <= MAX_WEB_IDENTITY_TOKEN:
        raise UsageError(
            f"--web-identity-token: {len(token)} characters; STS accepts "
            f"{MIN_WEB_IDENTITY_TOKEN} to {MAX_WEB_IDENTITY_TOKEN}"
        )
    if any(character.isspace() for character in token):
        raise UsageError("--web-identity-token: a token holds no spaces or line breaks")
    return token
