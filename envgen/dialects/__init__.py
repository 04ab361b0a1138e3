"""The registry of dialects: it drives `--shell` and `--format` choices, their help, and detection."""

from __future__ import annotations

from envgen.dialects.base import Dialect, UnsupportedValue
from envgen.dialects.cmd import CmdDialect
from envgen.dialects.csh import CshDialect
from envgen.dialects.elvish import ElvishDialect
from envgen.dialects.fish import FishDialect
from envgen.dialects.formats import CredentialProcessFormat, DotenvFormat
from envgen.dialects.nu import NuDialect
from envgen.dialects.posix import PosixDialect
from envgen.dialects.powershell import PowerShellDialect
from envgen.dialects.xonsh import XonshDialect
from envgen.errors import UsageError

__all__ = ["FORMATS", "SHELLS", "Dialect", "UnsupportedValue", "format_named", "shell_named"]


def _by_name(*dialects: Dialect) -> dict[str, Dialect]:
    return {dialect.name: dialect for dialect in dialects}


# Keyed by the names shellingham reports, so a detected shell needs no mapping.
SHELLS: dict[str, Dialect] = _by_name(
    PosixDialect("bash"),
    PosixDialect("zsh"),
    PosixDialect("sh"),
    PosixDialect("dash"),
    PosixDialect("ash"),
    PosixDialect("ksh"),
    FishDialect("fish"),
    PowerShellDialect("powershell"),
    PowerShellDialect("pwsh"),
    CmdDialect("cmd"),
    CshDialect("tcsh"),
    CshDialect("csh"),
    ElvishDialect("elvish"),
    XonshDialect("xonsh"),
    NuDialect("nu"),
)

# `--format shell` (the default) means the detected or chosen shell.
FORMATS: dict[str, Dialect] = _by_name(
    CredentialProcessFormat("json"),
    DotenvFormat("dotenv"),
)

FORMAT_CHOICES = ("shell", *FORMATS)


def shell_named(name: str, *, source: str = "--shell") -> Dialect:
    dialect = SHELLS.get(name.strip().lower())
    if dialect is None:
        raise UsageError(f"{source}: unknown shell {name!r}; choose one of: {', '.join(SHELLS)}")
    return dialect


def format_named(name: str) -> Dialect | None:
    """The format's dialect, or None for `shell`, which defers to shell detection."""
    key = name.strip().lower()
    if key == "shell":
        return None
    if key not in FORMATS:
        raise UsageError(
            f"--format: unknown format {name!r}; choose one of: {', '.join(FORMAT_CHOICES)}"
        )
    return FORMATS[key]
