"""`envgen whoami`: who the credentials in effect belong to, and how long they last."""

from __future__ import annotations

import json
import os

from envgen.credentials import CREDENTIAL_EXPIRATION, parse_expiration
from envgen.errors import EnvgenError
from envgen.sources.role_request import Place


def lookup(where: Place) -> dict[str, str]:
    from envgen.sources import sts

    return sts.caller_identity(where)


def time_left() -> str | None:
    text = os.environ.get(CREDENTIAL_EXPIRATION)
    if not text:
        return None
    from envgen.output import describe_expiry

    try:
        return describe_expiry(parse_expiration(text))
    except EnvgenError:
        return f"unknown ({CREDENTIAL_EXPIRATION} is not an ISO 8601 time)"


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
