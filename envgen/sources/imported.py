"""Credentials the user already holds: a JSON document or keys typed on the command line."""

from __future__ import annotations

import json
from typing import Any

from envgen.credentials import Credentials, parse_expiration
from envgen.errors import EnvgenError, UsageError
from envgen.sources.text_input import read_text

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
        if isinstance(document.get("Credentials"), dict):
            return document["Credentials"]
        if "AccessKeyId" in document:
            version = document.get("Version", 1)
            if version != 1:
                # Only a number is echoed: the document around it holds secrets.
                shown = f" {version}" if isinstance(version, int) else ""
                raise UsageError(
                    f"{origin}: credential_process Version{shown} is not supported; "
                    "give a Version 1 document"
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


def parse_document(text: str, origin: str, region: str | None = None) -> Credentials:
    try:
        document = json.loads(text)
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


def from_source(source: str, region: str | None = None) -> Credentials:
    text, origin = read_source(source)
    return parse_document(text, origin, region)


def from_flags(
    access_key_id: str | None,
    secret_access_key: str | None,
    session_token: str | None,
    expiration: str | None,
    region: str | None,
) -> Credentials:
    if not access_key_id or not secret_access_key:
        missing = "--access-key-id" if not access_key_id else "--secret-access-key"
        raise UsageError(
            f"{missing} is missing; give both keys as flags, or a JSON file (or - for stdin)"
        )
    return Credentials(
        access_key_id=access_key_id,
        secret_access_key=secret_access_key,
        session_token=session_token,
        expiration=parse_expiration(expiration, "--expiration") if expiration else None,
        region=region,
    )
