"""bash, zsh, sh, dash, ash and ksh: one quoting rule serves the whole POSIX family."""

from __future__ import annotations

from collections.abc import Callable

from envgen.dialects.base import Dialect

# typing.TYPE_CHECKING without loading typing: see envgen.values.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path

    from envgen.places import UserPlaces

MANAGED_FILE = "persist.sh"


class PosixDialect(Dialect):
    family = "posix"
    # Without the double quotes the shell would word-split and glob the
    # output, changing values with runs of blanks or a `*`.
    apply = 'eval "$({command})"'
    # eval of empty text succeeds, so a failed envgen would go unnoticed; the
    # assignment's status is envgen's own, and a bare `exit` passes it on.
    script_apply = 'out=$({command}) || exit; eval "$out"'

    def quote(self, value: str) -> str:
        # Inside single quotes every byte but `'` is literal in every POSIX
        # shell, newlines included; `$'...'` would be shorter but dash prints
        # it literally. A quote closes, is escaped, and reopens.
        return "'" + value.replace("'", "'\\''") + "'"


def bashrc(places: UserPlaces) -> Path:
    return places.home / ".bashrc"


def zshrc(places: UserPlaces) -> Path:
    return places.zsh_directory() / ".zshrc"


def env_file_else_profile(shell: str, *, expands_tilde: bool) -> Callable[[UserPlaces], Path]:
    """sh, dash, ash and ksh: an interactive shell reads the file $ENV names, a login shell
    reads ~/.profile (and passes what it exports on)."""

    def startup_file(places: UserPlaces) -> Path:
        return places.env_file(shell, expands_tilde=expands_tilde) or places.home / ".profile"

    return startup_file
