"""cmd.exe."""

from envgen.dialects.base import Dialect, UnsupportedValue, is_never_carriable

# cmd reads each line after `%` expansion, after `& | < > " ^` handling and,
# with delayed expansion on, after `!` expansion; and the same line behaves
# differently through FOR /F and in a .cmd file. No escaping is right in every
# context, so these are refused instead of guessed at.
CMD_SPECIAL = frozenset('"%!^&|<>')

# One command line holds at most this many characters.
CMD_LINE_LIMIT = 8191


class CmdDialect(Dialect):
    family = "cmd"
    apply = "FOR /F \"delims=\" %i IN ('{command}') DO @%i"
    def forbids(self, char: str) -> bool:
        # FOR /F decodes envgen's output in the console code page, so a
        # non-ASCII character could arrive as another one.
        return (
            is_never_carriable(char)
            or char in CMD_SPECIAL
            or char < " "
            or char >= "\x7f"
        )

    def quote(self, value: str) -> str:
        return value

    def check(self, variable: str, value: str) -> None:
        super().check(variable, value)
        line_length = len(f'SET "{variable}={value}"')
        if line_length > CMD_LINE_LIMIT:
            raise UnsupportedValue(
                f"{variable} would need a {line_length}-character line, longer than cmd's "
                f"{CMD_LINE_LIMIT}; refusing rather than truncating it{self.advice}"
            )
