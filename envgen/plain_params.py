"""Plain str, int and bool command-line values, converted without pydantic.

Typer converts every parameter value through a pydantic TypeAdapter that it
builds on first use. Importing pydantic and building those adapters costs more
than the whole rest of an `envgen import` run (about 0.14 s on a slow laptop),
for values that arrive as the very type the command wants. So each plain
parameter gets a converter that answers the obvious cases itself and hands
everything else (a malformed number, a bytes value, anything unexpected) to
typer's own converter, which then builds its adapter as usual: typer's
conversions and error messages stay exactly the same.

This leans on typer's private names (`typer.core._TyperParameter`, its
`type_descriptor` and `_runtime_param`, `typer._coercion.build_runtime_param`),
as typer 0.29 has them. A typer release that moves them must not leave envgen
half-working until an unusual value arrives: `convert_plainly` checks every one of
them on each start and refuses to run, naming the typer version, when one moved.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, cast

from envgen.errors import EnvgenError

if TYPE_CHECKING:
    from typer._click import Command, Context
    from typer._coercion import RuntimeParam, TypeDescriptor
    from typer.core import _TyperParameter

# The typer release whose internals this module is written against (and tested with).
TESTED_TYPER = "0.29"

# What `int(...)` and typer's adapter agree on without doubt: ASCII digits with
# an optional sign. Anything else (underscores, spaces, other scripts' digits)
# goes to typer.
_PLAIN_INTEGER = re.compile(r"[+-]?[0-9]+\Z")

# What a type descriptor must answer for `_plain_annotation` to decide.
_DESCRIPTOR_FIELDS = (
    "annotation",
    "parameter_info",
    "is_file",
    "is_path",
    "is_choice",
    "is_ranged",
)

# How typer calls a parameter's converter: `coerce(value, param=..., ctx=...)`.
_COERCE_ARGUMENTS = ("self", "value", "param", "ctx")

BuildConverter = Callable[["TypeDescriptor"], "RuntimeParam"]


class TyperInternalsMoved(EnvgenError):
    """The installed typer no longer has the private names envgen's option parsing uses."""

    exit_code = 70

    def __init__(self, what: str) -> None:
        from importlib.metadata import PackageNotFoundError, version

        try:
            installed = f"typer {version('typer')}"
        except PackageNotFoundError:
            installed = "the installed typer"
        super().__init__(
            f"{installed} changed internals envgen relies on ({what}); install the typer "
            f"release envgen is tested with: pip install 'typer~={TESTED_TYPER}.0'"
        )


class PlainValueConverter:
    """Stands in for typer's converter of one parameter; falls back to it for the rest."""

    def __init__(
        self, parameter: _TyperParameter, annotation: type, build_converter: BuildConverter
    ) -> None:
        self._parameter = parameter
        self._annotation = annotation
        self._build_converter = build_converter
        self._typer_converter: RuntimeParam | None = None

    def _plain(self, value: object) -> tuple[bool, object]:
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

    def coerce(self, value: Any, param: _TyperParameter, ctx: Context) -> Any:
        if value is None:
            return None
        handled, converted = self._plain(value)
        if handled:
            return converted
        return self._fallback().coerce(value, param=param, ctx=ctx)

    def _fallback(self) -> RuntimeParam:
        # Built on first use only: this is where typer imports pydantic.
        if self._typer_converter is None:
            self._typer_converter = self._build_converter(self._parameter.type_descriptor)
        return self._typer_converter


def _typer_internals() -> tuple[type[_TyperParameter], BuildConverter]:
    """typer's parameter class and converter factory, after checking they are as expected."""
    try:
        from typer._coercion import RuntimeParam, build_runtime_param
        from typer.core import _TyperParameter
    except ImportError as missing:
        raise TyperInternalsMoved(f"cannot import {missing.name or 'a typer module'}") from None
    code = getattr(RuntimeParam.coerce, "__code__", None)
    if code is None or code.co_varnames[: code.co_argcount] != _COERCE_ARGUMENTS:
        raise TyperInternalsMoved(
            "its converters are no longer called as coerce(value, param, ctx)"
        )
    if not callable(getattr(_TyperParameter, "get_runtime_param", None)):
        raise TyperInternalsMoved("typer parameters have no get_runtime_param")
    return _TyperParameter, build_runtime_param


def _plain_annotation(parameter: _TyperParameter) -> type | None:
    """str, int or bool when `parameter` takes one such value as is; None otherwise."""
    descriptor = getattr(parameter, "type_descriptor", None)
    if descriptor is None or not hasattr(parameter, "_runtime_param"):
        raise TyperInternalsMoved(
            f"parameter {parameter.name} has no type_descriptor or _runtime_param"
        )
    missing = [field for field in _DESCRIPTOR_FIELDS if not hasattr(descriptor, field)]
    if missing:
        raise TyperInternalsMoved(f"type descriptors have no {', '.join(missing)}")
    if parameter.multiple or parameter.nargs != 1:
        return None
    annotation = descriptor.annotation
    if annotation not in (str, int, bool) or getattr(descriptor.parameter_info, "parser", None):
        return None
    if descriptor.is_file or descriptor.is_path or descriptor.is_choice or descriptor.is_ranged:
        return None
    return cast(type, annotation)


def _parameters(command: Command, help_option_names: list[str] | None) -> Iterator[object]:
    yield from command.params
    # The help option is made on first use; make it now, with the names a real
    # run would give it, so it gets the plain converter too.
    context = command.context_class(command, help_option_names=help_option_names)
    help_option = command.get_help_option(context)
    if help_option is not None:
        yield help_option


def convert_plainly(command: Command, help_option_names: list[str] | None = None) -> None:
    """Give every plain parameter of `command` and its subcommands the pydantic-free converter.

    Raises TyperInternalsMoved when typer's private names are not what this module uses.
    """
    parameter_class, build_converter = _typer_internals()
    settings = command.context_settings or {}
    help_option_names = settings.get("help_option_names", help_option_names)
    for parameter in _parameters(command, help_option_names):
        if not isinstance(parameter, parameter_class):
            raise TyperInternalsMoved(f"parameter {getattr(parameter, 'name', '?')} is not typer's")
        annotation = _plain_annotation(parameter)
        if annotation is None or parameter._runtime_param is not None:
            continue
        converter = PlainValueConverter(parameter, annotation, build_converter)
        # Duck-typed: typer only ever calls coerce(value, param=, ctx=) on it, which
        # _typer_internals checked.
        parameter._runtime_param = cast("RuntimeParam", converter)
        if parameter.get_runtime_param() is not parameter._runtime_param:
            raise TyperInternalsMoved(
                "typer no longer takes a parameter's converter from _runtime_param"
            )
    for subcommand in getattr(command, "commands", {}).values():
        convert_plainly(subcommand, help_option_names)
