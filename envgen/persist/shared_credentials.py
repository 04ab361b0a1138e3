"""--save-profile: one named profile in the AWS shared credentials file, and nothing else touched.

The file also holds the user's long-term keys, so every other byte stays as
it was: sections, comments, blank lines, line endings. The new file replaces
the old in one rename, private whatever the umask; a symlink stays a symlink;
concurrent writers take turns under a lock; a profile holding long-term keys
is replaced only when asked to; a file that cannot be parsed is not written.
"""

from __future__ import annotations

import configparser
import dataclasses
import re
from pathlib import Path
from typing import TYPE_CHECKING

from envgen.credentials import (
    ACCESS_KEY_ID,
    CREDENTIAL_EXPIRATION,
    DEFAULT_REGION,
    REGION,
    SECRET_ACCESS_KEY,
    SESSION_EXPIRATION,
    SESSION_TOKEN,
    Changes,
    Credentials,
    format_expiration,
    lone_surrogate_in,
)
from envgen.config_files import CREDENTIALS_FILE_VARIABLE, credentials_file_path
from envgen.dialects.base import describe_character
from envgen.errors import EnvgenError, UsageError
from envgen.persist import atomic
from envgen.persist.places import UserPlaces

if TYPE_CHECKING:
    from configupdater import ConfigUpdater

PROFILE_VARIABLE = "AWS_PROFILE"

# The variables that would shadow the profile if they stayed set.
KEY_VARIABLES = (
    ACCESS_KEY_ID,
    SECRET_ACCESS_KEY,
    SESSION_TOKEN,
    CREDENTIAL_EXPIRATION,
    SESSION_EXPIRATION,
)

# `x_security_token_expires` is the expiry key other tools write and read.
EXPIRY_KEY = "x_security_token_expires"
SESSION_TOKEN_KEYS = ("aws_session_token", "aws_security_token")
LONG_TERM_KEYS = ("aws_access_key_id", "aws_secret_access_key")


def credentials_file(places: UserPlaces) -> Path:
    # The very file botocore (and so the AWS CLI) reads: its variable, expanded as botocore does.
    if CREDENTIALS_FILE_VARIABLE in places.environ:
        return Path(credentials_file_path(places.environ))
    return places.home / ".aws" / "credentials"


def check_profile_name(name: str) -> None:
    if not name:
        raise UsageError("--save-profile: give a profile name")
    if name != name.strip():
        raise UsageError("--save-profile: give the profile name without spaces at either end")
    for char in name:
        if char in "[]" or char < " " or char == "\x7f" or lone_surrogate_in(char):
            raise UsageError(
                f"--save-profile: the profile name contains {describe_character(char)}, "
                "which cannot stand in a section header; choose another name"
            )
    if name == configparser.DEFAULTSECT:
        # The parsers behind the AWS CLI and SDKs read [DEFAULT] as defaults
        # for every other profile.
        raise UsageError(
            f"--save-profile: {name} would apply to every profile; choose another name "
            "(the usual default profile is `default`)"
        )


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
        EXPIRY_KEY: credentials.expiration and format_expiration(credentials.expiration),
    }


def _line_of(error: configparser.Error) -> int | None:
    line: int | None = getattr(error, "lineno", None)
    errors = getattr(error, "errors", None)
    if line is None and errors:
        line = errors[0][0]
    return line


def _parse(text: str, where: Path) -> ConfigUpdater:
    # Imported here: configupdater is needed only when a profile is saved.
    from configupdater import ConfigUpdater

    updater = ConfigUpdater()
    try:
        updater.read_string(text, source=str(where))
    except configparser.Error as error:
        line = _line_of(error)
        # Only the line's number: its text may be a key.
        place = f"line {line}" if line else "it"
        raise EnvgenError(
            f"{where}: cannot parse {place} ({type(error).__name__}); "
            "fix the file by hand, envgen left it unchanged"
        ) from None
    return updater


def _newline_of(text: str) -> str:
    ends = re.findall(r"\r?\n", text)
    return "\r\n" if ends and all(end == "\r\n" for end in ends) else "\n"


