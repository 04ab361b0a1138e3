"""--save-profile NAME --auto-refresh: `[profile NAME]` in the AWS config file with a
credential_process that runs this envgen for the same source, so the AWS CLI and SDKs renew
the credentials by themselves (from the AWS CLI's cache while it is fresh); `clear --profile`
takes it out again.

The config file is edited with the care of the credentials file (envgen.persist.
shared_credentials): every other byte as it was, replaced in one rename under the lock, a
symlink kept, a FIFO or device refused, and here also a file another user owns refused.
Keys in the credentials file's `[NAME]` would win over credential_process: temporary ones are
stale and go, long-term ones go only with --force.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from envgen.config_files import ConfigUnreadable, Profiles, read_profiles
from envgen.credentials import Changes, lone_surrogate_in
from envgen.errors import EnvgenError, UsageError, printable
from envgen.persist import atomic
from envgen.persist.shared_credentials import (
    REGION_MARK,
    SAVED_KEYS,
    _both_locked,
    _check_value,
    _config_section,
    _holds_long_term_keys,
    _parse,
    _read_text,
    _serialised,
    _set_option,
    _verify,
    _with_section_appended,
    _write_text,
    check_save_target,
    config_file,
    config_section_header,
    credentials_file,
    without_profile_keys,
)
from envgen.places import UserPlaces
from envgen.self_command import command_line, running_envgen

if TYPE_CHECKING:
    from configupdater.block import Comment
    from configupdater.section import Section

    from envgen.sources.request import Issued, Place, RoleOptions

PROCESS_KEY = "credential_process"
# The comment set above the credential_process line envgen wrote: what a later save may
# replace and `clear --profile` may take away. botocore reads no comment.
PROCESS_MARK = "# credential_process saved by envgen --save-profile --auto-refresh"

# The sources whose credentials an SDK can have renewed without a person choosing anything:
# a profile's role (also answered from the cache) or an IAM Identity Center profile. An MFA
# code may still be asked for, on the terminal.
RENEWABLE_SOURCES = frozenset({"role", "aws-cli-cache", "sso"})


def not_renewable(what: str, instead: str) -> UsageError:
    return UsageError(
        f"--auto-refresh: {what} cannot be renewed without you; {instead}, or drop "
        "--auto-refresh to save these credentials until they expire"
    )


@dataclasses.dataclass(frozen=True)
class Renewal:
    """What the saved profile's credential_process asks envgen for: the same source."""

    profile: str
    arguments: tuple[str, ...]

    def words(self) -> list[str]:
        return [*running_envgen(), *self.arguments]

    def check_issued(self, issued: Issued) -> None:
        """The credentials did come from a source the profile can renew from."""
        if issued.source not in RENEWABLE_SOURCES:
            raise UsageError(
                f"--auto-refresh: profile {self.profile} gave credentials from "
                f"{issued.source}, which envgen cannot renew on its own; use a role or "
                "IAM Identity Center profile"
            )


def _chain(profiles: Profiles, start: str) -> list[str]:
    """START and every profile its source_profile links reach, as botocore follows them."""
    chain = [start]
    current = profiles.get(start, {})
    while True:
        source = current.get("source_profile")
        if source is None or source in chain or source not in profiles:
            return chain
        chain.append(source)
        current = profiles[source]


def _profile_kind(name: str, settings: Mapping[str, str]) -> None:
    """Refuse a profile an SDK cannot have envgen renew: only roles and IAM Identity Center."""
    from envgen.sources.sso_tokens import is_sso_profile

    if "web_identity_token_file" in settings:
        raise UsageError(
            f"--auto-refresh: profile {name} uses a web identity token file, which the AWS CLI "
            f"and SDKs renew by themselves; use it directly (AWS_PROFILE={name})"
        )
    if "role_arn" in settings or is_sso_profile(settings):
        return
    if PROCESS_KEY in settings:
        raise UsageError(
            f"--auto-refresh: profile {name} already gets its credentials through "
            f"{PROCESS_KEY}; use it directly (AWS_PROFILE={name})"
        )
    raise UsageError(
        f"--auto-refresh renews a role or IAM Identity Center profile, and profile {name} "
        "names neither (no role_arn, no sso_account_id); give a role with --role-arn, or "
        "drop --auto-refresh"
    )


