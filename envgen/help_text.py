"""How envgen's help reads: usage lines and argument names as written, no type labels, and the
top-level help ending with the idiom of the shell it was asked from."""

from __future__ import annotations

from typing import Any

from typer.core import TyperCommand, TyperGroup


def _argument_records(command: Any, ctx: Any) -> list[tuple[str, str]]:
    # typer labels an argument with its Python type (`SOURCE <str>`), which says nothing
    # to a user; the metavar is written as it should read.
    return [
        (param.metavar or param.name.upper(), param.help or "")
        for param in command.get_params(ctx)
        if param.param_type_name == "argument" and not getattr(param, "hidden", False)
    ]


def _option_records(command: Any, ctx: Any) -> list[tuple[str, str]]:
    records = []
    for param in command.get_params(ctx):
        if param.param_type_name == "option":
            record = param.get_help_record(ctx)
            if record is not None:
                records.append(record)
    return records


def _format_parameters(command: Any, ctx: Any, formatter: Any) -> None:
    arguments = _argument_records(command, ctx)
    options = _option_records(command, ctx)
    if arguments:
        with formatter.section("Arguments"):
            formatter.write_dl(arguments)
    if options:
        with formatter.section("Options"):
            formatter.write_dl(options)


class EnvgenCommand(TyperCommand):
    """A command whose usage line shows each argument's metavar exactly as declared, so
    `[SOURCE]` stays `[SOURCE]` (typer would bracket it again) and `exec` can spell out
    `[PROFILE] -- CMD [ARGS]...`."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if param.param_type_name == "argument":
                pieces.append(param.metavar or f"[{param.name.upper()}]")
            else:
                pieces.extend(param.get_usage_pieces(ctx))
        return pieces

    def format_options(self, ctx: Any, formatter: Any) -> None:
        _format_parameters(self, ctx, formatter)


class EnvgenGroup(TyperGroup):
    """The top-level command: its epilog is completed when help is shown, with the one-line
    idiom of the shell detected then (the shell the user typed `envgen --help` in)."""

    def format_options(self, ctx: Any, formatter: Any) -> None:
        _format_parameters(self, ctx, formatter)
        self.format_commands(ctx, formatter)

    def format_epilog(self, ctx: Any, formatter: Any) -> None:
        # Only envgen's own help: a group of subcommands (completion) prints no credentials.
        lines = detected_shell_idiom() if ctx.parent is None else []
        if self.epilog:
            lines += ["", *self.epilog.splitlines()] if lines else self.epilog.splitlines()
        if not lines:
            return
        # `\b` keeps click from re-wrapping the lines of the paragraph that follows it.
        paragraphs = "\n".join(lines).split("\n\n")
        formatter.write_paragraph()
        with formatter.indentation():
            formatter.write_text("\n\n".join("\b\n" + paragraph for paragraph in paragraphs))


def detected_shell_idiom(command: str = "assume PROFILE") -> list[str]:
    import os

    from envgen.detect import SHELL_VARIABLE, detect_shell
    from envgen.errors import EnvgenError

    try:
        dialect = detect_shell(None)
    except EnvgenError:
        return ["Each command's --help shows how every shell applies its output."]
    origin = SHELL_VARIABLE if os.environ.get(SHELL_VARIABLE) else "detected"
    return [
        f"Apply the output in {dialect.name} ({origin}; --shell NAME writes for another):",
        f"  {dialect.apply_hint(f'envgen {command}')}",
    ]
