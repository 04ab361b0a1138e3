"""bash, zsh, sh, dash, ash and ksh: one quoting rule serves the whole POSIX family."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from envgen.dialects.base import Dialect

if TYPE_CHECKING:
    from envgen.persist.places import UserPlaces


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

    persist_file_name = "persist.sh"

    def startup_file(self, places: UserPlaces) -> Path:
        if self.name == "bash":
            return places.home / ".bashrc"
        if self.name == "zsh":
            return places.zsh_directory() / ".zshrc"
        # sh, dash, ash and ksh: an interactive shell reads the file $ENV
        # names, a login shell reads ~/.profile (and passes what it exports on).
        return places.env_file(self.name, expands_tilde=self.name == "ksh") or (
            places.home / ".profile"
        )
