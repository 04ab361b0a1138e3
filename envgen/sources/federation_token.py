"""GetFederationToken: long-term keys traded for temporary credentials the console accepts, and
which source answers `envgen console`.

The federation endpoint signs in only with credentials from AssumeRole* or GetFederationToken
(not GetSessionToken's), so a profile with a role gives its role, temporary credentials are
used as they are, and long-term keys (an IAM user's) get a federation token. As aws-vault does,
the token carries an allow-everything session policy: a federated user's permissions are the
intersection of the IAM user's policies and the session policy, so the console can do exactly
what the keys can, and without a session policy it could do nothing.
"""

from __future__ import annotations

import json
import re

from envgen.credentials import Credentials
from envgen.messages import detail
from envgen.sources.request import Issued, Place, RoleOptions
from envgen.sources.sts_session import StsContext, credentials_from_response

ALLOW_EVERYTHING_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
    },
    separators=(",", ":"),
)
# GetFederationToken's bounds: a federated user's name is 2 to 32 characters of this set, and
# its session lasts 900 s to 36 h (an hour at most for an account's root keys).
MAX_NAME_LENGTH = 32
DEFAULT_DURATION_SECONDS = 3600


def federated_user_name() -> str:
    """`envgen-<login name>`, cut to the 32 characters STS allows (CloudTrail shows it)."""
    from envgen.sources.validation import default_session_name

    name = default_session_name()[:MAX_NAME_LENGTH]
    return re.sub(r"[^\w+=,.@-]", "-", name, flags=re.ASCII)


def get_federation_token(
    context: StsContext, access_key_id: str, secret_access_key: str, duration_seconds: int
) -> Issued:
    client = context.client(
        aws_access_key_id=access_key_id, aws_secret_access_key=secret_access_key
    )
    name = federated_user_name()
    response = client.get_federation_token(
        Name=name, Policy=ALLOW_EVERYTHING_POLICY, DurationSeconds=duration_seconds
    )
    credentials = credentials_from_response(response["Credentials"], context.region)
    arn = (response.get("FederatedUser") or {}).get("Arn")
    whose = arn if isinstance(arn, str) and arn else f"federated user {name}"
    return Issued(credentials, whose, "federation-token", context.session.profile)


def issue_for_console(where: Place, federation_seconds: int | None) -> tuple[Issued, bool]:
    """The credentials `envgen console` signs in with, and whether they are a federation token:
    an SSO profile's role, the profile's role (from the AWS CLI's cache when it still holds it),
    credentials already temporary as they are, or a federation token for long-term keys,
    lasting FEDERATION_SECONDS (default: an hour)."""
    from envgen.sources import aws_cli_cache, sso

    from_identity_center = sso.issue(where, RoleOptions())
    if from_identity_center is not None:
        return from_identity_center, False
    cached = aws_cli_cache.cached_assumption(where, RoleOptions())
    if cached is not None:
        detail(f"cache hit: {cached.whose}, from {aws_cli_cache.CACHE_DIR}; no STS call")
        return cached, False
    from envgen.sources import credential_chain, role, sts_session, terminal

    with sts_session.sts_errors(where):
        context = sts_session.open_context(where, sts_session.chosen_profile(where))
        detail(sts_session.describe_profile_chain(context.session, where))
        if role.profile_role(context) is not None:
            return role.assume_profile_role(context, RoleOptions()), False
        credential_chain.install(context, terminal.prompter_for(None))
        base = credential_chain.base_credentials(context)
        frozen = base.get_frozen_credentials()
        profile = context.session.profile
        source = "the environment" if base.method == "env" else f"profile {context.profile_name}"
        if frozen.token:
            credentials = Credentials(
                frozen.access_key, frozen.secret_key, frozen.token, None, context.region
            )
            return Issued(credentials, f"{source} (temporary)", "session-token", profile), False
        detail(f"long-term keys from {source}: GetFederationToken for the console")
        issued = get_federation_token(
            context,
            frozen.access_key,
            frozen.secret_key,
            federation_seconds or DEFAULT_DURATION_SECONDS,
        )
        return issued, True
