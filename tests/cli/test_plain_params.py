"""envgen's pydantic-free converter gives exactly what typer's own converter gives."""

from __future__ import annotations

from typing import Annotated, Any

import pytest
import typer
from typer._click import Context
from typer._coercion import build_runtime_param

from envgen.plain_params import PlainValueConverter, convert_plainly

app = typer.Typer()


@app.command()
def sample(
    name: Annotated[str | None, typer.Option()] = None,
    seconds: Annotated[int | None, typer.Option()] = None,
    flag: Annotated[bool, typer.Option()] = False,
    bounded: Annotated[int, typer.Option(min=1, max=9)] = 5,
) -> None:
    pass


INPUTS: dict[str, list[Any]] = {
    "name": ["x", "", "ü ∂ \t", "--", None, b"bytes"],
    "seconds": [
        "0",
        "1800",
        "-5",
        "+7",
        "007",
        "3_600",
        " 12",
        "12 ",
        "abc",
        "1.0",
        "１２",
        "",
        None,
        42,
        True,
    ],
    "flag": [True, False, None, "yes"],
}


def outcome(converter: Any, value: Any, parameter: Any, context: Context) -> Any:
    try:
        return ("value", converter.coerce(value, param=parameter, ctx=context))
    except Exception as error:
        return ("error", type(error).__name__, str(error))


@pytest.mark.parametrize(
    "parameter_name, value",
    [(name, value) for name, values in INPUTS.items() for value in values],
)
def test_same_result_as_typer(parameter_name: str, value: Any) -> None:
    command = typer.main.get_command(app)
    parameter = next(p for p in command.params if p.name == parameter_name)
    context = Context(command)
    typer_converter = build_runtime_param(parameter.type_descriptor)
    plain = PlainValueConverter(parameter, parameter.type_descriptor.annotation)
    expected = outcome(typer_converter, value, parameter, context)
    assert outcome(plain, value, parameter, context) == expected
    assert type(expected[1]) is type(outcome(plain, value, parameter, context)[1])


def test_only_plain_parameters_are_converted_and_help_is_covered() -> None:
    command = typer.main.get_command(app)
    convert_plainly(command)
    converted = {
        p.name for p in command.params if isinstance(p._runtime_param, PlainValueConverter)
    }
    assert converted == {"name", "seconds", "flag", "install_completion", "show_completion"}
    assert isinstance(command._help_option._runtime_param, PlainValueConverter)
