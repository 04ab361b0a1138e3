"""Role credentials from IAM Identity Center for `envgen assume SSO_PROFILE` and `envgen exec`:
GetRoleCredentials with the profile's sso_account_id and sso_role_name and the token
`envgen sso login` (or the AWS CLI's `aws sso login`) cached.

The answer is cached where the AWS CLI caches it (`~/.aws/cli/cache`, under the key botocore's
SSO credential fetcher computes, in its shape), and a fresh entry is served without loading
botocore, as a role profile's is.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from datetime import datetime, timezone

from envgen import regions
from envgen.config_files import ConfigUnreadable, Profiles, read_profiles
from envgen.credentials import Credentials
from envgen.errors import EnvgenError, UsageError
from envgen.messages import detail
from envgen.sources.aws_cli_cache import (
    CACHE_DIR,
    fresh_credentials,
    load_json_entry,
    named_profile,
    read_cache_entry,
)
from envgen.sources.request import Issued, Place, RoleOptions
from envgen.sources.sso_tokens import (
    LOGIN_HINT,
    SsoSession,
    is_sso_profile,
    load_token,
    session_of_profile,
)

# typing.TYPE_CHECKING without loading typing: see envgen.values.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# botocore's SSO credential fetcher writes the expiry so.
EXPIRATION_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def role_cache_key(account_id: str, role_name: str, session: SsoSession) -> str:
    """botocore's SSOCredentialFetcher._create_cache_key: the SHA-1 of compact, sorted JSON."""
    arguments = {"roleName": role_name, "accountId": account_id}
    if session.name:
        arguments["sessionName"] = session.name
    else:
        arguments["startUrl"] = session.start_url
    text = json.dumps(arguments, sort_keys=True, separators=(",", ":"))
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def sso_profile(
    place: Place, environ: Mapping[str, str] = os.environ
) -> tuple[str, Profiles] | None:
    """The profile named on the command line or in AWS_PROFILE when it is an SSO profile, with
    every profile; None for any other (botocore's path then decides)."""
    found = named_profile(place, environ)
    if found is None or not is_sso_profile(found[1][found[0]]):
        return None
    return found


def _refuse_sts_options(name: str, place: Place, options: RoleOptions) -> None:
    given = [
        option
        for option, value in (
            ("--role-session-name", options.session_name),
            ("--duration-seconds", options.duration_seconds),
            ("--external-id", options.external_id),
            ("--serial-number", options.serial_number),
            ("--token-code", options.token_code),
            ("--endpoint-url", place.endpoint_url),
        )
        if value is not None
    ]
    if given:
        raise UsageError(
            f"{', '.join(given)}: profile {name!r} gets its credentials from IAM Identity "
            "Center, which takes no STS options (its endpoint comes from AWS_ENDPOINT_URL_SSO); "
            "drop them"
        )


def _role_of(name: str, profile: Mapping[str, str]) -> tuple[str, str]:
    missing = [key for key in ("sso_account_id", "sso_role_name") if not profile.get(key)]
    if missing:
        raise UsageError(
            f"profile {name!r} lacks {' and '.join(missing)}; add it to the config file"
        )
    return profile["sso_account_id"], profile["sso_role_name"]


def issue(
    place: Place, options: RoleOptions, environ: Mapping[str, str] = os.environ
) -> Issued | None:
    """Credentials for an SSO profile, from the cache or from IAM Identity Center; None when
    the profile in effect is not one (or --role-arn asks STS for a role on top of it)."""
    found = sso_profile(place, environ)
    if found is None or options.role_arn is not None:
        return None
    name, profiles = found
    profile = profiles[name]
    _refuse_sts_options(name, place, options)
    session = session_of_profile(name, profiles, environ)
    account_id, role_name = _role_of(name, profile)
    region = regions.in_effect(place.region, name, profile, environ)
    whose = f"role {role_name} in account {account_id} (profile {name}, IAM Identity Center)"
    key = role_cache_key(account_id, role_name, session)
    cached = fresh_credentials(read_cache_entry(key), region)
    if cached is not None:
        detail(f"cache hit: {key}.json in {CACHE_DIR}; no IAM Identity Center call")
        return Issued(cached, whose, "sso", name)
    detail(f"cache miss: no fresh entry {key}.json in {CACHE_DIR}")
    credentials = _get_role_credentials(name, session, account_id, role_name, region)
    _cache(key, credentials, account_id)
    return Issued(credentials, whose, "sso", name)


