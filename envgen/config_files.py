"""The AWS config and credentials files, read the way botocore reads them, without botocore.

Two answers must come faster than importing botocore allows: the profile names a
shell completes, and the role a profile assumes when the cache already holds its
credentials. Everything else asks botocore itself. These readings follow
botocore's `configloader` and `Session.full_config` step by step (same parser,
same section rules, the credentials file merged over the config file), and the
tests compare them with botocore's own for many file shapes.
"""

from __future__ import annotations

import configparser
import os
import shlex
from collections.abc import Mapping

CONFIG_FILE_VARIABLE = "AWS_CONFIG_FILE"
CREDENTIALS_FILE_VARIABLE = "AWS_SHARED_CREDENTIALS_FILE"
DEFAULT_CONFIG_FILE = os.path.join("~", ".aws", "config")
DEFAULT_CREDENTIALS_FILE = os.path.join("~", ".aws", "credentials")

Profiles = dict[str, dict[str, str]]


class ConfigUnreadable(Exception):
    """A file exists but botocore would refuse it too (syntax, duplicates, encoding)."""


def _file_path(variable: str, default: str, environ: Mapping[str, str]) -> str:
    # botocore takes the variable even when it is empty, and expands it like this.
    path = environ[variable] if variable in environ else default
    return os.path.expanduser(os.path.expandvars(path))


def config_file_path(environ: Mapping[str, str] = os.environ) -> str:
    return _file_path(CONFIG_FILE_VARIABLE, DEFAULT_CONFIG_FILE, environ)


def credentials_file_path(environ: Mapping[str, str] = os.environ) -> str:
    return _file_path(CREDENTIALS_FILE_VARIABLE, DEFAULT_CREDENTIALS_FILE, environ)


def read_sections(path: str) -> dict[str, dict[str, str]]:
    """Every section of an INI file as raw strings; {} when the file does not exist."""
    if not os.path.isfile(path):
        return {}
    parser = configparser.RawConfigParser()
    try:
        parser.read([path])
    except (configparser.Error, UnicodeDecodeError) as error:
        raise ConfigUnreadable(f"{path}: {type(error).__name__}") from None
    return {section: dict(parser.items(section)) for section in parser.sections()}


def _profile_name(section: str) -> str | None:
    # `[profile NAME]`, quotes allowed around NAME; anything else starting with
    # "profile" that does not split into exactly two words names no profile.
    try:
        words = shlex.split(section)
    except ValueError:
        return None
    return words[1] if len(words) == 2 else None


def config_profiles(sections: Mapping[str, Mapping[str, str]]) -> Profiles:
    """The profiles of a config file: `[profile NAME]` sections and `[default]`, later ones winning."""
    profiles: Profiles = {}
    for section, values in sections.items():
        if section.startswith("profile"):
            name = _profile_name(section)
            if name is not None:
                profiles[name] = dict(values)
        elif section == "default":
            profiles[section] = dict(values)
    return profiles


def read_profiles(environ: Mapping[str, str] = os.environ) -> Profiles:
    """Every profile botocore would see: config file profiles, credentials file sections merged over them."""
    profiles = config_profiles(read_sections(config_file_path(environ)))
    for name, values in read_sections(credentials_file_path(environ)).items():
        profiles.setdefault(name, {}).update(values)
    return profiles


def profile_names(environ: Mapping[str, str] = os.environ) -> list[str]:
    """Profile names for completion: whatever each file yields, even when the other is broken."""
    names: dict[str, None] = {}
    try:
        names.update(dict.fromkeys(config_profiles(read_sections(config_file_path(environ)))))
    except ConfigUnreadable:
        pass
    try:
        names.update(dict.fromkeys(read_sections(credentials_file_path(environ))))
    except ConfigUnreadable:
        pass
    return list(names)
