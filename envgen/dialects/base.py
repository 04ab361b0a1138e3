"""What every dialect shares: the render pipeline and the refusal of uncarriable values."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from envgen.credentials import Changes, lone_surrogate_in
from envgen.errors import EnvgenError, UsageError
from envgen.render import render_template

if TYPE_CHECKING:
    from envgen.persist.places import UserPlaces


class UnsupportedValue(EnvgenError):
    """A value the target cannot carry exactly; refused rather than altered."""


def describe_character(char: str) -> str:
    names = {"\0": "a NUL byte", "\n": "a newline", "\r": "a carriage return", "\t": "a tab"}
    code = f"U+{ord(char):04X}"
    if char in names:
        return f"{names[char]} ({code})"
    category = unicodedata.category(char)
    if category == "Cs":
        return f"a lone surrogate ({code})"
    if category == "Cc":
        return f"a control character ({code})"
    return f"{char!r} ({code})"


def refuse_characters(
    variable: str, value: str, target: str, forbidden: Callable[[str], bool], advice: str = ""
) -> None:
    for char in value:
        if forbidden(char):
            raise UnsupportedValue(
                f"{variable} contains {describe_character(char)}, which {target} cannot carry "
                f"exactly; refusing rather than changing the value{advice}"
            )


def is_never_carriable(char: str) -> bool:
    # No environment block holds a NUL, and a lone surrogate has no encoding
    # to travel through stdout as.
    return char == "\0" or lone_surrogate_in(char) is not None


class Dialect:
    """One target: how a value is quoted, which templates lay out the lines, how to apply them.

    Subclasses set `family` (the folder under templates/), `apply` (the idiom
    that applies the output, with `{command}` where envgen's command line goes)
    and `script_apply` (the form for scripts, which stops the script when envgen
    fails, where `apply` would carry on), and override `quote`.
    """

    family: str = ""
    apply: str = "{command}"
    script_apply: str = "{command}"
    is_shell: bool = True
    advice: str = "; --format json carries any value"

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"

    def forbids(self, char: str) -> bool:
        return is_never_carriable(char)

    def quote(self, value: str) -> str:
        raise NotImplementedError

    def check(self, variable: str, value: str) -> None:
        refuse_characters(variable, value, self.name, self.forbids, self.advice)

    def quoted(self, assignments: dict[str, str]) -> list[tuple[str, str]]:
        pairs = []
        for variable, value in assignments.items():
            self.check(variable, value)
            pairs.append((variable, self.quote(value)))
        return pairs

    def render(self, changes: Changes) -> str:
        return render_template(
            f"{self.family}/set.j2",
            assignments=self.quoted(changes.assignments),
            unsets=changes.unsets,
        )

    def apply_hint(self, command: str) -> str:
        return self.apply.format(command=command)

    def script_hint(self, command: str) -> str:
        return self.script_apply.format(command=command)

    # --persist comes in two kinds. A shell that keeps variables itself (fish's
    # universal variables, the Windows user environment) answers True in
    # persists_in_output and renders the commands from <family>/persist.j2.
    # Every other shell names its startup file, where <family>/persist-block.j2
    # applies the managed file `persist_file_name` that envgen writes.
    persist_file_name: str = ""

    def persists_in_output(self, places: UserPlaces) -> bool:
        return False

    def persisted_in(self, places: UserPlaces) -> str:
        """Where the output's own commands keep the variables, for the message on stderr."""
        raise NotImplementedError

    def render_persist(self, changes: Changes, places: UserPlaces) -> str:
        return render_template(
            f"{self.family}/persist.j2",
            assignments=self.quoted(changes.assignments),
            unsets=changes.unsets,
        )

    def startup_file(self, places: UserPlaces) -> Path:
        raise UsageError(f"--persist is not available for {self.name}")

    def render_startup_block(self, managed_file: Path) -> str:
        return render_template(
            f"{self.family}/persist-block.j2", path=self.quote_path(str(managed_file))
        )

    def quote_path(self, path: str) -> str:
        """A path as a literal in the shell's startup file."""
        self.check("the path of envgen's managed file", path)
        return self.quote(path)
