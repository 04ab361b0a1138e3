"""cmd.exe."""

from __future__ import annotations

from envgen.credentials import Changes
from envgen.dialects.base import Dialect, UnsupportedValue, is_never_carriable
from envgen.render import render_template

# typing.TYPE_CHECKING without loading typing: see envgen.values.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from envgen.places import UserPlaces

# cmd reads each line after `%` expansion, after `& | < > " ^` handling and,
# with delayed expansion on, after `!` expansion; and the same line behaves
# differently through FOR /F and in a .cmd file. No escaping is right in every
# context, so these are refused instead of guessed at.
CMD_SPECIAL = frozenset('"%!^&|<>')

# One command line holds at most this many characters.
CMD_LINE_LIMIT = 8191

# SETX stores at most this many characters of a value: beyond it, it prints a
# warning, stores the value cut short and still reports success.
SETX_VALUE_LIMIT = 1024

USER_ENVIRONMENT_KEY = "HKCU\\Environment"


def _quoted_argument(value: str) -> str:
    # SETX and REG split their command line by the C runtime's rules, where
    # backslashes just before a closing quote would escape it: double them.
    trailing = len(value) - len(value.rstrip("\\"))
    return '"' + value + "\\" * trailing + '"'


def _needs_registry_write(value: str) -> bool:
    # SETX would truncate a long value, and could read one that begins like a
    # switch as a switch; REG ADD /d takes any value whole.
    return len(value) > SETX_VALUE_LIMIT or value.startswith(("/", "-"))


class CmdDialect(Dialect):
    family = "cmd"
    apply = "FOR /F \"delims=\" %i IN ('{command}') DO @%i"
    # FOR /F never sees the command's status; in a .bat file the EXIT /B line
    # printed instead of envgen's empty output ends the script.
    script_apply = "FOR /F \"delims=\" %%i IN ('{command} ^|^| ECHO EXIT /B 1') DO @%%i"

    def forbids(self, char: str) -> bool:
        # FOR /F decodes envgen's output in the console code page, so a
        # non-ASCII character could arrive as another one.
        return is_never_carriable(char) or char in CMD_SPECIAL or char < " " or char >= "\x7f"

    def quote(self, value: str) -> str:
        return value

    def check(self, variable: str, value: str) -> None:
        super().check(variable, value)
        self.check_line(variable, f'SET "{variable}={value}"')

    def check_line(self, variable: str, line: str) -> None:
        if len(line) > CMD_LINE_LIMIT:
            raise UnsupportedValue(
                f"{variable} would need a {len(line)}-character line, longer than cmd's "
                f"{CMD_LINE_LIMIT}; refusing rather than truncating it{self.advice}"
            )

    def render_persist(self, changes: Changes) -> str:
        """SETX for what it can carry whole, REG ADD for the rest, REG DELETE to remove.

        REG ADD tells no running program about the change, so new windows
        started from Explorer would not see it; a SETX after it broadcasts
        WM_SETTINGCHANGE, and they then read the whole key again. SETX cannot
        delete a value: REG DELETE does, without that broadcast.
        """
        registry: list[tuple[str, str]] = []
        setx: list[tuple[str, str]] = []
        for variable, value in changes.assignments.items():
            self.check(variable, value)
            argument = _quoted_argument(value)
            if _needs_registry_write(value):
                registry.append((variable, argument))
            else:
                setx.append((variable, argument))
        if registry and not setx:
            raise UnsupportedValue(
                f"{', '.join(name for name, _ in registry)} cannot go through SETX (too long "
                "or starting like a switch) and no other value can, so no SETX would make new "
                "windows see them; refusing rather than keeping them half-way"
            )
        text = render_template(
            "cmd/persist.j2",
            registry=registry,
            setx=setx,
            unsets=changes.unsets,
            key=USER_ENVIRONMENT_KEY,
        )
        for line in text.splitlines():
            variable = next((name for name in changes.assignments if f" {name} " in line), "")
            self.check_line(variable, line)
        return text


def user_environment(places: UserPlaces) -> str:
    return f"the user environment ({USER_ENVIRONMENT_KEY}), read by new cmd windows"
