"""Assumed-role credentials answered from the AWS CLI's cache, without importing botocore.

`envgen assume PROFILE` often runs from shell start-up files and prompt hooks,
where the credentials are usually still cached. botocore's assume-role provider
keeps them in `~/.aws/cli/cache` (shared with the AWS CLI) under a key it
derives from the AssumeRole arguments; reading that file takes milliseconds,
importing botocore to do the same takes a fifth of a second.

The fast path answers only when it is certain to give what botocore would give:
the profile is a plain role profile (role_arn reached through source_profile
links that end at static keys), its AssumeRole arguments are built as botocore's
AssumeRoleProvider builds them, the key is computed as botocore computes it, and
the entry is fresh by botocore's own measure. Anything else (credential_source,
web identity, SSO, credential_process, odd values, a file botocore would refuse)
returns None and the caller takes the normal botocore path. The tests compare the
keys with the files botocore itself writes for many profile shapes.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from envgen.config_files import ConfigUnreadable, Profiles, read_profiles
from envgen import regions
from envgen.credentials import Credentials

if TYPE_CHECKING:
    from envgen.sources.role_request import Issued, Place, RoleOptions

# The AWS CLI's cache for assumed-role credentials (awscli's assumerole CACHE_DIR), shared by
# botocore's path and the cached one.
CACHE_DIR = os.path.join("~", ".aws", "cli", "cache")

# botocore refreshes a cached assumed role once less than 15 minutes are left
# (CachedCredentialFetcher.DEFAULT_EXPIRY_WINDOW_SECONDS). Using the same margin
# means the fast path serves exactly the entries botocore would serve, so both
# paths print the same credentials; and exported credentials are meant to last
# a while in the shell, so a nearly spent entry is not worth handing out.
EXPIRY_MARGIN = timedelta(minutes=15)

# Keys that send botocore down another road than AssumeRole with source_profile
# credentials, or whose effect on a cache hit is not obvious: never guessed at.
_UNCLEAR_KEY_PREFIXES = ("credential_source", "credential_process", "web_identity", "sso_", "login")
_STATIC_KEYS = ("aws_access_key_id", "aws_secret_access_key")


def role_cache_key(assume_role_arguments: Mapping[str, Any]) -> str:
    """The file name (without .json) botocore gives a cached AssumeRole answer.

    botocore's BaseAssumeRoleCredentialFetcher._create_cache_key: the SHA-1 of the
    arguments as JSON with sorted keys (default separators), a policy document
    re-read so its keys sort too, then `:` and path separators replaced.
    """
    arguments = dict(assume_role_arguments)
    if "Policy" in arguments:
        arguments["Policy"] = json.loads(arguments["Policy"])
    text = json.dumps(arguments, sort_keys=True)
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()
    return digest.replace(":", "_").replace(os.sep, "_").replace("/", "_")


def _is_unclear(profile: Mapping[str, str]) -> bool:
    return any(key.startswith(_UNCLEAR_KEY_PREFIXES) for key in profile)


def _plain(value: Any) -> bool:
    # botocore turns a value that starts with a newline into a nested mapping.
    return isinstance(value, str) and not value.startswith("\n")


def _has_static_keys(profile: Mapping[str, str]) -> bool:
    return any(key in profile for key in _STATIC_KEYS)


def _chain_is_plain(profiles: Profiles, name: str) -> bool:
    """True when botocore would reach static keys through source_profile links without error.

    Follows AssumeRoleProvider: a profile with static keys ends the chain; a
    profile may name itself as source only when it holds static keys; any other
    revisit is a loop botocore refuses.
    """
    visited = [name]
    current = name
    while True:
        profile = profiles[current]
        if _is_unclear(profile) or not _plain(profile.get("role_arn")):
            return False
        source = profile.get("source_profile")
        if not _plain(source) or source not in profiles:
            return False
        source_profile = profiles[source]
        if source in visited and not (source == current and _has_static_keys(source_profile)):
            return False
        visited.append(source)
        if _has_static_keys(source_profile):
            return not _is_unclear(source_profile) and all(
                _plain(source_profile.get(key)) for key in _STATIC_KEYS
            )
        current = source


def assume_role_arguments(profiles: Profiles, name: str) -> dict[str, Any] | None:
    """The AssumeRole arguments botocore's provider would send for profile `name`, or None if unsure."""
    profile = profiles.get(name)
    if profile is None or "role_arn" not in profile or not _chain_is_plain(profiles, name):
        return None
    # The order and the conditions follow AssumeRoleProvider._load_creds_via_assume_role
    # and BaseAssumeRoleCredentialFetcher: an empty session name counts as none
    # (botocore generates one and leaves it out of the key), an empty external id
    # or serial number is still sent, and a duration that int() refuses is dropped.
    arguments: dict[str, Any] = {"RoleArn": profile["role_arn"]}
    optional = {
        "role_session_name": "RoleSessionName",
        "external_id": "ExternalId",
        "mfa_serial": "SerialNumber",
    }
    for config_key, argument in optional.items():
        if config_key in profile:
            value = profile[config_key]
            if not _plain(value):
                return None
            arguments[argument] = value
    if not arguments.get("RoleSessionName"):
        arguments.pop("RoleSessionName", None)
    if "duration_seconds" in profile:
        duration: Any = profile["duration_seconds"]
        if not (_plain(duration) or type(duration) is int):
            return None
        try:
            arguments["DurationSeconds"] = int(duration)
        except ValueError:
            pass
    return arguments


