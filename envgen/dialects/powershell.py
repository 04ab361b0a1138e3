"""powershell (Windows PowerShell 5.1) and pwsh (PowerShell 7)."""

from __future__ import annotations

from collections.abc import Sequence

from envgen.dialects.base import Dialect

# typing.TYPE_CHECKING without loading typing: see envgen.values.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path

    from envgen.places import UserPlaces

# PowerShell's tokenizer ends a single-quoted string at any of these five
# characters (CharTraits.IsSingleQuote), not only at the ASCII one. Doubling
# each keeps it literal; escaping only `'` leaves an injection open.
SINGLE_QUOTES = frozenset("'\u2018\u2019\u201a\u201b")


def _char_expression(char: str) -> str:
    # .NET strings are UTF-16, so a character beyond the BMP is two chars.
    units = char.encode("utf-16-le")
    codes = [int.from_bytes(units[i : i + 2], "little") for i in range(0, len(units), 2)]
    return " + ".join(f"[char]0x{code:04X}" for code in codes)


class PowerShellDialect(Dialect):
    family = "powershell"
    apply = "{command} | Invoke-Expression"
    # A native command's failure only sets $LASTEXITCODE; the pipeline carries on.
    script_apply = (
        "$out = {command}; if ($LASTEXITCODE) {{ exit $LASTEXITCODE }}; $out | Invoke-Expression"
    )

    def quote(self, value: str) -> str:
        # Invoke-Expression runs each piped line as its own script, so a
        # statement must fit on one line: a newline inside a literal would
        # split it. Console output is decoded with [Console]::OutputEncoding,
        # which can mangle non-ASCII text. So printable ASCII stays inside
        # verbatim single quotes and every other character is joined in as
        # [char]; the four non-ASCII quote characters thus never reach a
        # literal, and the ASCII one is doubled.
        parts: list[str] = []
        run: list[str] = []

        def close_run() -> None:
            if run:
                parts.append("'" + "".join(run) + "'")
                run.clear()

        for char in value:
            if " " <= char <= "~":
                run.append(char * 2 if char in SINGLE_QUOTES else char)
            else:
                close_run()
                parts.append(_char_expression(char))
        close_run()
        if not parts[0].startswith("'"):
            # A leading string makes every `+` concatenate rather than add [char]s.
            parts.insert(0, "''")
        return " + ".join(parts)

    def hook_command(self, envgen: Sequence[str]) -> str:
        # A quoted word may be a concatenation ('a' + [char]0x00E9), which a command's
        # arguments would split at each `+`: in parentheses it is one expression.
        return " ".join(
            f"({self.quote_path(word, 'the command that runs envgen')})" for word in envgen
        )


# On Windows, [Environment]::SetEnvironmentVariable(..., 'User') writes
# HKCU\Environment and tells running programs; elsewhere it silently does
# nothing, so pwsh there gets a managed file that $PROFILE dot-sources.
MANAGED_FILE = "persist.ps1"


def user_environment_on_windows(places: UserPlaces) -> str | None:
    if not places.windows:
        return None
    return "the user environment (HKCU\\Environment), read by new sessions"


def profile(places: UserPlaces) -> Path:
    # $PROFILE (CurrentUserCurrentHost) of pwsh on Linux and macOS.
    return places.config_home / "powershell" / "Microsoft.PowerShell_profile.ps1"
