"""xonsh."""

from __future__ import annotations

from collections.abc import Sequence

from envgen.dialects.base import Dialect

# typing.TYPE_CHECKING without loading typing: see envgen.values.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path

    from envgen.places import UserPlaces

MANAGED_FILE = "persist.xsh"


class XonshDialect(Dialect):
    family = "xonsh"
    apply = "execx($({command}))"
    # $(...) ignores the exit status unless RAISE_SUBPROC_ERROR is set.
    script_apply = "with ${{...}}.swap(RAISE_SUBPROC_ERROR=True): execx($({command}))"

    def quote(self, value: str) -> str:
        # xonsh reads `$NAME = ...` in Python mode, where a plain string
        # literal expands nothing; ascii() escapes every control and
        # non-ASCII character, so the literal stays on one line whatever
        # the terminal's encoding.
        return ascii(value)

    def hook_command(self, envgen: Sequence[str]) -> str:
        # In subprocess mode @(...) passes a Python value as one word, untouched.
        return " ".join(
            f"@({self.quote_path(word, 'the command that runs envgen')})" for word in envgen
        )


def xonshrc(places: UserPlaces) -> Path:
    return places.home / ".xonshrc"
