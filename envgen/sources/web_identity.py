"""AssumeRoleWithWebIdentity: an OIDC token (a CI system's, typically) traded for a role."""

from __future__ import annotations

from envgen.errors import UsageError
from envgen.sources import validation
from envgen.sources.request import Issued, Place


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
    return assume_role_with_web_identity(
        where, role_arn, token, session_name or validation.default_session_name(), duration
    )


def assume_role_with_web_identity(
    where: Place, role_arn: str, token: str, session_name: str, duration_seconds: int
) -> Issued:
    """The token is the proof, so the call is unsigned."""
    from envgen.sources import sts_session

    with sts_session.sts_errors(where):
        context = sts_session.open_context(where, None)
        response = context.unsigned_client().assume_role_with_web_identity(
            RoleArn=role_arn,
            RoleSessionName=session_name,
            WebIdentityToken=token,
            DurationSeconds=duration_seconds,
        )
        credentials = sts_session.credentials_from_response(response["Credentials"], context.region)
        return Issued(credentials, role_arn, "web-identity")
