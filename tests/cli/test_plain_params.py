"""envgen's pydantic-free converter gives exactly what typer's own converter gives, and
envgen refuses to start, in one line naming typer's version, when typer's internals move."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version
from typing import Annotated, Any

import pytest
import typer
from typer._click import Context
from typer._coercion import build_runtime_param

from conftest import HARNESS
from envgen.cli import app as envgen_app
from envgen.plain_params import PlainValueConverter, TyperInternalsMoved, convert_plainly
from moved_typer import MOVES

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
    plain = PlainValueConverter(
        parameter, parameter.type_descriptor.annotation, build_runtime_param
    )
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


@pytest.mark.parametrize("move", MOVES)
def test_moved_typer_internals_are_refused_before_any_input(
    move: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    MOVES[move](monkeypatch)
    with pytest.raises(TyperInternalsMoved) as refused:
        convert_plainly(typer.main.get_command(envgen_app))
    assert f"typer {version('typer')} changed internals" in refused.value.message
    assert "pip install 'typer~=0.29.0'" in refused.value.message


@pytest.mark.parametrize("move", MOVES)
@pytest.mark.parametrize("arguments", [["--version"], ["import", "--help"]])
def test_envgen_stops_at_start_in_one_line_when_typer_moved(
    move: str, arguments: list[str], clean_env: dict[str, str]
) -> None:
    result = subprocess.run(
        [sys.executable, str(HARNESS / "moved_typer.py"), move, *arguments],
        capture_output=True,
        env=clean_env,
        timeout=60,
    )
    stderr = result.stderr.decode()
    assert result.returncode == 70, stderr
    assert result.stdout == b""
    assert stderr.count("\n") == 1, stderr
    assert stderr.startswith(f"envgen: error: typer {version('typer')} changed internals"), stderr


def test_the_installed_typer_passes_the_start_up_check() -> None:
    command = typer.main.get_command(envgen_app)
    convert_plainly(command)
    converters = [
        parameter._runtime_param
        for subcommand in [command, *getattr(command, "commands", {}).values()]
        for parameter in subcommand.params
    ]
    assert any(isinstance(converter, PlainValueConverter) for converter in converters)
