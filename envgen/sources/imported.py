"""Credentials the user already holds: a JSON document or keys typed on the command line."""

from __future__ import annotations

import json

from envgen.credentials import Credentials, parse_expiration
from envgen.errors import EnvgenError, UsageError
from envgen.sources.request import Issued
from envgen.sources.text_input import read_text

# typing.TYPE_CHECKING without loading typing: see envgen.values.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

ACCEPTED_SHAPES = (
    "the output of `aws sts assume-role`, `assume-role-with-saml` or `get-session-token`, "
    "a Credentials object, or a credential_process document"
)


def read_source(source: str) -> tuple[str, str]:
    """The text of SOURCE (`-` for stdin) and a name for it in messages."""
    if source == "-":
        return read_text(source, hint="; give a JSON document")
    return read_text(source, hint="; give a JSON file, or - to read stdin")


def _credentials_object(document: Any, origin: str) -> dict[str, Any]:
    if isinstance(document, dict):
        credentials = document.get("Credentials")
        if isinstance(credentials, dict):
            return credentials
        if "AccessKeyId" in document:
            version = document.get("Version", 1)
            # The number 1 itself: `true` and `1.0` compare equal to it in Python, yet are
            # not what the credential_process format defines.
            if type(version) is not int or version != 1:
                # Only a short whole number is echoed: the document around it holds secrets.
                shown = f" {version}" if type(version) is int and abs(version) < 10**6 else ""
                raise UsageError(
                    f"{origin}: credential_process Version{shown} is not supported; "
                    "give a Version 1 document (the number 1)"
                )
            return document
    raise UsageError(f"{origin}: holds no AccessKeyId; give {ACCEPTED_SHAPES}")


def _text_field(fields: dict[str, Any], key: str, origin: str, required: bool) -> str | None:
    value = fields.get(key)
    if value is None:
        if required:
            raise UsageError(f"{origin}: {key} is missing; give {ACCEPTED_SHAPES}")
        return None
    if not isinstance(value, str):
        raise UsageError(f"{origin}: {key} must be a string, not {type(value).__name__}")
    return value


# No credentials document holds a number anywhere near this long; Python would refuse to
# convert one beyond 4300 digits anyway, with an error of its own.
MAX_NUMBER_DIGITS = 100


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise _NumberTooLong
    return int(text)


def _bounded_float(text: str) -> float:
    if len(text) > MAX_NUMBER_DIGITS * 4:
        raise _NumberTooLong
    return float(text)


class _NumberTooLong(Exception):
    pass


def parse_document(text: str, origin: str, region: str | None = None) -> Credentials:
    try:
        document = json.loads(text, parse_int=_bounded_int, parse_float=_bounded_float)
    except _NumberTooLong:
        raise UsageError(
            f"{origin}: holds a number of more than {MAX_NUMBER_DIGITS} digits, which no "
            f"credentials document does; give {ACCEPTED_SHAPES}"
        ) from None
    except json.JSONDecodeError as error:
        # The position, never the text: the document holds secrets.
        raise UsageError(
            f"{origin}: not valid JSON ({error.msg} at line {error.lineno} column "
            f"{error.colno}); give {ACCEPTED_SHAPES}"
        ) from None
    except RecursionError:
        raise UsageError(f"{origin}: JSON nested too deeply; give {ACCEPTED_SHAPES}") from None
    fields = _credentials_object(document, origin)
    access_key_id = _text_field(fields, "AccessKeyId", origin, required=True) or ""
    secret_access_key = _text_field(fields, "SecretAccessKey", origin, required=True) or ""
    session_token = _text_field(fields, "SessionToken", origin, required=False)
    expiration_text = _text_field(fields, "Expiration", origin, required=False)
    expiration = (
        parse_expiration(expiration_text, f"{origin}: Expiration") if expiration_text else None
    )
    try:
        return Credentials(access_key_id, secret_access_key, session_token, expiration, region)
    except EnvgenError as error:
        raise UsageError(f"{origin}: {error.message}") from None


def from_source(source: str, region: str | None = None) -> Issued:
    """The credentials in the JSON document at SOURCE (`-` for stdin)."""
    text, origin = read_source(source)
    return Issued(parse_document(text, origin, region), None, "imported")


SECRET_FLAG_FORMS = "VALUE, file://PATH or - for stdin"


def _is_indirect(value: str | None) -> bool:
    return value is not None and (value == "-" or value.startswith("file://"))


def interacts(
    source: str | None,
    access_key_id: str | None,
    secret_access_key: str | None,
    session_token: str | None,
) -> bool:
    """True when reading the input takes stdin or a question at the terminal; a file or
    keys on the command line take neither."""
    if source is not None:
        return source == "-"
    return "-" in (secret_access_key, session_token) or (
        bool(access_key_id) and secret_access_key is None
    )


def _flag_value(value: str | None, option: str) -> str | None:
    """VALUE itself, the content of file://PATH, or stdin for `-`."""
    if not _is_indirect(value):
        return value
    from envgen.sources.validation import read_secret_value

    return read_secret_value(value or "", option)


def _ask(question: str, option: str) -> str:
    from envgen.sources import terminal

    try:
        return terminal.ask_secret(question, option)
    except terminal.NoTerminal:
        raise UsageError(
            f"{option} is missing and there is no terminal to ask on; give it as "
            f"{SECRET_FLAG_FORMS}"
        ) from None


def from_flags(
    access_key_id: str | None,
    secret_access_key: str | None,
    session_token: str | None,
    expiration: str | None,
    region: str | None,
) -> Issued:
    """Keys from the flags. The secret ones may name a file or stdin, and a secret left out
    is asked at the terminal without echo, so it need not sit in argv and shell history."""
    if not access_key_id:
        raise UsageError(
            "--access-key-id is missing; give it with --secret-access-key, or a JSON file "
            "(or - for stdin)"
        )
    if secret_access_key == "-" and session_token == "-":
        raise UsageError(
            "--secret-access-key and --session-token cannot both read stdin; "
            "give one of them as file://PATH"
        )
    expires = parse_expiration(expiration, "--expiration") if expiration else None
    secret = _flag_value(secret_access_key, "--secret-access-key")
    token = _flag_value(session_token, "--session-token")
    if secret is None:
        secret = _ask(f"secret access key for {access_key_id}", "--secret-access-key")
    credentials = Credentials(
        access_key_id=access_key_id,
        secret_access_key=secret,
        session_token=token,
        expiration=expires,
        region=region,
    )
    return Issued(credentials, None, "imported")
