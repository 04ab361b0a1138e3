"""Assumed-role credentials answered from the AWS CLI's cache, without importing botocore.

`envgen assume PROFILE` often runs from shell start-up files and prompt hooks,
where the credentials are usually still cached. botocore's assume-role provider
keeps them in `~/.aws/cli/cache` (shared with the AWS CLI) under a key it
derives from the AssumeRole arguments; reading that file takes milliseconds,
importing botocore to do the same takes a fifth of a second.

Both paths read an entry only when it is one envgen may trust (see `load_entry`), and
botocore's path writes through `CredentialCache`, which keeps the files private and never
lets a cache that cannot be written stand between the user and fresh credentials.

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

import contextlib
import hashlib
import json
import os
import stat
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timedelta, timezone

from envgen import regions
from envgen.config_files import ConfigUnreadable, Profiles, read_profiles
from envgen.credentials import Credentials, parse_expiration, read_stored_expiration
from envgen.regular_files import NotARegularFile, read_regular_file

# typing.TYPE_CHECKING without loading typing: see envgen.values.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

    from envgen.sources.request import Issued, Place, RoleOptions

# The AWS CLI's cache for assumed-role credentials (awscli's assumerole CACHE_DIR), shared by
# botocore's path and the cached one.
CACHE_DIR = os.path.join("~", ".aws", "cli", "cache")

# botocore refreshes a cached assumed role once less than 15 minutes are left
# (CachedCredentialFetcher.DEFAULT_EXPIRY_WINDOW_SECONDS). Using the same margin
# means the fast path serves exactly the entries botocore would serve, so both
# paths print the same credentials; and exported credentials are meant to last
# a while in the shell, so a nearly spent entry is not worth handing out.
EXPIRY_MARGIN = timedelta(minutes=15)

# While a renewal runs (`requiring_life`): an entry with less life left than this is a miss,
# for botocore's path too, so what was about to expire is not handed out again as renewed.
_required_life: timedelta | None = None


@contextlib.contextmanager
def requiring_life(seconds: int) -> Iterator[None]:
    """Serve no entry with `seconds` or less left, on every path, while this lasts."""
    global _required_life
    previous, _required_life = _required_life, timedelta(seconds=seconds)
    try:
        yield
    finally:
        _required_life = previous


def _too_short(expiration: datetime, now: datetime) -> bool:
    return _required_life is not None and expiration - now <= _required_life


# STS issues role credentials for 12 hours at most (DurationSeconds 43200, also the longest
# IAM Identity Center session): an entry that claims more was not written by an honest
# client, and would be served for as long as it claims. A few minutes more allow for a
# local clock running behind STS's.
LONGEST_LIFETIME = timedelta(hours=12, minutes=5)

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


def _is_unclear(profile: Mapping[str, Any]) -> bool:
    return any(key.startswith(_UNCLEAR_KEY_PREFIXES) for key in profile)


def _plain(value: Any) -> bool:
    # botocore turns a value that starts with a newline into a nested mapping.
    return isinstance(value, str) and not value.startswith("\n")


def has_static_keys(profile: Mapping[str, Any]) -> bool:
    """Whether botocore's AssumeRoleProvider takes PROFILE's own keys (either of the pair)."""
    return any(key in profile for key in _STATIC_KEYS)


_has_static_keys = has_static_keys


def _chain_is_plain(profiles: Mapping[str, Mapping[str, Any]], name: str) -> bool:
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
        if not isinstance(source, str) or not _plain(source) or source not in profiles:
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


def assume_role_arguments(
    profiles: Mapping[str, Mapping[str, Any]], name: str
) -> dict[str, Any] | None:
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


_CREDENTIAL_FIELDS = ("AccessKeyId", "SecretAccessKey", "SessionToken")


def entry_expiration(entry: Any, now: datetime | None = None) -> datetime | None:
    """The expiry of an entry shaped as botocore writes and reads it; None for anything else.

    Anything else is a miss, never an error: botocore itself would fail on a
    missing field or an unreadable expiry. An expiry further ahead than STS
    grants is refused too.
    """
    if not isinstance(entry, dict) or not isinstance(entry.get("Credentials"), dict):
        return None
    fields = entry["Credentials"]
    if not all(isinstance(fields.get(name), str) and fields[name] for name in _CREDENTIAL_FIELDS):
        return None
    expiration_text = fields.get("Expiration")
    if not isinstance(expiration_text, str):
        return None
    expiration = read_stored_expiration(expiration_text)
    if expiration is None:
        return None
    try:
        if expiration - (now or datetime.now(timezone.utc)) > LONGEST_LIFETIME:
            return None
    except OverflowError:
        return None
    return expiration


def _private_to_user(status: os.stat_result) -> None:
    # Another user (or anyone, through a group- or world-writable file) could have written
    # the entry: its keys would then make this user act as someone else's role.
    user = getattr(os, "geteuid", None)
    if user is not None and status.st_uid != user():
        raise NotARegularFile("owned by another user")
    if status.st_mode & 0o022:
        raise NotARegularFile("writable by others")


def load_json_entry(path: str | os.PathLike[str]) -> Any:
    """The JSON document in the cache file at `path` if envgen may trust it, else None.

    Read only from a regular file, not a symlink, owned by this user and writable
    by no one else, of at most MAX_FILE_BYTES, opened without blocking on a FIFO.
    """
    try:
        data = read_regular_file(path, follow_symlinks=False, check=_private_to_user)
    except OSError:
        return None
    if not data:
        return None
    try:
        return json.loads(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None


def load_entry(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The cache entry at `path` if it may be served, else None (a miss, replaced in turn):
    a trusted file (`load_json_entry`) holding botocore's shape with an expiry STS could
    have granted."""
    entry = load_json_entry(path)
    expiration = entry_expiration(entry)
    if expiration is None or _too_short(expiration, datetime.now(timezone.utc)):
        return None
    return dict(entry)