def _login_needed(name: str, session: SsoSession, why: str) -> EnvgenError:
    return EnvgenError(f"{why} for profile {name!r} ({session.described}); {LOGIN_HINT} {name}")


def _usable_token(name: str, session: SsoSession) -> str:
    token = load_token(session)
    if token is None:
        raise _login_needed(name, session, "no IAM Identity Center sign-in")
    if token.needs_renewal() and token.refreshable():
        from envgen.sources import sso_login

        token = sso_login.refresh(session, token, name) or token
    if not token.is_fresh():
        raise _login_needed(
            name,
            session,
            f"the IAM Identity Center sign-in expired at {token.expires_at:%Y-%m-%d %H:%M:%S} UTC",
        )
    return token.access_token


def _get_role_credentials(
    name: str, session: SsoSession, account_id: str, role_name: str, region: str | None
) -> Credentials:
    from botocore.exceptions import ClientError

    from envgen.sources import sso_login

    access_token = _usable_token(name, session)
    with sso_login.identity_center_errors():
        portal = sso_login.client("sso", session.region, name)
        try:
            answer = portal.get_role_credentials(
                roleName=role_name, accountId=account_id, accessToken=access_token
            )
        except ClientError as error:
            if sso_login.error_code(error) == "UnauthorizedException":
                raise _login_needed(
                    name, session, "IAM Identity Center no longer accepts the sign-in"
                ) from None
            raise
        fields = answer.get("roleCredentials") if isinstance(answer, dict) else None
        sso_login.answer_fields(
            fields, ("accessKeyId", "secretAccessKey", "sessionToken"), ("expiration",)
        )
        assert isinstance(fields, dict)
        try:
            expiration = datetime.fromtimestamp(fields["expiration"] / 1000, timezone.utc)
        except (OverflowError, OSError, ValueError):
            raise sso_login.NotIdentityCenter from None
    return Credentials(
        access_key_id=fields["accessKeyId"],
        secret_access_key=fields["secretAccessKey"],
        session_token=fields["sessionToken"],
        expiration=expiration,
        region=region,
    )


def _cache(key: str, credentials: Credentials, account_id: str) -> None:
    from envgen.sources.aws_cli_cache import CredentialCache

    assert credentials.expiration is not None
    from pathlib import Path

    CredentialCache(Path(os.path.expanduser(CACHE_DIR)))[key] = {
        "ProviderType": "sso",
        "Credentials": {
            "AccessKeyId": credentials.access_key_id,
            "SecretAccessKey": credentials.secret_access_key,
            "SessionToken": credentials.session_token,
            "Expiration": credentials.expiration.strftime(EXPIRATION_FORMAT),
            "AccountId": account_id,
        },
    }


def forget_role_credentials(
    session: SsoSession | None, environ: Mapping[str, str] = os.environ
) -> int:
    """Remove cached role credentials that came from IAM Identity Center: those of the
    profiles signing in through SESSION, or with None every one (as `aws sso logout` does).
    Returns how many went."""
    from pathlib import Path

    directory = Path(os.path.expanduser(CACHE_DIR))
    if session is None:
        try:
            names = sorted(os.listdir(directory))
        except OSError:
            return 0
        paths = [directory / name for name in names if name.endswith(".json")]
    else:
        try:
            profiles = read_profiles(environ)
        except ConfigUnreadable:
            profiles = {}
        keys = set()
        for name, profile in profiles.items():
            if not is_sso_profile(profile):
                continue
            try:
                if session_of_profile(name, profiles, environ) != session:
                    continue
                keys.add(role_cache_key(*_role_of(name, profile), session))
            except EnvgenError:
                continue
        paths = [directory / (key + ".json") for key in sorted(keys)]
    removed = 0
    for path in paths:
        entry: Any = load_json_entry(path)
        if not isinstance(entry, dict) or entry.get("ProviderType") != "sso":
            continue
        try:
            path.unlink()
            removed += 1
        except OSError:
            continue
    return removed
