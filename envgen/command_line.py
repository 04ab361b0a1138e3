"""A command line as envgen repeats it to the user (in the terminal hint): runnable as shown,
with the values of secret options masked."""

from __future__ import annotations

import shlex
from collections.abc import Collection, Sequence


def _names_a_source(value: str) -> bool:
    # `file://PATH` and `-` say where a secret is, not what it is: the hint keeps them, so
    # it can be run as shown.
    return value == "-" or value.startswith("file://")


def masked_command_line(argv: Sequence[str], secret_options: Collection[str]) -> str:
    """`envgen ARGV...`, each value given to one of `secret_options` shown as `...`."""
    shown: list[str] = []
    hide_next = False
    for argument in argv:
        if hide_next:
            shown.append(argument if _names_a_source(argument) else "...")
            hide_next = False
            continue
        option, equals, value = argument.partition("=")
        if option in secret_options:
            if equals:
                shown.append(argument if _names_a_source(value) else f"{option}=...")
            else:
                shown.append(argument)
                hide_next = True
            continue
        shown.append(argument)
    return "envgen " + shlex.join(shown)
