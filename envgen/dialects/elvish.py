"""elvish."""

from envgen.dialects.base import Dialect


class ElvishDialect(Dialect):
    family = "elvish"
    apply = "eval ({command} | slurp)"

    def quote(self, value: str) -> str:
        # Elvish single quotes are verbatim, newlines included; `''` is the only escape.
        return "'" + value.replace("'", "''") + "'"
