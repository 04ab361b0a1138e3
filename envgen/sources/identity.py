"""`envgen whoami`: who the credentials in effect belong to, and how long they last."""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone

from envgen.credentials import CREDENTIAL_EXPIRATION, parse_expiration
from envgen.errors import EnvgenError
from envgen.sources.role_request import Place


def lookup(where: Place) -> dict[str, str]:
    from envgen.sources import sts

    return sts.caller_identity(where)


def _expiration() -> datetime | None:
    text = os.environ.get(CREDENTIAL_EXPIRATION)
    if not text:
        return None
    try:
        return parse_expiration(text)
    except EnvgenError:
        return None


def time_left() -> str | None:
    if not os.environ.get(CREDENTIAL_EXPIRATION):
        return None
    expiration = _expiration()
    if expiration is None:
        return f"unknown ({CREDENTIAL_EXPIRATION} is not an ISO 8601 time)"
    from envgen.output import describe_expiry

    return describe_expiry(expiration)


def expired_warning() -> str | None:
    """A warning when the credentials in effect say they have expired, whatever STS answers."""
    expiration = _expiration()
    if expiration is None or expiration > datetime.now(timezone.utc):
        return None
    from envgen.output import describe_expiry

    return (
        f"warning: the credentials in effect {describe_expiry(expiration)}; "
        "get new ones (envgen assume, saml or import)"
    )


def as_json(identity: dict[str, str]) -> str:
    return json.dumps({key: identity[key] for key in ("Account", "Arn", "UserId")}) + "\n"


def as_text(identity: dict[str, str]) -> str:
    lines = [
        f"Account: {identity['Account']}",
        f"Arn:     {identity['Arn']}",
        f"UserId:  {identity['UserId']}",
    ]
    left = time_left()
    if left is not None:
        lines.append(f"Credentials {left}")
    return "\n".join(lines) + "\n"