def read_cache_entry(key: str, cache_dir: str = CACHE_DIR) -> Any:
    return load_entry(os.path.join(os.path.expanduser(cache_dir), key + ".json"))


def _cache_json(value: Any) -> str:
    # botocore's JSONFileCache serialisation: the AWS CLI reads what envgen writes.
    def serialise(item: Any) -> Any:
        if isinstance(item, datetime):
            return item.strftime("%Y-%m-%dT%H:%M:%S%Z")
        return item

    return json.dumps(value, default=serialise)


class CredentialCache:
    """The AWS CLI's cache as botocore's credential fetchers use it (a mapping of keys to
    entries), in place of botocore's JSONFileCache.

    Reads go through `load_entry`, so a damaged or planted entry is a miss that the
    fresh answer replaces. Writes make missing directories 0700 and files 0600 whatever
    the umask, replace a symlink or an empty directory in the entry's place rather than
    write through it, and when the cache cannot be written (read-only, full, another
    user's) the fresh credentials are still delivered, with one warning.
    """

    def __init__(self, directory: Path, warn: Callable[[str], None] | None = None) -> None:
        self.directory = directory
        self._warn = warn or _warn_on_stderr
        self._warned = False

    def _path(self, key: str) -> Path:
        return self.directory / (key + ".json")

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and load_entry(self._path(key)) is not None

    def __getitem__(self, key: str) -> dict[str, Any]:
        entry = load_entry(self._path(key))
        if entry is None:
            raise KeyError(key)
        return entry

    def __delitem__(self, key: str) -> None:
        try:
            self._path(key).unlink()
        except FileNotFoundError:
            raise KeyError(key) from None
        except OSError:
            pass

    def __setitem__(self, key: str, value: Any) -> None:
        from envgen.errors import EnvgenError
        from envgen.persist import atomic

        data = _cache_json(value).encode("utf-8")
        path = self._path(key)
        try:
            atomic.make_directory(self.directory)
            clear_the_place(path)
            # Not waited onto the disk: an entry a power cut takes away is a miss and comes
            # again from STS, and a renewal at the prompt must not wait on the disk.
            atomic.replace_file(path, data, atomic.PRIVATE_MODE, durable=False)
        except EnvgenError as error:
            self._warning(error.message)
        except OSError as error:
            self._warning(f"cannot replace {path} ({atomic.describe_os_error(error)})")

    def _warning(self, problem: str) -> None:
        if not self._warned:
            self._warned = True
            self._warn(f"warning: the credentials were not cached: {problem}")


def clear_the_place(path: Path) -> None:
    """Take away a symlink or an empty directory where the entry goes: replaced, not followed."""
    try:
        found = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISLNK(found.st_mode):
        os.unlink(path)
    elif stat.S_ISDIR(found.st_mode):
        os.rmdir(path)


def _warn_on_stderr(message: str) -> None:
    from envgen.messages import say

    say(message)


def fresh_credentials(
    entry: Any, region: str | None = None, now: datetime | None = None
) -> Credentials | None:
    """The credentials of a cache entry with more than EXPIRY_MARGIN left, else None."""
    now = now or datetime.now(timezone.utc)
    expiration = entry_expiration(entry, now)
    if expiration is None or expiration - now < EXPIRY_MARGIN or _too_short(expiration, now):
        return None
    access_key_id, secret_access_key, session_token = (
        entry["Credentials"][name] for name in _CREDENTIAL_FIELDS
    )
    return Credentials(
        access_key_id=access_key_id,
        secret_access_key=secret_access_key,
        session_token=session_token,
        expiration=expiration.astimezone(timezone.utc),
        region=region,
    )


