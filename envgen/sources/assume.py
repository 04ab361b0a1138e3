"""Which source answers `envgen assume` and `envgen exec`: IAM Identity Center (sso) for an SSO
profile, the AWS CLI's cache when it still holds the profile's role, else AssumeRole (role)
or GetSessionToken (session_token); and the environment `exec` gives its command (envgen.child
runs it)."""

from __future__ import annotations

import os

from envgen.credentials import MANAGED_VARIABLES, Credentials
from envgen.errors import UsageError
from envgen.messages import detail
from envgen.sources import aws_cli_cache
from envgen.sources.request import Issued, Place, RoleOptions


def issue(where: Place, options: RoleOptions) -> Issued:
    """Credentials for `assume` and `exec`: a profile's role still fresh in the shared cache
    is answered without loading botocore; an SSO profile goes to IAM Identity Center; else
    AssumeRole for --role-arn or the profile's role_arn, or GetSessionToken (or the
    credentials themselves, when already temporary)."""
    from envgen.sources import sso

    from_identity_center = sso.issue(where, options)
    if from_identity_center is not None:
        return from_identity_center
    cached = issue_from_cache(where, options)
    if cached is not None:
        return cached
    from envgen.sources import direct_path

    # A role whose every step envgen can take as botocore would: asked without loading it.
    directly = direct_path.issue(where, options)
    if directly is not None:
        return directly
    detail(
        "no cache entry envgen can serve by itself; botocore takes over (it reads the cache too)"
    )
    from envgen.sources import role, session_token, sts_session

    with sts_session.sts_errors(where):
        context = sts_session.open_context(where, sts_session.chosen_profile(where))
        detail(sts_session.describe_profile_chain(context.session, where))
        profile_role = role.profile_role(context)
        if options.role_arn is not None:
            return role.assume_role_arn(context, options)
        if profile_role is not None:
            return role.assume_profile_role(context, options)
        if options.session_name is not None or options.external_id is not None:
            raise UsageError(
                f"profile {context.profile_name!r} names no role_arn; give --role-arn for "
                "--role-session-name and --external-id"
            )
        return session_token.get_session_token(context, options)


def issue_from_cache(where: Place, options: RoleOptions) -> Issued | None:
    """A role profile's credentials still fresh in the shared cache, as `issue` answers them.
    `sso.issue`, which `issue` asks first, never answers for such a profile: the cache answers
    only profiles without sso_* settings."""
    cached = aws_cli_cache.cached_assumption(where, options)
    if cached is not None:
        detail(f"cache hit: {cached.whose}, from {aws_cli_cache.CACHE_DIR}; no STS call")
    return cached


def child_environment(
    credentials: Credentials, base: dict[str, str] | None = None
) -> dict[str, str]:
    """The caller's environment with every managed variable replaced, none left stale."""
    environment = dict(os.environ if base is None else base)
    for name in MANAGED_VARIABLES:
        environment.pop(name, None)
    environment.update(credentials.environment())
    return environment
