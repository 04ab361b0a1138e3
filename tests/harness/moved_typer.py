"""Ways a typer release could move the private names envgen/plain_params.py relies on.

Each move takes a pytest.MonkeyPatch, so a test applies it in-process (and pytest undoes
it), or in a child process: `python moved_typer.py MOVE ARGS...` applies MOVE, then runs
envgen's main() on ARGS as the console script does.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import pytest
import typer._coercion
import typer.core

Move = Callable[[pytest.MonkeyPatch], None]


def _factory_renamed(patch: pytest.MonkeyPatch) -> None:
    patch.delattr(typer._coercion, "build_runtime_param")


def _parameter_class_renamed(patch: pytest.MonkeyPatch) -> None:
    patch.delattr(typer.core, "_TyperParameter")


def _descriptor_field_dropped(patch: pytest.MonkeyPatch) -> None:
    patch.delattr(typer._coercion.TypeDescriptor, "is_ranged")


def _converter_called_differently(patch: pytest.MonkeyPatch) -> None:
    def coerce(self: object, value: object, context: object) -> object:
        return value

    patch.setattr(typer._coercion.RuntimeParam, "coerce", coerce)


def _converter_slot_renamed(patch: pytest.MonkeyPatch) -> None:
    # typer keeps each converter somewhere else: what envgen writes is never read.
    def get_runtime_param(self: typer.core._TyperParameter) -> typer._coercion.RuntimeParam:
        return typer._coercion.build_runtime_param(self.type_descriptor)

    patch.setattr(typer.core._TyperParameter, "get_runtime_param", get_runtime_param)


MOVES: dict[str, Move] = {
    "converter factory renamed": _factory_renamed,
    "parameter class renamed": _parameter_class_renamed,
    "descriptor field dropped": _descriptor_field_dropped,
    "converter called differently": _converter_called_differently,
    "converter slot renamed": _converter_slot_renamed,
}

if __name__ == "__main__":
    MOVES[sys.argv[1]](pytest.MonkeyPatch())
    sys.argv[0:2] = ["envgen"]
    from envgen.cli import main

    main()
