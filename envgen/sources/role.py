"""AssumeRole: a profile's role (role_arn, reached through botocore's own assume-role provider,
so source_profile chains, credential_source and mfa_serial behave as in the AWS CLI), or the
role named with --role-arn, signed with the base credentials botocore finds.

Both go through the AWS CLI's cache under botocore's own keys (credential_chain), so envgen
and the AWS CLI serve each other's entries.
"""

from __future__ import annotations

from typing import Any

from envgen.credentials import Credentials
from envgen.sources import credential_chain, terminal, validation
from envgen.sources.request import Issued, RoleOptions

# Where the command line's role options are checked; `role.checked_options` still names it.
from envgen.sources.request import checked_options as checked_options
from envgen.sources.sts_session import StsContext, as_expiration


def profile_role(context: StsContext) -> str | None:
    """The role the profile assumes by itself (a web identity profile's role is botocore's
    web identity provider's business, not AssumeRole's)."""
    settings = context.settings
    role = settings.get("role_arn") if "web_identity_token_file" not in settings else None
    return role if isinstance(role, str) else None


def assume_profile_role(context: StsContext, role_options: RoleOptions) -> Issued:
    """The profile's role, with the command line's settings laid over the profile's."""
    role_arn = profile_role(context)
    assert role_arn is not None
    prompter = terminal.prompter_for(role_options.token_code)
    # The profile's own keys, overridden only by what the command line says, go to botocore
    # as a profile: its cache key is then the AWS CLI's for the same settings.
    chain = credential_chain.install(context, prompter, role_options.profile_overrides())
    # The profile's role itself, even when keys in the environment would come first in the
    # credential chain.
    frozen = chain.assume_role.load().get_frozen_credentials()
    credentials = Credentials(
        access_key_id=frozen.access_key,
        secret_access_key=frozen.secret_key,
        session_token=frozen.token,
        expiration=chain.cache.expiry_for(frozen.access_key),
        region=context.region,
    )
    profile = context.profile_name
    return Issued(credentials, f"{role_arn} (profile {profile})", "role", profile)


def assume_role_arn(context: StsContext, role_options: RoleOptions) -> Issued:
    """The role named with --role-arn, signed with the base credentials in effect."""
    from botocore.credentials import AssumeRoleCredentialFetcher

    role_arn = role_options.role_arn
    assert role_arn is not None
    prompter = terminal.prompter_for(role_options.token_code)
    chain = credential_chain.install(context, prompter)
    base = credential_chain.base_credentials(context)
    extra: dict[str, Any] = {
        "RoleSessionName": role_options.session_name or validation.default_session_name(),
        "DurationSeconds": role_options.duration_seconds or validation.DEFAULT_DURATION_SECONDS,
    }
    if role_options.external_id is not None:
        extra["ExternalId"] = role_options.external_id
    if role_options.serial_number is not None:
        extra["SerialNumber"] = role_options.serial_number

    def client_creator(service_name: str, **kwargs: Any) -> Any:
        return context.client(**kwargs)

    # botocore's own fetcher: the same cache key the AWS CLI computes for a profile with
    # these settings, and the same expiry window before an entry is refreshed.
    fetcher = AssumeRoleCredentialFetcher(
        client_creator=client_creator,
        source_credentials=base,
        role_arn=role_arn,
        extra_args=extra,
        mfa_prompter=prompter,
        cache=chain.cache.for_botocore(),
    )
    fetched = fetcher.fetch_credentials()
    credentials = Credentials(
        access_key_id=fetched["access_key"],
        secret_access_key=fetched["secret_key"],
        session_token=fetched["token"],
        expiration=as_expiration(fetched.get("expiry_time")),
        region=context.region,
    )
    method = getattr(base, "method", None)
    return Issued(credentials, role_arn, "role", context.session.profile, method)