def plan_renewal(
    name: str, place: Place, options: RoleOptions, environ: Mapping[str, str] = os.environ
) -> Renewal:
    """The envgen arguments that get `envgen assume`'s credentials again from the same source,
    checked before anything is asked or sent: a profile named explicitly (an SDK runs envgen
    with its own environment), never one that reaches profile NAME itself."""
    try:
        profiles = read_profiles(environ)
    except ConfigUnreadable as error:
        raise EnvgenError(f"{error}; fix the config file") from None
    named = place.profile or environ.get("AWS_PROFILE") or None
    if named is None:
        if environ.get("AWS_ACCESS_KEY_ID"):
            raise UsageError(
                "--auto-refresh: the credentials would be signed with the keys in the "
                "environment, which the programs that renew them will not have; name the "
                "profile (envgen assume PROFILE, or --profile NAME with --role-arn)"
            )
        named = "default"
    if named not in profiles:
        raise UsageError(
            f"--auto-refresh: there is no profile {named} in the AWS config files to renew "
            "from; name a profile that exists"
        )
    if options.role_arn is None:
        _profile_kind(named, profiles[named])
    if name in _chain(profiles, named):
        by_variable = place.profile is None and environ.get("AWS_PROFILE") == named
        raise UsageError(
            f"--save-profile {name}: profile {named}"
            + (" (named by AWS_PROFILE)" if by_variable else "")
            + f" gets its credentials through {name}, so it cannot also renew them; "
            + ("name the profile to start from, or " if by_variable else "")
            + "choose another name"
        )
    arguments = ["assume", f"--profile={named}"]
    for option, value in (
        ("--role-arn", options.role_arn),
        ("--role-session-name", options.session_name),
        ("--duration-seconds", options.duration_seconds),
        ("--external-id", options.external_id),
        ("--serial-number", options.serial_number),
        ("--region", place.region),
        ("--endpoint-url", place.endpoint_url),
    ):
        # Never the MFA code: it is good once, and a secret.
        if value is not None:
            arguments.append(f"{option}={value}")
    arguments.append("--format=json")
    return Renewal(named, tuple(arguments))


def _mark_above(section: Section, key: str, mark: str) -> Comment | None:
    """The comment envgen set just above `key`, when envgen wrote that option."""
    from configupdater.block import Comment

    if not section.has_option(key):
        return None
    before = section[key].previous_block
    if isinstance(before, Comment) and before.lines and before.lines[-1].strip() == mark:
        return before
    return None


def _set_marked(section: Section, key: str, value: str, mark: str) -> None:
    had_mark = _mark_above(section, key, mark) is not None
    _set_option(section, key, value)
    if not had_mark:
        section[key].add_before.comment(mark.removeprefix("# "), comment_prefix="#")


def with_process(
    text: str, name: str, line: str, region: str | None, force: bool, where: Path
) -> str:
    """The config file `text` with `[profile NAME]` renewing through `line`; every other byte
    as it was. Settings envgen did not write there are replaced only with --force."""
    updater = _parse(text, where)
    section = _config_section(updater, name)
    if section is None:
        lines = [f"[{config_section_header(name)}]", PROCESS_MARK, f"{PROCESS_KEY} = {line}"]
        if region is not None:
            lines += [REGION_MARK, f"region = {region}"]
        return _with_section_appended(text, lines)
    marks = {PROCESS_KEY: PROCESS_MARK, "region": REGION_MARK}
    foreign = [
        key
        for key in section.options()
        if key not in marks or _mark_above(section, key, marks[key]) is None
    ]
    if foreign and not force:
        raise EnvgenError(
            f"profile {name} in {where} has settings envgen did not write "
            f"({', '.join(foreign)}); not changing it without --force (or choose another "
            "profile name)"
        )
    _set_marked(section, PROCESS_KEY, line, PROCESS_MARK)
    if region is not None:
        if section.has_option("region"):
            section["region"].value = region
        else:
            _set_marked(section, "region", region, REGION_MARK)
    return _serialised(updater, text)


def may_hold_saved_process(path: Path) -> bool:
    """Whether the config file holds a credential_process envgen saved, by its mark; a file
    envgen cannot read counts as none, and the save that reads it for a region says why."""
    from envgen.regular_files import read_regular_file

    try:
        data = read_regular_file(atomic.real_target(path))
    except (OSError, EnvgenError):
        return False
    return data is not None and PROCESS_MARK.encode() in data


def without_saved_process(text: str, name: str, where: Path) -> str | None:
    """The config file without the credential_process --auto-refresh wrote for `name`; None
    if it has none. The section goes when nothing else is left in it."""
    from envgen.persist.shared_credentials import _is_empty, _without_section

    updater = _parse(text, where)
    section = _config_section(updater, name)
    mark = _mark_above(section, PROCESS_KEY, PROCESS_MARK) if section is not None else None
    if section is None or mark is None:
        return None
    mark.lines.pop()
    if not mark.lines:
        mark.detach()
    del section[PROCESS_KEY]
    if _is_empty(section):
        return _without_section(updater, section, text)
    return _serialised(updater, text)


