"""xonsh."""

from envgen.dialects.base import Dialect


class XonshDialect(Dialect):
    family = "xonsh"
    apply = "execx($({command}))"

    def quote(self, value: str) -> str:
        # xonsh reads `$NAME = ...` in Python mode, where a plain string
        # literal expands nothing; ascii() escapes every control and
        # non-ASCII character, so the literal stays on one line whatever
        # the terminal's encoding.
        return ascii(value)
