"""--save-profile: one named profile in the AWS shared credentials file (and its region in the
config file), nothing else touched; `clear --profile` takes it out again.

The files also hold the user's long-term keys and settings, so every other
byte stays as it was: sections, comments, blank lines, line endings. A new
file replaces the old in one rename, private whatever the umask; a symlink
stays a symlink; concurrent writers take turns under the locks (credentials
file first, then config file); a profile holding long-term keys is replaced
or removed only when asked to; a file that cannot be parsed is not written;
a profile botocore would not read keys for (a role, SSO) is not written to.
"""

from __future__ import annotations

import configparser
import contextlib
import dataclasses
import re
import shlex
from pathlib import Path
from typing import TYPE_CHECKING

from envgen.config_files import (
    CONFIG_FILE_VARIABLE,
    CREDENTIALS_FILE_VARIABLE,
    config_file_path,
    config_profiles,
    credentials_file_path,
    parse_error_line,
    section_profile_name,
)
from envgen.credentials import Changes, Credentials, format_expiration, lone_surrogate_in
from envgen.dialects.base import describe_character
from envgen.errors import EnvgenError, UsageError
from envgen.persist import atomic
from envgen.persist.line_endings import newline_of
from envgen.places import UserPlaces

if TYPE_CHECKING:
    from collections.abc import Iterator

    from configupdater import ConfigUpdater
    from configupdater.block import Comment
    from configupdater.section import Section


# `x_security_token_expires` is the expiry key other tools write and read.
EXPIRY_KEY = "x_security_token_expires"
SESSION_TOKEN_KEYS = ("aws_session_token", "aws_security_token")
LONG_TERM_KEYS = ("aws_access_key_id", "aws_secret_access_key")
SAVED_KEYS = (*LONG_TERM_KEYS, *SESSION_TOKEN_KEYS, EXPIRY_KEY)

# The comment set above a region that --save-profile added to the config file: what
# `clear --profile` may take away again. botocore reads no comment.
REGION_MARK = "# region saved by envgen --save-profile"


def credentials_file(places: UserPlaces) -> Path:
    # The very file botocore (and so the AWS CLI) reads: its variable, expanded as botocore does.
    if CREDENTIALS_FILE_VARIABLE in places.environ:
        return Path(credentials_file_path(places.environ))
    return places.home / ".aws" / "credentials"


def config_file(places: UserPlaces) -> Path:
    if CONFIG_FILE_VARIABLE in places.environ:
        return Path(config_file_path(places.environ))
    return places.home / ".aws" / "config"


def check_profile_name(name: str, option: str = "--save-profile") -> None:
    if not name:
        raise UsageError(f"{option}: give a profile name")
    if name != name.strip():
        raise UsageError(f"{option}: give the profile name without spaces at either end")
    for char in name:
        if char in "[]" or char < " " or char == "\x7f" or lone_surrogate_in(char):
            raise UsageError(
                f"{option}: the profile name contains {describe_character(char)}, "
                "which cannot stand in a section header; choose another name"
            )
    if name == configparser.DEFAULTSECT:
        # The parsers behind the AWS CLI and SDKs read [DEFAULT] as defaults
        # for every other profile.
        raise UsageError(
            f"{option}: {name} would apply to every profile; choose another name "
            "(the usual default profile is `default`)"
        )


def _profile_in(path: Path, name: str, config: bool) -> dict[str, str]:
    text = _read_text(path)
    _parse(text, path)  # a file botocore cannot read is named with its line
    sections = _read_back(text)
    return (config_profiles(sections) if config else sections).get(name, {})


def refuse_profiles_that_ignore_keys(name: str, places: UserPlaces) -> None:
    """Refuse a profile whose role or SSO settings botocore reads before any saved keys.

    botocore's chain tries a profile's role_arn (with or without a web identity
    token) and its SSO settings before its keys: keys saved there would be
    ignored, every AWS call would still use the role or SSO session.
    """
    for path, config in ((config_file(places), True), (credentials_file(places), False)):
        settings = _profile_in(path, name, config)
        reason = None
        if "role_arn" in settings:
            reason = "assumes a role (role_arn)"
        elif "web_identity_token_file" in settings:
            reason = "uses a web identity token (web_identity_token_file)"
        else:
            sso = sorted(key for key in settings if key.startswith("sso_"))
            if sso:
                reason = f"signs in through IAM Identity Center ({sso[0]})"
        if reason is not None:
            raise EnvgenError(
                f"profile {name} in {path} {reason}, which the AWS CLI and SDKs use before "
                "any saved keys; save under another name (--save-profile NAME)"
            )


