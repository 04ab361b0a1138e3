"""Plain str, int and bool command-line values, converted without pydantic.

Typer converts every parameter value through a pydantic TypeAdapter that it
builds on first use. Importing pydantic and building those adapters costs more
than the whole rest of an `envgen import` run (about 0.14 s on a slow laptop),
for values that arrive as the very type the command wants. So each plain
parameter gets a converter that answers the obvious cases itself and hands
everything else (a malformed number, a bytes value, anything unexpected) to
typer's own converter, which then builds its adapter as usual: typer's
conversions and error messages stay exactly the same.
"""

from __future__ import annotations

import re
from typing import Any

# What `int(...)` and typer's adapter agree on without doubt: ASCII digits with
# an optional sign. Anything else (underscores, spaces, other scripts' digits)
# goes to typer.
_PLAIN_INTEGER = re.compile(r"[+-]?[0-9]+\Z")


class PlainValueConverter:
    """Stands in for typer's converter of one parameter; falls back to it for the rest."""

    def __init__(self, parameter: Any, annotation: type) -> None:
        self._parameter = parameter
        self._annotation = annotation
        self._typer_converter: Any = None

    def _plain(self, value: Any) -> tuple[bool, Any]:
        kind = self._annotation
        if kind is str and type(value) is str:
            return True, value
        if kind is bool and type(value) is bool:
            return True, value
        if kind is int:
            if type(value) is int:
                return True, value
            if type(value) is str and _PLAIN_INTEGER.match(value):
                return True, int(value)
        return False, None

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        if value is None:
            return None
        handled, converted = self._plain(value)
        if handled:
            return converted
        return self._fallback().coerce(value, param=param, ctx=ctx)

    def _fallback(self) -> Any:
        if self._typer_converter is None:
            from typer._coercion import build_runtime_param

            self._typer_converter = build_runtime_param(self._parameter.type_descriptor)
        return self._typer_converter


def _is_plain(parameter: Any) -> type | None:
    descriptor = getattr(parameter, "type_descriptor", None)
    if descriptor is None or not hasattr(parameter, "_runtime_param"):
        return None
    if parameter.multiple or parameter.nargs != 1:
        return None
    info = descriptor.parameter_info
    annotation = descriptor.annotation
    if annotation not in (str, int, bool) or getattr(info, "parser", None) is not None:
        return None
    if descriptor.is_file or descriptor.is_path or descriptor.is_choice or descriptor.is_ranged:
        return None
    return annotation


def _help_option(command: Any, help_option_names: list[str] | None) -> Any:
    # The help option is made on first use; make it now, with the names a real
    # run would give it, so it gets the plain converter too.
    if not hasattr(command, "get_help_option"):
        return None
    context = command.context_class(command, help_option_names=help_option_names)
    return command.get_help_option(context)


def convert_plainly(command: Any, help_option_names: list[str] | None = None) -> None:
    """Give every plain parameter of `command` and its subcommands the pydantic-free converter."""
    settings = getattr(command, "context_settings", None) or {}
    help_option_names = settings.get("help_option_names", help_option_names)
    help_option = _help_option(command, help_option_names)
    for parameter in [*getattr(command, "params", ()), help_option]:
        annotation = _is_plain(parameter)
        if annotation is not None and parameter._runtime_param is None:
            parameter._runtime_param = PlainValueConverter(parameter, annotation)
    for subcommand in getattr(command, "commands", {}).values():
        convert_plainly(subcommand, help_option_names)
