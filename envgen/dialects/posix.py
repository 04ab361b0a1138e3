"""bash, zsh, sh, dash, ash and ksh: one quoting rule serves the whole POSIX family."""

from envgen.dialects.base import Dialect


class PosixDialect(Dialect):
    family = "posix"
    # Without the double quotes the shell would word-split and glob the
    # output, changing values with runs of blanks or a `*`.
    apply = 'eval "$({command})"'

    def quote(self, value: str) -> str:
        # Inside single quotes every byte but `'` is literal in every POSIX
        # shell, newlines included; `$'...'` would be shorter but dash prints
        # it literally. A quote closes, is escaped, and reopens.
        return "'" + value.replace("'", "'\\''") + "'"