def check_save_target(name: str, places: UserPlaces | None = None) -> None:
    """Everything --save-profile NAME can check before credentials are asked for."""
    check_profile_name(name)
    refuse_profiles_that_ignore_keys(name, places or UserPlaces.current())


def _check_value(key: str, value: str) -> None:
    # An INI value ends at the line break and loses blanks at either end.
    for char in value:
        if char < " " or char == "\x7f":
            raise EnvgenError(
                f"{key} contains {describe_character(char)}, which a credentials file "
                "cannot carry; refusing rather than changing the value"
            )
    if value != value.strip():
        raise EnvgenError(
            f"{key} begins or ends with a space, which a credentials file drops; "
            "refusing rather than changing the value"
        )


def profile_values(credentials: Credentials) -> dict[str, str | None]:
    """The keys of the profile; None removes a key an older save left behind."""
    return {
        "aws_access_key_id": credentials.access_key_id,
        "aws_secret_access_key": credentials.secret_access_key,
        "aws_session_token": credentials.session_token,
        EXPIRY_KEY: (
            format_expiration(credentials.expiration)
            if credentials.expiration is not None
            else None
        ),
    }


def _parse(text: str, where: Path) -> ConfigUpdater:
    # Imported here: configupdater is needed only when a profile is saved.
    from configupdater import ConfigUpdater

    updater = ConfigUpdater()
    try:
        updater.read_string(text, source=str(where))
    except configparser.Error as error:
        line = parse_error_line(error)
        # Only the line's number: its text may be a key.
        place = f"line {line}" if line else "it"
        raise EnvgenError(
            f"{where}: cannot parse {place} ({type(error).__name__}); "
            "fix the file by hand, envgen left it unchanged"
        ) from None
    return updater


def _with_section_appended(text: str, lines: list[str]) -> str:
    # Appended as text, so nothing before it is even re-serialised. One blank line
    # sets it apart, which removing it takes away again.
    newline = newline_of(text)
    separator = ""
    if text and not text.endswith("\n"):
        separator = newline
    if text.strip():
        separator += newline
    return text + separator + "".join(line + newline for line in lines)


def _serialised(updater: ConfigUpdater, original: str) -> str:
    result = str(updater)
    if newline_of(original) == "\r\n":
        # Every line of the file ended in CRLF, so a bare LF is one envgen wrote.
        result = re.sub(r"(?<!\r)\n", "\r\n", result)
    return result


def _set_option(section: Section, key: str, value: str) -> None:
    from configupdater.option import Option

    if section.has_option(key):
        section[key].value = value
        return
    options = [block for block in section.iter_blocks() if isinstance(block, Option)]
    blocks = list(section.iter_blocks())
    if options:
        options[-1].add_after.option(key, value)
    elif blocks:
        blocks[0].add_before.option(key, value)
    else:
        section.set(key, value)


def _holds_long_term_keys(section: Section) -> bool:
    holds_keys = any(section.has_option(key) for key in LONG_TERM_KEYS)
    # An empty token is no token to botocore: such a profile holds long-term keys.
    holds_token = any(
        section.has_option(key) and (section[key].value or "").strip() for key in SESSION_TOKEN_KEYS
    )
    return holds_keys and not holds_token


def with_profile(
    text: str,
    name: str,
    values: dict[str, str | None],
    force: bool,
    where: Path,
    region: str | None = None,
) -> str:
    """`text` with profile `name` holding `values`; every other byte as it was.

    A region the section already sets is updated to `region`: botocore reads it
    over the config file's.
    """
    updater = _parse(text, where)
    if not updater.has_section(name):
        return _with_section_appended(
            text, [f"[{name}]"] + [f"{key} = {value}" for key, value in values.items() if value]
        )
    section = updater[name]
    if _holds_long_term_keys(section) and not force:
        raise EnvgenError(
            f"profile {name} in {where} holds long-term keys (no aws_session_token); "
            "not replacing them without --force (or choose another profile name)"
        )
    if section.has_option("aws_security_token"):
        del section["aws_security_token"]
    for key, value in values.items():
        if value is None:
            if section.has_option(key):
                del section[key]
        else:
            _set_option(section, key, value)
    if region is not None and section.has_option("region"):
        section["region"].value = region
    return _serialised(updater, text)


def _without_section(updater: ConfigUpdater, section: Section, original: str) -> str:
    last = section is list(updater.iter_sections())[-1]
    section.detach()
    result = _serialised(updater, original)
    newline = newline_of(original)
    if last and result.endswith(newline * 2):
        # The blank line that set the appended section apart.
        result = result[: -len(newline)]
    return result


def _is_empty(section: Section) -> bool:
    from configupdater.block import Space

    return all(isinstance(block, Space) for block in section.iter_blocks())


