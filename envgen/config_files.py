"""The AWS config and credentials files, read the way botocore reads them, without botocore.

Two answers must come faster than importing botocore allows: the profile names a
shell completes, and the role a profile assumes when the cache already holds its
credentials. Everything else asks botocore itself. These readings follow
botocore's `configloader` and `Session.full_config` step by step (same parser,
same section rules, the credentials file merged over the config file), and the
tests compare them with botocore's own for many file shapes.

A config of thousands of profiles must not cost a prompt hook or a credential_process
line more than the one profile it asks for. So a file whose lines all take the plain
forms (see `_plain_index`) is checked whole by a few regular expressions, which
find every section header and anything configparser would refuse, and each section is
parsed by configparser only when it is asked for. Any other file is parsed whole, as
before. tests/test_config_files.py compares both readings over many file shapes.
"""

from __future__ import annotations

import configparser
import locale
import os
import re
import shlex
from collections.abc import Callable, Iterable, Iterator, Mapping

from envgen.regular_files import MAX_FILE_BYTES, read_regular_file

CONFIG_FILE_VARIABLE = "AWS_CONFIG_FILE"
CREDENTIALS_FILE_VARIABLE = "AWS_SHARED_CREDENTIALS_FILE"
DEFAULT_CONFIG_FILE = os.path.join("~", ".aws", "config")
DEFAULT_CREDENTIALS_FILE = os.path.join("~", ".aws", "credentials")

# Each profile's settings; a mapping whose values are read when first asked for.
Profiles = Mapping[str, dict[str, str]]


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


class LazySections(Mapping[str, dict[str, str]]):
    """Sections (or profiles) by name, each worked out by MAKE, and kept, the first time it
    is asked for; every answer is a fresh dict the caller may change."""

    def __init__(self, names: Iterable[str], make: Callable[[str], dict[str, str]]) -> None:
        self._names = dict.fromkeys(names)
        self._make = make
        self._made: dict[str, dict[str, str]] = {}

    def __getitem__(self, name: str) -> dict[str, str]:
        if name not in self._made:
            if name not in self._names:
                raise KeyError(name)
            self._made[name] = self._make(name)
        return dict(self._made[name])

    def __contains__(self, name: object) -> bool:
        return name in self._names

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __repr__(self) -> str:
        return f"LazySections({list(self._names)!r})"


def _configparser_sections(text: str, path: str) -> dict[str, dict[str, str]]:
    parser = configparser.RawConfigParser()
    try:
        parser.read_string(text, source=path)
    except configparser.Error as error:
        raise ConfigUnreadable(f"{path}: {type(error).__name__}") from None
    return {section: dict(parser.items(section)) for section in parser.sections()}


# Bytes of a plain file: tab, newline and printable ASCII. Anything else is left to
# configparser, whose idea of whitespace and line ends it could change.
_PLAIN_BYTES = bytes([9, 10, *range(0x20, 0x7F)])
# Each pattern below starts at a newline, which the text scanned gets in front of its first
# line too: a literal start is one the regular expression engine finds quickly.
#
# The plain forms of a line: a `name = value` (or `name: value`) at the start of the line, a
# section header at the start of the line, blank, an indented line (which in a plain file only
# ever continues the value above it), or a comment. configparser reads each form one way.
_NOT_PLAIN_LINE = re.compile(
    r"\n(?![^\s\[\]#;=:]+[ \t]*[=:]|\[[^\[\]\n]+\][ \t]*(?:\n|\Z)|[ \t]*(?:\n|\Z)|[ \t]+\S|[#;])"
)
# Settings before the first header, or an indented line right after a header (which
# configparser reads as a setting, not as the continuation it is everywhere else).
_BEFORE_ANY_HEADER = re.compile(r"\A\n(?:[ \t]*(?:[#;].*)?\n)*[^\[\n]")
_INDENTED_AFTER_HEADER = re.compile(r"\n\[.*\n(?:[ \t]*(?:[#;].*)?\n)*[ \t]+[^\s#;]")
# Each header's name, or each setting's: in a plain file, what configparser reads as one.
_HEADER_OR_SETTING = re.compile(r"\n(?:\[([^\[\]\n]+)\]|([^\s\[\]#;=:]+)[ \t]*[=:])")


