"""The registry of shells and formats: it drives `--shell` and `--format` choices, their help,
detection, and what --persist does for each shell.

A shell is one entry here: its dialect (quoting, templates, idioms) and the facts of how it
keeps variables for future sessions, which envgen.persist reads and never decides by name.
"""

from __future__ import annotations

from envgen.dialects import cmd, csh, elvish, fish, nu, posix, powershell, xonsh
from envgen.dialects.base import Dialect, Format, Persistence, RenderContext, UnsupportedValue
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

__all__ = [
    "FORMATS",
    "SHELLS",
    "Dialect",
    "Format",
    "Persistence",
    "RenderContext",
    "UnsupportedValue",
    "format_named",
    "shell_named",
]


def _sh_like(name: str, *, expands_tilde: bool = False) -> PosixDialect:
    rule = posix.env_file_else_profile(name, expands_tilde=expands_tilde)
    return PosixDialect(name, Persistence(startup_file=rule, managed_file=posix.MANAGED_FILE))


POWERSHELL_PERSISTENCE = Persistence(
    startup_file=powershell.profile,
    managed_file=powershell.MANAGED_FILE,
    kept_by_output=powershell.user_environment_on_windows,
)

# Keyed by the names shellingham reports, so a detected shell needs no mapping.
SHELLS: dict[str, Dialect] = {
    dialect.name: dialect
    for dialect in (
        PosixDialect(
            "bash",
            Persistence(startup_file=posix.bashrc, managed_file=posix.MANAGED_FILE),
            prompt_hook="hook-bash.j2",
        ),
        PosixDialect(
            "zsh",
            Persistence(startup_file=posix.zshrc, managed_file=posix.MANAGED_FILE),
            prompt_hook="hook-zsh.j2",
        ),
        _sh_like("sh"),
        _sh_like("dash"),
        _sh_like("ash"),
        # ksh also expands a leading `~` in $ENV.
        _sh_like("ksh", expands_tilde=True),
        FishDialect(
            "fish", Persistence(kept_by_output=fish.universal_variables), prompt_hook="hook.j2"
        ),
        PowerShellDialect("powershell", POWERSHELL_PERSISTENCE, prompt_hook="hook.j2"),
        PowerShellDialect("pwsh", POWERSHELL_PERSISTENCE, prompt_hook="hook.j2"),
        CmdDialect("cmd", Persistence(kept_by_output=cmd.user_environment)),
        CshDialect(
            "tcsh",
            Persistence(startup_file=csh.tcshrc_else_cshrc, managed_file=csh.MANAGED_FILE),
            byte_locale_output_bytes=csh.TCSH_BYTE_LOCALE_OUTPUT_BYTES,
            prompt_hook="hook-tcsh.j2",
        ),
        CshDialect(
            "csh",
            Persistence(startup_file=csh.cshrc, managed_file=csh.MANAGED_FILE),
            longest_word_bytes=csh.BSD_CSH_WORD_BYTES,
        ),
        ElvishDialect(
            "elvish",
            Persistence(startup_file=elvish.rc_elv, managed_file=elvish.MANAGED_FILE),
            prompt_hook="hook.j2",
        ),
        XonshDialect(
            "xonsh",
            Persistence(startup_file=xonsh.xonshrc, managed_file=xonsh.MANAGED_FILE),
            prompt_hook="hook.j2",
        ),
        NuDialect(
            "nu",
            Persistence(startup_file=nu.config_nu, managed_file=nu.MANAGED_FILE),
            prompt_hook="hook.j2",
        ),
    )
}

# `--format shell` (the default) means the detected or chosen shell.
FORMATS: dict[str, Format] = {
    output.name: output
    for output in (
        CredentialProcessFormat("json"),
        DotenvFormat("dotenv"),
    )
}

FORMAT_CHOICES = ("shell", *FORMATS)


def shell_named(name: str, *, source: str = "--shell") -> Dialect:
    dialect = SHELLS.get(name.strip().lower())
    if dialect is None:
        raise UsageError(f"{source}: unknown shell {name!r}; choose one of: {', '.join(SHELLS)}")
    return dialect


def format_named(name: str) -> Format | None:
    """The format, or None for `shell`, which defers to shell detection."""
    key = name.strip().lower()
    if key == "shell":
        return None
    if key not in FORMATS:
        raise UsageError(
            f"--format: unknown format {name!r}; choose one of: {', '.join(FORMAT_CHOICES)}"
        )
    return FORMATS[key]
