"""botocore's default credential chain as envgen runs it: the base credentials an STS call is
signed with, and the assume-role provider that answers a role profile.

Assumed-role credentials go to the AWS CLI's cache directory (through aws_cli_cache's
CredentialCache, which reads and writes it as botocore's JSONFileCache does, but warily)
under botocore's own cache keys, so envgen and the AWS CLI serve each other's entries.
"""

from __future__ import annotations

import copy
import dataclasses
import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from envgen.errors import EnvgenError, UsageError
from envgen.messages import detail
from envgen.sources import validation
from envgen.sources.aws_cli_cache import CACHE_DIR, CredentialCache
from envgen.sources.sts_session import (
    FALLBACK_REGION,
    HOW_TO_PROVIDE_CREDENTIALS,
    StsContext,
    as_expiration,
)


def cache_directory() -> Path:
    """The AWS CLI's cache for assumed-role credentials, the one the cached path reads."""
    return Path(os.path.expanduser(CACHE_DIR))


class RememberingCache:
    """The shared cache, remembering the last entry it served or stored.

    botocore's provider hides the expiry of the credentials it returns; the cache entry it
    just read or wrote holds it, under the same key the AWS CLI uses.
    """

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.last: dict[str, Any] | None = None

    def __contains__(self, key: str) -> bool:
        found = key in self._inner
        if not found:
            detail(f"cache miss: no entry {key}.json in {cache_directory()}")
        return found

    def __getitem__(self, key: str) -> Any:
        value = self._inner[key]
        detail(f"cache entry {key}.json found (botocore uses it while it stays fresh)")
        self.last = value
        return value

    def __setitem__(self, key: str, value: Any) -> None:
        self._inner[key] = value
        detail(f"STS answered; stored as cache entry {key}.json")
        self.last = value

    def for_botocore(self) -> dict[str, Any]:
        """This cache, where botocore's annotations ask for a dict: its providers and fetchers
        only test, read and store keys, which is all a cache has to offer."""
        return cast("dict[str, Any]", self)

    def expiry_for(self, access_key_id: str) -> datetime | None:
        fields = (self.last or {}).get("Credentials") or {}
        if fields.get("AccessKeyId") != access_key_id:
            return None
        return as_expiration(fields.get("Expiration"))


def _checked_environment_provider() -> Any:
    """botocore's provider of keys in the environment, refusing keys that say they have expired
    with a way out, where botocore would raise a bare RuntimeError."""
    from botocore.credentials import EnvProvider

    from envgen.sources import identity

    class CheckedEnvProvider(EnvProvider):
        def load(self) -> Any:
            identity.refuse_expired_environment()
            return super().load()

    return CheckedEnvProvider()


def _check_token_files(session: Any) -> None:
    """botocore reads a web identity token file whole and blocks on a FIFO: the files it may
    read for this command (AWS_WEB_IDENTITY_TOKEN_FILE, web_identity_token_file along the
    profile's source_profile chain) must be regular files of a token's size first."""
    from envgen.regular_files import NotARegularFile, check_regular_file, describe_size

    found = []
    if os.environ.get("AWS_WEB_IDENTITY_TOKEN_FILE"):
        found.append(("AWS_WEB_IDENTITY_TOKEN_FILE", os.environ["AWS_WEB_IDENTITY_TOKEN_FILE"]))
    profiles = session.full_config.get("profiles", {})
    name, seen = session.profile or "default", set()
    while isinstance(name, str) and name not in seen:
        seen.add(name)
        settings = profiles.get(name, {})
        if isinstance(settings.get("web_identity_token_file"), str):
            found.append(
                (f"profile {name}: web_identity_token_file", settings["web_identity_token_file"])
            )
        name = settings.get("source_profile")
    limit = validation.READ_LIMITS["--web-identity-token"]
    for label, path in found:
        where = Path(os.path.expanduser(path))
        try:
            check_regular_file(where, limit)
        except FileNotFoundError:
            raise UsageError(f"{label}: {where}: no such file") from None
        except NotARegularFile as refused:
            if refused.limit is not None:
                raise UsageError(
                    f"{label}: {where} is more than {describe_size(limit)}, larger than any "
                    "valid input"
                ) from None
            raise UsageError(f"{label}: {where} {refused}; point it at a file") from None
        except OSError as error:
            raise UsageError(f"{label}: {where}: cannot read it ({error.strerror})") from None


