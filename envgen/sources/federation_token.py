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
from typing import Any

from envgen.credentials import Credentials
from envgen.messages import detail
from envgen.sources.role_request import Issued, Place, RoleOptions

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
    session: Any,
    place: Place,
    region: str | None,
    access_key_id: str,
    secret_access_key: str,
    duration_seconds: int,
) -> Issued:
    from envgen.sources import sts

    client = sts.make_client(
        session,
        place,
        region,
        aws_access_key_id=access_key_id,
        aws_secret_access_key=secret_access_key,
    )
    name = federated_user_name()
    response = client.get_federation_token(
        Name=name, Policy=ALLOW_EVERYTHING_POLICY, DurationSeconds=duration_seconds
    )
    credentials = sts._from_response(response["Credentials"], region)
    arn = (response.get("FederatedUser") or {}).get("Arn")
    whose = arn if isinstance(arn, str) and arn else f"federated user {name}"
    return Issued(credentials, whose)


def issue_for_console(where: Place, federation_seconds: int | None) -> tuple[Issued, bool]:
    """The credentials `envgen console` signs in with: an SSO profile's role, the profile's role
    (from the AWS CLI's cache when it still holds it), credentials already temporary as they are, or a federation
    token for long-term keys, lasting FEDERATION_SECONDS (default: an hour)."""
    from envgen import cache
    from envgen.sources import sso

    from_identity_center = sso.issue(where, RoleOptions())
    if from_identity_center is not None:
        return from_identity_center, False
    cached = cache.cached_assumption(where, RoleOptions())
    if cached is not None:
        detail(f"cache hit: {cached.whose}, from {cache.CACHE_DIR}; no STS call")
        return cached, False
    from envgen.sources import sts, terminal

    with sts.sts_errors(where):
        session = sts._session(sts._chosen_profile(where))
        settings = sts._profile_settings(session, where)
        region = sts._region(session, where)
        detail(sts.describe_profile_chain(session, where))
        if settings.get("role_arn") and "web_identity_token_file" not in settings:
            return sts.assume(where, RoleOptions()), False
        store = sts.RememberingCache(cache.CredentialCache(sts.cache_directory()))
        sts._install_resolver(session, where, region, store, terminal.prompter_for(None), {})
        base = sts._base_credentials(session)
        frozen = base.get_frozen_credentials()
        profile_name = session.profile or "default"
        source = "the environment" if base.method == "env" else f"profile {profile_name}"
        if frozen.token:
            credentials = Credentials(
                frozen.access_key, frozen.secret_key, frozen.token, None, region
            )
            return Issued(credentials, f"{source} (temporary)"), False
        detail(f"long-term keys from {source}: GetFederationToken for the console")
        issued = get_federation_token(
            session,
            where,
            region,
            frozen.access_key,
            frozen.secret_key,
            federation_seconds or DEFAULT_DURATION_SECONDS,
        )
        return issued, True