def named_profile(
    place: Place, environ: Mapping[str, str] = os.environ
) -> tuple[str, Profiles] | None:
    """The profile named on the command line or in AWS_PROFILE, with every profile, when the
    files define it and envgen can read them; None leaves the answer to botocore."""
    name = place.profile or environ.get("AWS_PROFILE")
    if not name:
        return None
    try:
        profiles = read_profiles(environ)
    except ConfigUnreadable:
        return None
    return (name, profiles) if name in profiles else None


class _LaidOver(Mapping[str, Mapping[str, object]]):
    """PROFILES with the settings of one profile replaced, copying none of the others (only
    the profiles of its chain are ever read)."""

    def __init__(self, profiles: Profiles, name: str, settings: Mapping[str, Any]) -> None:
        self._profiles, self._name, self._settings = profiles, name, settings

    def __getitem__(self, key: str) -> Mapping[str, object]:
        return self._settings if key == self._name else self._profiles[key]

    def __contains__(self, key: object) -> bool:
        return key == self._name or key in self._profiles

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys([*self._profiles, self._name]))

    def __len__(self) -> int:
        return len(dict.fromkeys([*self._profiles, self._name]))


def laid_over(
    profiles: Profiles, name: str, overrides: Mapping[str, Any]
) -> Mapping[str, Mapping[str, Any]]:
    """PROFILES with the command line's OVERRIDES laid over profile NAME's settings, as
    envgen's botocore path lays them over the profile it assumes."""
    return _LaidOver(profiles, name, {**profiles[name], **overrides})


def describe_profile_chain(
    profiles: Mapping[str, Mapping[str, Any]],
    name: str,
    place: Place,
    environ: Mapping[str, str] = os.environ,
) -> str:
    """`profile prod (named on the command line): role ... <- hop: role ... <- default: keys`,
    from names and ARNs alone; the keys themselves are never read here."""
    if place.profile:
        origin = "named on the command line"
    elif environ.get("AWS_PROFILE"):
        origin = "from AWS_PROFILE"
    else:
        origin = "the default"
    links: list[str] = []
    seen: set[str] = set()
    while name not in seen:
        seen.add(name)
        settings = profiles[name] if name in profiles else {}
        if "role_arn" in settings:
            what = f"role {settings['role_arn']}"
        elif "aws_access_key_id" in settings:
            what = "keys in the credentials file"
        else:
            what = "no keys of its own (the environment or other providers)"
        links.append(f"{name}: {what}")
        if "credential_source" in settings:
            links.append(f"credential_source {settings['credential_source']}")
        following = settings.get("source_profile")
        if not following or following == name:
            break
        name = following
    return f"profile {links[0]} ({origin})" + "".join(f" <- {link}" for link in links[1:])


def as_expiration(value: Any) -> datetime | None:
    """The expiry botocore hands back: a datetime from an STS answer, the text of a cache entry."""
    if isinstance(value, datetime):
        return value if value.tzinfo else None
    if isinstance(value, str) and value:
        return parse_expiration(value)
    return None


def cached_assumption(
    place: Place,
    options: RoleOptions,
    environ: Mapping[str, str] = os.environ,
    cache_dir: str = CACHE_DIR,
) -> Issued | None:
    """What `envgen assume PROFILE` would answer from the cache, or None to go through botocore.

    Mirrors envgen.sources.role.assume_profile_role: the profile named on
    the command line or in AWS_PROFILE (so keys in the environment play no part),
    the command line's settings laid over the profile's, and the same region and
    description of whose credentials these are.
    """
    if options.role_arn is not None:
        return None
    found = named_profile(place, environ)
    if found is None:
        return None
    name, profiles = found
    profile = profiles[name]
    if "web_identity_token_file" in profile or not _plain(profile.get("role_arn")):
        return None
    laid_over: dict[str, Any] = {**profile, **options.profile_overrides()}
    # Laid over without copying every profile: only the chain's are ever read.
    arguments = assume_role_arguments(_LaidOver(profiles, name, laid_over), name)
    if arguments is None:
        return None
    # Checked before the entry is read, so a bad region fails alike with a cache hit or miss.
    region = regions.in_effect(place.region, name, profile, environ)
    credentials = fresh_credentials(read_cache_entry(role_cache_key(arguments), cache_dir), region)
    if credentials is None:
        return None
    from envgen.sources.request import Issued

    return Issued(credentials, f"{profile['role_arn']} (profile {name})", "aws-cli-cache", name)