def parse_cached_expiration(text: str) -> datetime | None:
    """The expiry as botocore's JSONFileCache writes it (`...T10:00:00UTC`) or as ISO 8601 with a zone."""
    cleaned = text.strip()
    for suffix in ("UTC", "Z", "z"):
        if cleaned.endswith(suffix):
            cleaned = cleaned[: -len(suffix)] + "+00:00"
            break
    try:
        moment = datetime.fromisoformat(cleaned)
    except ValueError:
        return None
    # Without a zone, botocore would read local time where envgen reads UTC:
    # leave such an entry to botocore rather than pick one.
    return moment if moment.tzinfo is not None else None


def read_cache_entry(key: str, cache_dir: str = CACHE_DIR) -> Any:
    path = os.path.join(os.path.expanduser(cache_dir), key + ".json")
    try:
        with open(path, encoding="utf-8") as entry:
            return json.load(entry)
    except (OSError, ValueError):
        return None


def fresh_credentials(
    entry: Any, region: str | None = None, now: datetime | None = None
) -> Credentials | None:
    """The credentials of a cache entry with more than EXPIRY_MARGIN left, else None."""
    if not isinstance(entry, dict) or not isinstance(entry.get("Credentials"), dict):
        return None
    fields = entry["Credentials"]
    values = [fields.get(name) for name in ("AccessKeyId", "SecretAccessKey", "SessionToken")]
    expiration_text = fields.get("Expiration")
    if not all(isinstance(value, str) and value for value in values):
        return None
    if not isinstance(expiration_text, str):
        return None
    expiration = parse_cached_expiration(expiration_text)
    if expiration is None:
        return None
    now = now or datetime.now(timezone.utc)
    if expiration - now < EXPIRY_MARGIN:
        return None
    access_key_id, secret_access_key, session_token = values
    return Credentials(
        access_key_id=access_key_id,
        secret_access_key=secret_access_key,
        session_token=session_token,
        expiration=expiration.astimezone(timezone.utc),
        region=region,
    )


def cached_assumption(
    place: Place,
    options: RoleOptions,
    environ: Mapping[str, str] = os.environ,
    cache_dir: str = CACHE_DIR,
) -> Issued | None:
    """What `envgen assume PROFILE` would answer from the cache, or None to go through botocore.

    Mirrors envgen.sources.sts.assume for a profile's role: the profile named on
    the command line or in AWS_PROFILE (so keys in the environment play no part),
    the command line's settings laid over the profile's, and the same region and
    description of whose credentials these are.
    """
    if options.role_arn is not None:
        return None
    name = place.profile or environ.get("AWS_PROFILE")
    if not name:
        return None
    try:
        profiles = read_profiles(environ)
    except ConfigUnreadable:
        return None
    profile = profiles.get(name)
    if profile is None or "web_identity_token_file" in profile or not _plain(
        profile.get("role_arn")
    ):
        return None
    overrides = options.profile_overrides()
    arguments = assume_role_arguments({**profiles, name: {**profile, **overrides}}, name)
    if arguments is None:
        return None
    # Checked before the entry is read, so a bad region fails alike with a cache hit or miss.
    region = regions.in_effect(place.region, name, profile, environ)
    credentials = fresh_credentials(read_cache_entry(role_cache_key(arguments), cache_dir), region)
    if credentials is None:
        return None
    from envgen.sources.role_request import Issued

    return Issued(credentials, f"{profile['role_arn']} (profile {name})")