def _plain_names(text: str) -> list[str] | None:
    """The section names of TEXT when every line of it takes a plain form and configparser
    would read it without error; None otherwise."""
    if not text.isascii() or text.encode("ascii").translate(None, _PLAIN_BYTES):
        return None
    scanned = "\n" + text if text.endswith("\n") else "\n" + text + "\n"
    if (
        _NOT_PLAIN_LINE.search(scanned)
        or _BEFORE_ANY_HEADER.match(scanned)
        or _INDENTED_AFTER_HEADER.search(scanned)
    ):
        return None
    names: dict[str, None] = {}
    settings: set[str] = set()
    for header, setting in _HEADER_OR_SETTING.findall(scanned):
        if header:
            # DEFAULT's settings belong to every section, and a repeated header is an error.
            if header in names or header == configparser.DEFAULTSECT:
                return None
            names[header] = None
            settings = set()
        else:
            # configparser compares setting names lower-cased.
            setting = setting.lower()
            if setting in settings:
                return None
            settings.add(setting)
    return list(names)


def _section_text(text: str, name: str) -> str:
    # In a plain file every line that starts with `[` is a header, and names are unique.
    opening = f"[{name}]"
    start = 0 if text.startswith(opening) else text.index("\n" + opening) + 1
    following = text.find("\n[", start)
    return text[start : following + 1 if following != -1 else len(text)]


def sections_of(text: str, path: str) -> Mapping[str, dict[str, str]]:
    """Every section of the INI text as raw strings, as configparser reads them."""
    names = _plain_names(text)
    if names is None:
        return _configparser_sections(text, path)

    def parsed(name: str) -> dict[str, str]:
        # A section's text alone reads as it does in the whole file: configparser carries
        # nothing from one section over to the next (DEFAULT aside, which is never here).
        parser = configparser.RawConfigParser()
        parser.read_string(_section_text(text, name))
        return dict(parser.items(name))

    return LazySections(names, parsed)


# The last reading of each file in this process: the hit path asks for the same files from
# several places, and reading them again costs little; parsing them again, more. A file whose
# bytes changed is parsed again.
_last_read: dict[str, tuple[bytes, Mapping[str, dict[str, str]]]] = {}


def read_sections(path: str) -> Mapping[str, dict[str, str]]:
    """Every section of an INI file as raw strings; {} when the file does not exist."""
    # botocore skips what is not a file (a FIFO, a device) as if it were absent.
    if not os.path.isfile(path):
        return {}
    try:
        data = read_regular_file(path) or b""
        last = _last_read.get(path)
        if last is not None and last[0] == data:
            return last[1]
        # configparser, and so botocore, decodes with the locale's encoding.
        text = data.decode(locale.getpreferredencoding(False))
    except (UnicodeDecodeError, OSError) as error:
        raise ConfigUnreadable(f"{path}: {type(error).__name__}") from None
    sections = sections_of(text, path)
    _last_read[path] = (data, sections)
    return sections


def section_profile_name(section: str) -> str | None:
    """The profile a config file section defines, or None."""
    if section.startswith("profile"):
        # `[profile NAME]`, quotes allowed around NAME; anything else starting with
        # "profile" that does not split into exactly two words names no profile. Without
        # quotes or backslashes shlex splits at spaces and tabs alone.
        if "'" in section or '"' in section or "\\" in section:
            try:
                words = shlex.split(section)
            except ValueError:
                return None
        else:
            words = section.split()
        return words[1] if len(words) == 2 else None
    return section if section == "default" else None


def config_profiles(sections: Mapping[str, Mapping[str, str]]) -> Profiles:
    """The profiles of a config file: `[profile NAME]` sections and `[default]`, later ones winning."""
    sources: dict[str, str] = {}
    for section in sections:
        name = section_profile_name(section)
        if name is not None:
            # A later section for the same profile replaces the earlier one, in its place.
            sources[name] = section
    return LazySections(sources, lambda name: dict(sections[sources[name]]))


# The last answer of read_profiles and the two readings it was made from: a run asks more than
# once (is the profile an SSO one? is its role in the cache?), and with thousands of profiles
# naming them all again costs milliseconds. A file that changed is read again by
# read_sections, whose new reading is another object.
_last_profiles: tuple[Mapping[str, dict[str, str]], Mapping[str, dict[str, str]], Profiles] | None
_last_profiles = None


def read_profiles(environ: Mapping[str, str] = os.environ) -> Profiles:
    """Every profile botocore would see: config file profiles, credentials file sections merged over them."""
    global _last_profiles
    config_sections = read_sections(config_file_path(environ))
    credentials = read_sections(credentials_file_path(environ))
    last = _last_profiles
    if last is not None and last[0] is config_sections and last[1] is credentials:
        return last[2]
    config = config_profiles(config_sections)

    def merged(name: str) -> dict[str, str]:
        profile = dict(config[name]) if name in config else {}
        if name in credentials:
            profile.update(credentials[name])
        return profile

    profiles = LazySections([*config, *credentials], merged)
    _last_profiles = (config_sections, credentials, profiles)
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
