"""The one Jinja2 environment over templates/, shared by every dialect, and the templates it
compiled ahead of time.

Importing Jinja2 costs more than the rest of a cached `envgen assume` (its lexer, parser and
compiler load with it). scripts/compile-templates therefore has this environment compile
the templates into Python once, and keeps the code Jinja2 wrote in
envgen/compiled_templates.py. A template whose compiled code needs nothing of Jinja2's
runtime but a variable lookup (see `compiled_code_needs`) renders by running that code here,
without importing Jinja2; every other template, a template changed since it was compiled, or
a call that leaves out one of a template's variables goes to Jinja2 itself.
tests/test_render.py renders every template both ways and compares.
"""

from __future__ import annotations

import builtins
import functools
import os
from collections.abc import Callable, Iterator, Mapping

# typing.TYPE_CHECKING without loading typing: see envgen.values.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

    import jinja2


def _templates_folder() -> str:
    # os.path rather than pathlib: every shell output reads a template here (to check its
    # compiled form), and loading pathlib would cost that run 4 ms.
    package_dir = os.path.dirname(os.path.realpath(__file__))
    # An installed wheel carries the templates inside the package; a source
    # checkout (or an editable install) keeps them at the top of the repository.
    for candidate in (package_dir, os.path.dirname(package_dir)):
        if os.path.isdir(os.path.join(candidate, "templates")):
            return os.path.join(candidate, "templates")
    raise RuntimeError(f"envgen's templates are missing: looked in {package_dir}")


def templates_dir() -> Path:
    from pathlib import Path

    return Path(_templates_folder())


@functools.cache
def environment() -> jinja2.Environment:
    # Imported here so commands that render nothing never pay for Jinja2.
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_template(name: str, **context: object) -> str:
    compiled = _compiled_root(name, context)
    if compiled is not None:
        return "".join(compiled(_Context(context)))
    return environment().get_template(name).render(**context)


# What compiled code may use and still run here: the names Jinja2's code generator always
# binds (`missing`, `Undefined`), the environment's `undefined` and `concat`, the context's
# `resolve_or_missing`, and Python's builtins. Filters, tests, attribute and item lookups,
# loops that know their position, macros and includes all need Jinja2's runtime.
_RUNTIME_NAMES = frozenset({"missing", "Undefined", "environment"})
_ENVIRONMENT_ATTRIBUTES = frozenset({"undefined", "concat"})
_CONTEXT_ATTRIBUTES = frozenset({"resolve_or_missing"})
# The line Jinja2 puts first in every compiled template; the names it imports are given
# here instead (those the code may use) or not at all.
_JINJA_IMPORT = "from jinja2.runtime import "


def compiled_code_needs(code: str) -> tuple[str, ...] | None:
    """The variables `code` (a template as Jinja2 compiles it) looks up, when it runs with
    this module's runtime; None when it needs more of Jinja2 than that."""
    import ast

    first_line, _newline, body = code.partition("\n")
    if not first_line.startswith(_JINJA_IMPORT):
        return None
    tree = ast.parse(body)
    stored = {
        node.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load)
    }
    stored |= {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
    stored |= {
        argument.arg
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef)
        for argument in node.args.args
    }
    variables: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            if node.id not in stored and node.id not in _RUNTIME_NAMES:
                if not hasattr(builtins, node.id):
                    return None
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            allowed = {"environment": _ENVIRONMENT_ATTRIBUTES, "context": _CONTEXT_ATTRIBUTES}
            if node.value.id in allowed and node.attr not in allowed[node.value.id]:
                return None
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "resolve"
        ):
            if len(node.args) != 1 or not isinstance(node.args[0], ast.Constant):
                return None
            variables.append(str(node.args[0].value))
    # The defaults of root's parameters name `missing` and `environment`, given below.
    return tuple(dict.fromkeys(variables))


def compiled_templates_source() -> str:
    """The text of envgen/compiled_templates.py for the templates as they are now."""
    import jinja2

    env = environment()
    entries = []
    for name in sorted(env.list_templates(extensions=["j2"])):
        source = (templates_dir() / name).read_text(encoding="utf-8")
        code = env.compile(source, name=name, raw=True)
        variables = compiled_code_needs(code)
        if variables is not None:
            entries.append(
                f"    {name!r}: (\n        {source!r},\n        {variables!r},\n        {code!r},\n    ),\n"
            )
    return (
        '"""templates/ as Jinja2 compiles them, written by scripts/compile-templates: do not '
        "edit.\n\n"
        "Each entry: the template's source, the variables it looks up, and the Python code\n"
        "Jinja2 compiled it to; envgen.render runs that code when the template is unchanged.\n"
        "Templates that need more of Jinja2's runtime are left out and rendered by Jinja2.\n"
        '"""\n\n'
        "# The Jinja2 that wrote the code (the code runs without it).\n"
        f"JINJA2_VERSION = {jinja2.__version__!r}\n\n"
        "TEMPLATES: dict[str, tuple[str, tuple[str, ...], str]] = {\n" + "".join(entries) + "}\n"
    )


class _Missing:
    """Jinja2's `missing`: a lookup that found nothing."""

    def __repr__(self) -> str:
        return "missing"


_MISSING = _Missing()


class _Context:
    """The one thing compiled code asks a Jinja2 context for: a variable, or `missing`."""

    def __init__(self, variables: Mapping[str, object]) -> None:
        self._variables = variables

    def resolve_or_missing(self, key: str) -> object:
        return self._variables.get(key, _MISSING)


class _Environment:
    """The two things compiled code takes from a Jinja2 environment. A variable left out never
    reaches `undefined`: such a call goes to Jinja2, whose StrictUndefined says which."""

    concat = "".join

    @staticmethod
    def undefined(*args: object, **kwargs: object) -> object:
        raise AssertionError("a compiled template looked up a variable it was not given")


class _Undefined:
    """Jinja2's Undefined as compiled code names it (`cond_expr_undefined = Undefined`)."""


Root = Callable[[_Context], Iterator[str]]


def _compiled_root(name: str, context: Mapping[str, object]) -> Root | None:
    """The compiled template's root function, when it may render this call."""
    from envgen.compiled_templates import TEMPLATES

    found = TEMPLATES.get(name)
    if found is None:
        return None
    source, variables, code = found
    if any(variable not in context for variable in variables):
        return None
    root = _load(name, source, code)
    return root


@functools.cache
def _load(name: str, source: str, code: str) -> Root | None:
    try:
        with open(os.path.join(_templates_folder(), name), encoding="utf-8") as template:
            current = template.read()
    except OSError:
        return None
    # A template changed since it was compiled renders through Jinja2 until it is compiled
    # again (scripts/compile-templates; a test says when that is due).
    if current != source:
        return None
    namespace: dict[str, Any] = {
        "missing": _MISSING,
        "Undefined": _Undefined,
        "environment": _Environment(),
        "__builtins__": builtins,
    }
    body = code.partition("\n")[2]
    exec(compile(body, f"<template {name}>", "exec"), namespace)
    root: Root = namespace["root"]
    return root
