"""tcsh and csh."""

from envgen.dialects.base import Dialect, is_never_carriable

_CSH_ESCAPES = {"'": "'\\''", "\\": "'\\\\'", "!": "\\!"}

class CshDialect(Dialect):
    family = "csh"
    # The unquoted form would split words and expand braces. Each line ends in
    # `;` because the backquotes hand eval the lines joined by spaces.
    apply = 'eval "`{command}`"'

    def forbids(self, char: str) -> bool:
        # csh has no quoting that survives a newline through eval and backquotes.
        return is_never_carriable(char) or char in "\r\n"

    def quote(self, value: str) -> str:
        # Single quotes do not stop history substitution, so `!` needs its
        # backslash even inside them. With `backslash_quote` set a backslash
        # inside quotes escapes, so it is written outside them as `\\`; a
        # quote closes, is escaped, and reopens as in POSIX shells.
        return "'" + "".join(_CSH_ESCAPES.get(char, char) for char in value) + "'"