def without_profile_keys(text: str, name: str, force: bool, where: Path) -> str | None:
    """`text` without the keys of profile `name` (and the section, once empty); None if none."""
    updater = _parse(text, where)
    if not updater.has_section(name):
        return None
    section = updater[name]
    if not any(section.has_option(key) for key in SAVED_KEYS):
        return None
    if _holds_long_term_keys(section) and not force:
        raise EnvgenError(
            f"profile {name} in {where} holds long-term keys (no aws_session_token); "
            "not removing them without --force"
        )
    for key in SAVED_KEYS:
        if section.has_option(key):
            del section[key]
    if _is_empty(section):
        return _without_section(updater, section, text)
    return _serialised(updater, text)


def config_section_header(name: str) -> str:
    # botocore splits `profile NAME` the way a shell splits words: quoted when needed.
    return "default" if name == "default" else f"profile {shlex.quote(name)}"


def _config_section(updater: ConfigUpdater, name: str) -> Section | None:
    # Where botocore reads profile NAME from: the last section that names it.
    found = [s for s in updater.iter_sections() if section_profile_name(s.name) == name]
    return found[-1] if found else None


def with_region(text: str, name: str, region: str, where: Path) -> str:
    """The config file `text` with `region` for profile `name`; every other byte as it was."""
    updater = _parse(text, where)
    section = _config_section(updater, name)
    if section is None:
        return _with_section_appended(
            text, [f"[{config_section_header(name)}]", REGION_MARK, f"region = {region}"]
        )
    if section.has_option("region"):
        section["region"].value = region
        return _serialised(updater, text)
    _set_option(section, "region", region)
    option = section["region"]
    option.add_before.comment(REGION_MARK.removeprefix("# "), comment_prefix="#")
    return _serialised(updater, text)


def _saved_region_mark(section: Section) -> Comment | None:
    from configupdater.block import Comment

    if not section.has_option("region"):
        return None
    before = section["region"].previous_block
    if isinstance(before, Comment) and before.lines and before.lines[-1].strip() == REGION_MARK:
        return before
    return None


def without_saved_region(text: str, name: str, where: Path) -> str | None:
    """The config file without the region --save-profile wrote for `name`; None if it has none."""
    updater = _parse(text, where)
    section = _config_section(updater, name)
    marker = _saved_region_mark(section) if section is not None else None
    if section is None or marker is None:
        return None
    # Only envgen's line goes; a comment of the user's just above it stays.
    marker.lines.pop()
    if not marker.lines:
        marker.detach()
    del section["region"]
    if _is_empty(section):
        return _without_section(updater, section, text)
    return _serialised(updater, text)


def _read_back(text: str) -> dict[str, dict[str, str]]:
    # The way the AWS CLI and SDKs read it, before it replaces anything.
    parser = configparser.RawConfigParser()
    try:
        parser.read_string(text)
    except configparser.Error:
        return {}
    return {section: dict(parser.items(section)) for section in parser.sections()}


def _verify(
    text: str, name: str, values: dict[str, str | None], where: Path, config: bool = False
) -> None:
    sections = _read_back(text)
    saved = (config_profiles(sections) if config else sections).get(name, {})
    for key, value in values.items():
        if saved.get(key) != value:
            raise EnvgenError(
                f"{where}: the updated file would not read back {key} exactly; left it unchanged"
            )


def _read_text(path: Path) -> str:
    """The text of a config or credentials file, bounded; "" when there is none."""
    data = atomic.read_existing(atomic.real_target(path), shown=path)
    # Bytes that are not UTF-8 (a comment in another encoding) pass through unchanged.
    return data.decode("utf-8", "surrogateescape") if data is not None else ""


def _write_text(path: Path, text: str) -> None:
    mode = atomic.existing_mode(atomic.real_target(path), atomic.PRIVATE_MODE)
    atomic.replace_file(path, text.encode("utf-8", "surrogateescape"), mode)


@contextlib.contextmanager
def _both_locked(credentials_path: Path, config_path: Path | None) -> Iterator[None]:
    # Always the credentials file first: two envgens never wait for each other's second lock.
    if config_path is not None and atomic.real_target(config_path) == atomic.real_target(
        credentials_path
    ):
        raise EnvgenError(
            f"{CONFIG_FILE_VARIABLE} and {CREDENTIALS_FILE_VARIABLE} name the same file "
            f"({config_path}); give each its own file"
        )
    with atomic.locked(credentials_path):
        if config_path is None:
            yield
            return
        with atomic.locked(config_path):
            yield


