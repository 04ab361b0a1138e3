"""What every dialect shares: the render pipeline and the refusal of uncarriable values."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable

from envgen.credentials import Changes
from envgen.errors import EnvgenError
from envgen.render import render_template


class UnsupportedValue(EnvgenError):
    """A value the target cannot carry exactly; refused rather than altered."""


def describe_character(char: str) -> str:
    names = {"\0": "a NUL byte", "\n": "a newline", "\r": "a carriage return", "\t": "a tab"}
    code = f"U+{ord(char):04X}"
    if char in names:
        return f"{names[char]} ({code})"
    if unicodedata.category(char) in ("Cc", "Cs"):
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
    return char == "\0" or "\ud800" <= char <= "\udfff"


class Dialect:
    """One target: how a value is quoted, which templates lay out the lines, how to apply them.

    Subclasses set `family` (the folder under templates/) and `apply` (the idiom
    that applies the output, with `{command}` where envgen's command line goes),
    and override `quote`.
    """

    family: str = ""
    apply: str = "{command}"
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


def names_of(dialects: Iterable[Dialect]) -> str:
    return ", ".join(d.name for d in dialects)