def with_profile(
    text: str, name: str, values: dict[str, str | None], force: bool, where: Path
) -> str:
    """`text` with profile `name` holding `values`; every other byte as it was."""
    from configupdater.option import Option

    updater = _parse(text, where)
    newline = _newline_of(text)
    if not updater.has_section(name):
        # Appended as text, so nothing before it is even re-serialised.
        lines = [f"[{name}]"] + [f"{key} = {value}" for key, value in values.items() if value]
        separator = ""
        if text and not text.endswith("\n"):
            separator = newline
        if text.strip():
            separator += newline
        return text + separator + "".join(line + newline for line in lines)
    section = updater[name]
    holds_keys = any(section.has_option(key) for key in LONG_TERM_KEYS)
    # An empty token is no token to botocore: such a profile holds long-term keys.
    holds_token = any(
        section.has_option(key) and (section[key].value or "").strip()
        for key in SESSION_TOKEN_KEYS
    )
    if holds_keys and not holds_token and not force:
        raise EnvgenError(
            f"profile {name} in {where} holds long-term keys (no aws_session_token); "
            "not replacing them without --force (or choose another profile name)"
        )
    if section.has_option("aws_security_token"):
        section.remove_option("aws_security_token")
    for key, value in values.items():
        if value is None:
            if section.has_option(key):
                section.remove_option(key)
        elif section.has_option(key):
            section[key].value = value
        else:
            options = [block for block in section.iter_blocks() if isinstance(block, Option)]
            blocks = list(section.iter_blocks())
            if options:
                options[-1].add_after.option(key, value)
            elif blocks:
                blocks[0].add_before.option(key, value)
            else:
                section.set(key, value)
    result = str(updater)
    if newline == "\r\n":
        # Every line of the file ended in CRLF, so a bare LF is one envgen wrote.
        result = re.sub(r"(?<!\r)\n", "\r\n", result)
    return result


def _verify(text: str, name: str, values: dict[str, str | None], where: Path) -> None:
    # Read back the way the AWS CLI and SDKs read it, before it replaces anything.
    parser = configparser.RawConfigParser()
    try:
        parser.read_string(text)
        saved = dict(parser.items(name))
    except configparser.Error:
        saved = {}
    for key, value in values.items():
        if saved.get(key) != value:
            raise EnvgenError(
                f"{where}: the updated file would not read back {key} exactly; "
                "left it unchanged"
            )


@dataclasses.dataclass
class ProfileSave:
    """Save `credentials` as profile `name`; the output then names the profile instead."""

    name: str
    credentials: Credentials
    force: bool
    path: Path
    output: str = ""
    keeps: bool = True

    @classmethod
    def plan(
        cls, name: str, credentials: Credentials, force: bool, places: UserPlaces | None = None
    ) -> ProfileSave:
        check_profile_name(name)
        for key, value in profile_values(credentials).items():
            if value is not None:
                _check_value(key, value)
        return cls(name, credentials, force, credentials_file(places or UserPlaces.current()))

    def changes(self) -> Changes:
        """AWS_PROFILE names the profile, and the keys that would shadow it are unset."""
        assignments = {PROFILE_VARIABLE: self.name}
        if self.credentials.region is not None:
            assignments[REGION] = self.credentials.region
            assignments[DEFAULT_REGION] = self.credentials.region
        return Changes(assignments, KEY_VARIABLES)

    def apply(self) -> None:
        target = atomic.real_target(self.path)
        atomic.make_directory(target.parent)
        values = profile_values(self.credentials)
        with atomic.locked(self.path):
            before = atomic.read_existing(target)
            text = before.decode("utf-8", "surrogateescape") if before is not None else ""
            after = with_profile(text, self.name, values, self.force, self.path)
            _verify(after, self.name, values, self.path)
            atomic.replace_file(
                self.path, after.encode("utf-8", "surrogateescape"), atomic.PRIVATE_MODE
            )

    @property
    def report(self) -> str:
        return f"saved profile {self.name} in {self.path}"