@dataclasses.dataclass
class ProfileSave:
    """Save `credentials` as profile `name`; the output then names the profile instead."""

    name: str
    credentials: Credentials
    force: bool
    path: Path
    config_path: Path
    output: str = ""
    keeps: bool = True

    @classmethod
    def plan(
        cls, name: str, credentials: Credentials, force: bool, places: UserPlaces | None = None
    ) -> ProfileSave:
        places = places or UserPlaces.current()
        check_save_target(name, places)
        for key, value in profile_values(credentials).items():
            if value is not None:
                _check_value(key, value)
        if credentials.region is not None:
            _check_value("region", credentials.region)
        return cls(name, credentials, force, credentials_file(places), config_file(places))

    def changes(self) -> Changes:
        """AWS_PROFILE names the profile; whatever would win over it is unset."""
        return Changes.naming_profile(self.name, self.credentials.region)

    def apply(self) -> None:
        from envgen.persist.process_profile import (
            PROCESS_KEY,
            may_hold_saved_process,
            without_saved_process,
        )

        region = self.credentials.region
        # The keys replace a credential_process --auto-refresh saved for the name: left there,
        # it would wait under keys that win over it, and serve again once they expired.
        renewing = may_hold_saved_process(self.config_path)
        config_path = self.config_path if region is not None or renewing else None
        atomic.make_directory(atomic.real_target(self.path).parent)
        if config_path is not None:
            atomic.make_directory(atomic.real_target(config_path).parent)
        values = profile_values(self.credentials)
        with _both_locked(self.path, config_path):
            after = with_profile(
                _read_text(self.path), self.name, values, self.force, self.path, region
            )
            _verify(after, self.name, values, self.path)
            if config_path is not None:
                before_config = _read_text(config_path)
                without_process = without_saved_process(before_config, self.name, config_path)
                after_config = before_config if without_process is None else without_process
                expected: dict[str, str | None] = {}
                if without_process is not None:
                    expected[PROCESS_KEY] = None
                if region is not None:
                    after_config = with_region(after_config, self.name, region, config_path)
                    expected["region"] = region
                _verify(after_config, self.name, expected, config_path, config=True)
                # The config file first: a region left behind alone misleads no one.
                if after_config != before_config:
                    _write_text(config_path, after_config)
            atomic.replace_file(
                self.path, after.encode("utf-8", "surrogateescape"), atomic.PRIVATE_MODE
            )

    @property
    def report(self) -> str:
        where = f"saved profile {self.name} in {self.path}"
        if self.credentials.region is not None:
            where += f" (region {self.credentials.region} in {self.config_path})"
        return where


@dataclasses.dataclass
class ProfileRemoval:
    """`clear --profile NAME`: take out what --save-profile NAME wrote."""

    name: str
    force: bool
    path: Path
    config_path: Path
    output: str = ""
    keeps: bool = False
    removed_from: tuple[Path, ...] = ()

    @classmethod
    def plan(cls, name: str, force: bool, places: UserPlaces | None = None) -> ProfileRemoval:
        places = places or UserPlaces.current()
        check_profile_name(name, "--profile")
        return cls(name, force, credentials_file(places), config_file(places))

    def apply(self) -> None:
        removed: list[Path] = []
        with _both_locked(self.path, self.config_path):
            credentials_text = _read_text(self.path)
            config_text = _read_text(self.config_path)
            new_credentials = without_profile_keys(
                credentials_text, self.name, self.force, self.path
            )
            # What --auto-refresh wrote goes with the region: the profile renews no more.
            from envgen.persist.process_profile import PROCESS_KEY, without_saved_process

            without_process = without_saved_process(config_text, self.name, self.config_path)
            new_config = without_saved_region(
                config_text if without_process is None else without_process,
                self.name,
                self.config_path,
            )
            gone_from_config: dict[str, str | None] = (
                {"region": None} if new_config is not None else {}
            )
            if without_process is not None:
                gone_from_config[PROCESS_KEY] = None
                new_config = without_process if new_config is None else new_config
            if new_credentials is None and new_config is None:
                raise EnvgenError(
                    f"profile {self.name} has no keys in {self.path} and no region or "
                    f"credential_process saved by envgen in {self.config_path}; nothing to remove"
                )
            if new_credentials is not None:
                _verify(new_credentials, self.name, dict.fromkeys(SAVED_KEYS), self.path)
                atomic.replace_file(
                    self.path,
                    new_credentials.encode("utf-8", "surrogateescape"),
                    atomic.PRIVATE_MODE,
                )
                removed.append(self.path)
            if new_config is not None:
                _verify(new_config, self.name, gone_from_config, self.config_path, config=True)
                _write_text(self.config_path, new_config)
                removed.append(self.config_path)
        self.removed_from = tuple(removed)

    @property
    def report(self) -> str:
        places = " and ".join(str(path) for path in self.removed_from)
        return f"removed profile {self.name} from {places}"
