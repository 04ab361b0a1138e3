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
import locale
import os
import shlex
from collections.abc import Mapping

from envgen.regular_files import MAX_FILE_BYTES, read_regular_file

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


def refuse_oversized_files(environ: Mapping[str, str] = os.environ) -> None:
    """botocore reads the config and credentials files whole: refuse one too large first."""
    from envgen.errors import EnvgenError

    for variable, path in (
        (CONFIG_FILE_VARIABLE, config_file_path(environ)),
        (CREDENTIALS_FILE_VARIABLE, credentials_file_path(environ)),
    ):
        try:
            size = os.stat(path).st_size if os.path.isfile(path) else 0
        except OSError:
            continue
        if size > MAX_FILE_BYTES:
            raise EnvgenError(
                f"{path}: larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB, too large to be "
                f"an AWS settings file; check the file (or {variable})"
            )


def read_sections(path: str) -> dict[str, dict[str, str]]:
    """Every section of an INI file as raw strings; {} when the file does not exist."""
    # botocore skips what is not a file (a FIFO, a device) as if it were absent.
    if not os.path.isfile(path):
        return {}
    parser = configparser.RawConfigParser()
    try:
        data = read_regular_file(path)
        # configparser, and so botocore, decodes with the locale's encoding.
        text = (data or b"").decode(locale.getpreferredencoding(False))
        parser.read_string(text, source=path)
    except (configparser.Error, UnicodeDecodeError, OSError) as error:
        raise ConfigUnreadable(f"{path}: {type(error).__name__}") from None
    return {section: dict(parser.items(section)) for section in parser.sections()}


def section_profile_name(section: str) -> str | None:
    """The profile a config file section defines, or None."""
    if section.startswith("profile"):
        # `[profile NAME]`, quotes allowed around NAME; anything else starting with
        # "profile" that does not split into exactly two words names no profile.
        try:
            words = shlex.split(section)
        except ValueError:
            return None
        return words[1] if len(words) == 2 else None
    return section if section == "default" else None


def config_profiles(sections: Mapping[str, Mapping[str, str]]) -> Profiles:
    """The profiles of a config file: `[profile NAME]` sections and `[default]`, later ones winning."""
    profiles: Profiles = {}
    for section, values in sections.items():
        name = section_profile_name(section)
        if name is not None:
            profiles[name] = dict(values)
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


def parse_error_line(error: BaseException) -> int | None:
    """The line number a configparser error points at, if any."""
    line: int | None = getattr(error, "lineno", None)
    errors = getattr(error, "errors", None)
    if line is None and errors:
        line = errors[0][0]
    return line


def _read_bounded(path: str) -> bytes | None:
    try:
        return read_regular_file(path)
    except OSError:
        return None


def _undecodable_line(path: str) -> tuple[int | None, str]:
    """The line holding the first byte the locale's encoding refuses (configparser reads with it)."""
    import locale

    encoding = locale.getpreferredencoding(False)
    data = _read_bounded(path)
    if data is not None:
        try:
            data.decode(encoding)
        except UnicodeDecodeError as error:
            return data[: error.start].count(b"\n") + 1, encoding
        except LookupError:
            pass
    return None, encoding


def _unnested_line(path: str) -> int | None:
    """The first indented line under an empty `key =` that is not `key = value`: botocore
    reads such a block as nested settings (`s3 =` then `  addressing_style = path`)."""
    data = _read_bounded(path)
    if data is None:
        return None
    nested = False
    for number, line in enumerate(data.decode("utf-8", "replace").splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", ";")):
            continue
        if not line[0].isspace():
            key, delimiter, value = line.partition("=")
            if not delimiter:
                key, delimiter, value = line.partition(":")
            nested = bool(delimiter) and not value.strip() and not key.startswith("[")
        elif nested and "=" not in stripped:
            return number
    return None


def describe_unreadable(path: str, error: BaseException) -> str:
    """Which line of an AWS config or credentials file botocore could not read, and why, for an
    error message: never the line's text, which may hold a key."""
    line = parse_error_line(error)
    if isinstance(error, UnicodeDecodeError):
        line, encoding = _undecodable_line(path)
        what = f"is not {encoding} text"
    elif isinstance(error, configparser.MissingSectionHeaderError):
        what = "comes before any [section] header"
    elif isinstance(error, configparser.DuplicateSectionError):
        what = "repeats a [section] header that appears earlier in the file"
    elif isinstance(error, configparser.DuplicateOptionError):
        what = "sets a key its section has already set"
    elif isinstance(error, configparser.ParsingError):
        what = "is neither a [section] header nor a `key = value` setting"
    elif isinstance(error, configparser.Error):
        what = f"cannot be read ({type(error).__name__})"
    elif isinstance(error, ValueError):
        # botocore's reading of nested settings raises a bare ValueError.
        line = _unnested_line(path)
        what = "is indented under a setting but is not `key = value`"
    else:
        what = "cannot be read"
    place = f"line {line}" if line else "a line"
    return f"{path}: {place} {what}"