def without_stale_keys(text: str, name: str, force: bool, where: Path) -> tuple[str | None, bool]:
    """The credentials file without the keys of `[NAME]`, which botocore reads before the
    config file's credential_process; and whether they were long-term keys."""
    updater = _parse(text, where)
    if not updater.has_section(name):
        return None, False
    long_term = _holds_long_term_keys(updater[name])
    if long_term and not force:
        raise EnvgenError(
            f"profile {name} in {where} holds long-term keys (no aws_session_token), which "
            "the AWS CLI and SDKs would use instead of the renewing profile; not removing "
            "them without --force (or choose another profile name)"
        )
    return without_profile_keys(text, name, True, where), long_term


def refuse_foreign_owner(path: Path) -> None:
    """A settings file another user owns is theirs to change: replacing it would swap it for
    a copy of this user's."""
    user = getattr(os, "geteuid", None)
    try:
        owner = os.stat(atomic.real_target(path)).st_uid
    except FileNotFoundError:
        return
    except OSError as error:
        raise EnvgenError(f"cannot read {path} ({atomic.describe_os_error(error)})") from None
    if user is not None and owner != user():
        raise EnvgenError(
            f"{path} belongs to another user; envgen does not replace it: ask its owner, or "
            "point AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE at files of your own"
        )


def check_files(name: str, force: bool, places: UserPlaces | None = None) -> None:
    """What saving `[profile NAME]` would refuse in the files as they are now, found before
    any credentials are asked for; the save itself checks again under the lock."""
    places = places or UserPlaces.current()
    config_path, credentials_path = config_file(places), credentials_file(places)
    for path in (config_path, credentials_path):
        refuse_foreign_owner(path)
    with_process(_read_text(config_path), name, "envgen", None, force, config_path)
    without_stale_keys(_read_text(credentials_path), name, force, credentials_path)


@dataclasses.dataclass
class ProcessProfileSave:
    """Save `[profile NAME]` with a credential_process; the output then names the profile."""

    name: str
    process_line: str
    region: str | None
    force: bool
    path: Path
    config_path: Path
    output: str = ""
    keeps: bool = False
    removed_keys: str | None = None

    @classmethod
    def plan(
        cls,
        name: str,
        renewal: Renewal,
        region: str | None,
        force: bool,
        places: UserPlaces | None = None,
    ) -> ProcessProfileSave:
        places = places or UserPlaces.current()
        check_save_target(name, places)
        line = command_line(renewal.words())
        if lone_surrogate_in(line) is not None:
            # A path of bytes that are not UTF-8: botocore could not read the config file.
            raise EnvgenError(
                f"the command that runs envgen ({printable(line)}) is not valid UTF-8 text, "
                "which the config file must be; install envgen under a path that is"
            )
        _check_value(PROCESS_KEY, line)
        if region is not None:
            _check_value("region", region)
        return cls(name, line, region, force, credentials_file(places), config_file(places))

    def changes(self) -> Changes:
        return Changes.naming_profile(self.name, self.region)

    def apply(self) -> None:
        for path in (self.config_path, self.path):
            atomic.make_directory(atomic.real_target(path).parent)
        with _both_locked(self.path, self.config_path):
            for path in (self.config_path, self.path):
                refuse_foreign_owner(path)
            config_before = _read_text(self.config_path)
            config_after = with_process(
                config_before,
                self.name,
                self.process_line,
                self.region,
                self.force,
                self.config_path,
            )
            expected: dict[str, str | None] = {PROCESS_KEY: self.process_line}
            if self.region is not None:
                expected["region"] = self.region
            _verify(config_after, self.name, expected, self.config_path, config=True)
            credentials_after, long_term = without_stale_keys(
                _read_text(self.path), self.name, self.force, self.path
            )
            if credentials_after is not None:
                _verify(credentials_after, self.name, dict.fromkeys(SAVED_KEYS), self.path)
            # The config file first: until the stale keys go too, they still work as before.
            if config_after != config_before:
                _write_text(self.config_path, config_after)
            if credentials_after is not None:
                atomic.replace_file(
                    self.path,
                    credentials_after.encode("utf-8", "surrogateescape"),
                    atomic.PRIVATE_MODE,
                )
                kind, why = ("long-term", ", as --force asked") if long_term else ("expiring", "")
                self.removed_keys = (
                    f"removed the {kind} keys of [{self.name}] from {self.path}{why}"
                )

    @property
    def report(self) -> str:
        said = (
            f"saved profile {self.name} in {self.config_path}: the AWS CLI and SDKs renew its "
            f"credentials through envgen ({PROCESS_KEY})"
        )
        if self.region is not None:
            said += f", region {self.region}"
        if self.removed_keys is not None:
            said += f"; {self.removed_keys}"
        return said
