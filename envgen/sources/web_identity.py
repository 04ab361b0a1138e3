"""AssumeRoleWithWebIdentity: an OIDC token (a CI system's, typically) traded for a role."""

from __future__ import annotations

from envgen.errors import UsageError
from envgen.sources import validation
from envgen.sources.role_request import Issued, Place


def assume_with_token(
    where: Place,
    role_arn: str | None,
    token_value: str,
    session_name: str | None,
    duration_seconds: int | None,
) -> Issued:
    if role_arn is None:
        raise UsageError("--role-arn is required: the role the token is traded for")
    validation.role_arn(role_arn)
    validation.session_name(session_name)
    duration = validation.duration(duration_seconds) or validation.DEFAULT_DURATION_SECONDS
    token = validation.web_identity_token(
        validation.read_secret_value(token_value, "--web-identity-token")
    )
    from envgen.sources import sts

    return sts.assume_with_web_identity(
        where, role_arn, token, session_name or validation.default_session_name(), duration
    )
