"""`envgen whoami`: who the credentials in effect belong to (GetCallerIdentity), and how long
they last."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import datetime, timezone

from envgen.credentials import (
    ACCESS_KEY_ID,
    CREDENTIAL_EXPIRATION,
    SECRET_ACCESS_KEY,
    SESSION_EXPIRATION,
    SESSION_TOKEN,
    parse_expiration,
)
from envgen.errors import EnvgenError
from envgen.messages import detail
from envgen.sources.request import Place

# botocore reads only AWS_CREDENTIAL_EXPIRATION; envgen and other tools also write
# AWS_SESSION_EXPIRATION, and either one in the past means the keys beside it are dead.
EXPIRY_VARIABLES = (CREDENTIAL_EXPIRATION, SESSION_EXPIRATION)
KEY_VARIABLES = (ACCESS_KEY_ID, SECRET_ACCESS_KEY, SESSION_TOKEN)


def lookup(where: Place) -> dict[str, str]:
    """GetCallerIdentity with the credentials in effect, found as the AWS CLI finds them."""
    from envgen.sources import credential_chain, sts_session, terminal

    with sts_session.sts_errors(where):
        context = sts_session.open_context(where, where.profile)
        detail(sts_session.describe_profile_chain(context.session, where))
        credential_chain.install(context, terminal.prompter_for(None))
        frozen = credential_chain.base_credentials(context).get_frozen_credentials()
        client = context.client(
            aws_access_key_id=frozen.access_key,
            aws_secret_access_key=frozen.secret_key,
            aws_session_token=frozen.token,
        )
        response = client.get_caller_identity()
        return {key: response[key] for key in ("Account", "Arn", "UserId")}


def _expiration() -> datetime | None:
    text = os.environ.get(CREDENTIAL_EXPIRATION)
    if not text:
        return None
    try:
        return parse_expiration(text)
    except EnvgenError:
        return None


def clear_hint(environ: Mapping[str, str] = os.environ) -> str:
    """How to apply `envgen clear` in the shell envgen was run from."""
    from envgen.detect import detect_shell

    try:
        # --shell is not asked: whatever the output is for, the keys live in this shell.
        return detect_shell(environ=dict(environ)).apply_hint("envgen clear")
    except EnvgenError:
        return 'eval "$(envgen clear)"'


def refuse_expired_environment(
    environ: Mapping[str, str] = os.environ, now: datetime | None = None
) -> None:
    """Keys in the environment that their own expiry variable calls expired are refused with a
    way out, before botocore refuses them with a bare RuntimeError (or sends them to STS)."""
    if not environ.get(ACCESS_KEY_ID):
        return
    held = [name for name in KEY_VARIABLES if environ.get(name)]
    now = now or datetime.now(timezone.utc)
    for variable in EXPIRY_VARIABLES:
        text = environ.get(variable)
        if not text:
            continue
        try:
            expiration = parse_expiration(text, field=variable)
        except EnvgenError:
            if variable != CREDENTIAL_EXPIRATION:
                continue  # botocore ignores it; so does envgen, as long as the keys work
            raise EnvgenError(
                f"{variable} is not an ISO 8601 time, so the keys in {', '.join(held)} cannot "
                f"be used; clear them in this shell with: {clear_hint(environ)}, or name a "
                "profile with --profile NAME"
            ) from None
        if expiration <= now:
            from envgen.durations import describe_expiry

            # botocore lets such keys win over AWS_PROFILE, as the AWS CLI does: say so.
            beside = (
                f" (they come before AWS_PROFILE={environ['AWS_PROFILE']}, as in the AWS CLI)"
                if environ.get("AWS_PROFILE")
                else ""
            )
            raise EnvgenError(
                f"the credentials in {', '.join(held)} {describe_expiry(expiration, now)} "
                f"(per {variable}){beside}; clear them in this shell with: "
                f"{clear_hint(environ)}, then get new ones, or name a profile with --profile NAME"
            )


def time_left() -> str | None:
    if not os.environ.get(CREDENTIAL_EXPIRATION):
        return None
    expiration = _expiration()
    if expiration is None:
        return f"unknown ({CREDENTIAL_EXPIRATION} is not an ISO 8601 time)"
    from envgen.durations import describe_expiry

    return describe_expiry(expiration)


def expired_warning() -> str | None:
    """A warning when the credentials in effect say they have expired, whatever STS answers."""
    expiration = _expiration()
    if expiration is None or expiration > datetime.now(timezone.utc):
        return None
    from envgen.durations import describe_expiry

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