@dataclasses.dataclass(frozen=True)
class Chain:
    """The credential chain installed in a session: its assume-role provider (which answers the
    profile's role) and the cache both share."""

    assume_role: Any
    cache: RememberingCache


def install(
    context: StsContext,
    prompter: Callable[[str], str],
    profile_overrides: dict[str, Any] | None = None,
) -> Chain:
    """The session's own credential chain, set up as the AWS CLI sets it up, through botocore's
    public interfaces only: its providers share the AWS CLI's cache, the clients botocore makes
    for them are bounded and sign for the region in effect, and the assume-role provider asks
    for an MFA code at the terminal (or takes --token-code) and sees the command line's
    settings laid over the profile's."""
    from botocore.credentials import (
        AssumeRoleProvider,
        CanonicalNameCredentialSourcer,
        ProfileProviderBuilder,
    )

    session, region = context.session, context.region
    _check_token_files(session)
    session.set_config_variable("region", region or FALLBACK_REGION)
    session.sts_endpoint_url = context.place.endpoint_url
    cache = RememberingCache(CredentialCache(cache_directory()))
    chain = session.get_component("credential_provider")
    # The AWS CLI's way (awscli.customizations.assumerole): the providers that cache keep their
    # answers in ~/.aws/cli/cache.
    for name in ("assume-role-with-web-identity", "sso"):
        chain.get_provider(name).cache = cache.for_botocore()
    environment = _checked_environment_provider()
    # Absent when a profile is named: botocore then ignores keys in the environment.
    _replace(chain, environment)
    profile_name = context.profile_name

    def load_config() -> dict[str, Any]:
        config: dict[str, Any] = session.full_config
        if not profile_overrides:
            return config
        config = copy.deepcopy(config)
        config.setdefault("profiles", {}).setdefault(profile_name, {}).update(profile_overrides)
        return config

    def client_creator(service_name: str, **kwargs: Any) -> Any:
        kwargs.pop("region_name", None)
        return context.client(**kwargs)

    assume_role = AssumeRoleProvider(
        load_config=load_config,
        client_creator=client_creator,
        cache=cache.for_botocore(),
        profile_name=profile_name,
        prompter=prompter,
        credential_sourcer=CanonicalNameCredentialSourcer(
            [environment, chain.get_provider("container-role"), chain.get_provider("iam-role")]
        ),
        profile_provider_builder=ProfileProviderBuilder(
            session, cache=cache.for_botocore(), region_name=region
        ),
    )
    _replace(chain, assume_role)
    return Chain(assume_role, cache)


def _replace(chain: Any, provider: Any) -> None:
    """Put PROVIDER in the place of the chain's provider of the same METHOD, if it has one."""
    from botocore.exceptions import UnknownCredentialError

    try:
        chain.get_provider(provider.METHOD)
    except UnknownCredentialError:
        return
    chain.insert_after(provider.METHOD, provider)
    chain.remove(provider.METHOD)  # the first of the two: the chain's own


def base_credentials(context: StsContext) -> Any:
    """The credentials the chain finds for the session (botocore's RefreshableCredentials or
    Credentials), which sign the STS call."""
    found = context.session.get_credentials()
    if found is None:
        raise EnvgenError(f"no AWS credentials found; {HOW_TO_PROVIDE_CREDENTIALS}")
    # botocore's name for the provider that answered: env, shared-credentials-file, ...
    detail(f"base credentials from botocore's {getattr(found, 'method', 'unknown')!r} provider")
    return found
