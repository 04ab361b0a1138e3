"""The console script: the command lines programs run most, answered before typer is loaded.

A `credential_process` line runs `envgen assume PROFILE --format json` once per AWS CLI
command, prompt hooks run `envgen refresh --hook --shell NAME` when the credentials near their
expiry, and start-up files run `envgen assume` and `envgen import`; building the typer app
costs more than the rest of such a run. So this module reads those command lines
itself, in the plainest way they are written (each option once, known options only, values
that cannot be mistaken for options), and runs them through envgen.commands, the same
functions the typer commands call, with the same streams, levels and error endings. Anything
else (help, completion, another command or option, a repeated option, `--`, a value starting
with `-`, `-q` with `-v`, a number typer would have to convert) goes to envgen.cli
unchanged, where typer parses it. tests/cli/test_quick_start.py runs both over many command
lines and compares stdout, stderr, exit status and files byte for byte.

Nothing on this path touches typer's private names, so typer's start-up check
(envgen.plain_params) runs only where typer does.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence

# typing.TYPE_CHECKING without loading typing: see envgen.values.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, NoReturn

    from envgen.commands import Invocation
    from envgen.streams import Streams

# Set when a shell asks for completions (typer's protocol): always typer's business.
COMPLETE_VARIABLE = "_ENVGEN_COMPLETE"

# envgen.commands.DEBUG_VARIABLE, without importing it.
DEBUG_VARIABLE = "ENVGEN_DEBUG"

# How a word after an option is taken: as text, as a whole number (typer's int), or not at
# all (a flag).
TEXT, INTEGER, FLAG = "text", "integer", "flag"
_QUIET, _VERBOSE = ("-q", "--quiet"), ("-v", "--verbose")

# The options each quick command takes, by the name typer gives them, and the parameter of
# envgen.commands each one fills. tests/cli/test_quick_start.py checks them against the
# typer commands, so an option renamed or retyped there cannot be read differently here.
_SHARED_OPTIONS = {
    "--region": ("region", TEXT),
    "--shell": ("shell", TEXT),
    "--format": ("format", TEXT),
    "--show-secrets": ("show_secrets", FLAG),
}
# The parameters that make envgen.output's OutputOptions; the rest go to the command.
_OUTPUT_PARAMETERS = {"shell", "format", "show_secrets"}
QUICK_OPTIONS: dict[str, dict[str, tuple[str, str]]] = {
    "assume": {
        "--profile": ("profile_option", TEXT),
        "--role-arn": ("role_arn", TEXT),
        "--role-session-name": ("role_session_name", TEXT),
        "--duration-seconds": ("duration_seconds", INTEGER),
        "--external-id": ("external_id", TEXT),
        "--serial-number": ("serial_number", TEXT),
        "--token-code": ("token_code", TEXT),
        "--endpoint-url": ("endpoint_url", TEXT),
        **_SHARED_OPTIONS,
    },
    "import": {
        "--access-key-id": ("access_key_id", TEXT),
        "--secret-access-key": ("secret_access_key", TEXT),
        "--session-token": ("session_token", TEXT),
        "--expiration": ("expiration", TEXT),
        **_SHARED_OPTIONS,
    },
    "refresh": {
        "--hook": ("hook", FLAG),
        "--ahead": ("ahead", FLAG),
        "--shell": ("shell", TEXT),
    },
}
# The one positional word each quick command takes; refresh takes none.
QUICK_ARGUMENT = {"assume": "profile", "import": "source"}

# The options of every envgen command whose values are secrets (typer's `hide_input`),
# masked where envgen repeats the command line; the test compares them with typer's.
SECRET_OPTIONS = frozenset(
    {
        "--secret-access-key",
        "--session-token",
        "--token-code",
        "--saml-assertion",
        "--web-identity-token",
    }
)


class QuickCommand:
    """A command line read here: the command, its parameters and the -q/-v given, in order."""

    def __init__(self, name: str) -> None:
        self.name = name
        # Any: each value is the type its parameter of envgen.commands takes.
        self.values: dict[str, Any] = {}
        self.levels: list[str] = []

    def run(self, invocation: Invocation) -> None:
        from envgen import commands, messages
        from envgen.output import OutputOptions

        for option in self.levels:
            if option in _QUIET:
                commands.choose_level(invocation, messages.QUIET, "-q/--quiet")
            else:
                commands.choose_level(invocation, messages.VERBOSE, "-v/--verbose")
        if self.name == "refresh":
            commands.refresh(
                invocation,
                shell=self.values.get("shell"),
                hook=self.values.get("hook", False),
                ahead=self.values.get("ahead", False),
            )
            return
        output = OutputOptions(
            shell=self.values.get("shell"),
            format=self.values.get("format", "shell"),
            show_secrets=self.values.get("show_secrets", False),
        )
        # Every other parameter of the command, None where typer's default is None.
        parameters = {parameter for parameter, _kind in QUICK_OPTIONS[self.name].values()}
        parameters.add(QUICK_ARGUMENT[self.name])
        given = {name: self.values.get(name) for name in parameters - _OUTPUT_PARAMETERS}
        work = commands.assume if self.name == "assume" else commands.import_credentials
        work(invocation, output, **given)


def _is_plain_integer(word: str) -> bool:
    # What typer turns into an int without doubt (envgen.plain_params takes the same).
    digits = word[1:] if word[:1] in "+-" else word
    return digits.isascii() and digits.isdigit()


def read_quick(argv: Sequence[str], environ: Mapping[str, str]) -> QuickCommand | None:
    """The command line as a quick command, or None when typer must read it."""
    # A traceback under ENVGEN_DEBUG shows the way a run took: typer's, like every other.
    if COMPLETE_VARIABLE in environ or DEBUG_VARIABLE in environ:
        return None
    words = list(argv)
    levels: list[str] = []
    # -q and -v may come before the command's name too.
    while words and words[0] in (*_QUIET, *_VERBOSE):
        levels.append(words.pop(0))
    if not words or words[0] not in QUICK_OPTIONS:
        return None
    command = QuickCommand(words.pop(0))
    options = QUICK_OPTIONS[command.name]
    argument = QUICK_ARGUMENT.get(command.name)
    while words:
        word = words.pop(0)
        if word in (*_QUIET, *_VERBOSE):
            levels.append(word)
            continue
        if not word.startswith("-") or word == "-":
            if argument is None or argument in command.values:
                return None
            command.values[argument] = word
            continue
        name, equals, value = word.partition("=")
        if name not in options:
            return None
        parameter, kind = options[name]
        if parameter in command.values:
            return None
        if kind == FLAG:
            if equals:
                return None
            command.values[parameter] = True
            continue
        if not equals:
            if not words:
                return None
            value = words.pop(0)
        if value.startswith("-") and value != "-":
            return None
        if kind == INTEGER:
            if not _is_plain_integer(value):
                return None
            command.values[parameter] = int(value)
        else:
            command.values[parameter] = value
    if {option in _QUIET for option in levels} == {True, False}:
        return None
    command.levels = levels
    return command


def quick_run(argv: Sequence[str], streams: Streams) -> int | None:
    """Run ARGV when it is a quick command line, ending as envgen.cli.run would; None when
    typer must read it (nothing has been done then)."""
    command = read_quick(argv, os.environ)
    if command is None:
        return None
    from envgen import commands, messages
    from envgen.messages import say
    from envgen.streams import used_for_the_run

    messages.set_level(messages.NORMAL)
    with used_for_the_run(streams):
        invocation = commands.Invocation(list(argv), streams, SECRET_OPTIONS)
        try:
            command.run(invocation)
        # What typer's main and envgen.cli.run make of the same exceptions.
        except KeyboardInterrupt:
            return 130
        except EOFError:
            print(file=sys.stderr)
            say("interrupted")
            return 130
        except OSError as error:
            import errno

            if error.errno != errno.EPIPE:
                return commands.report(error, streams)
            return _end_on_a_broken_pipe()
        except BaseException as error:
            return commands.report(error, streams)
    return 0


def _end_on_a_broken_pipe() -> int:
    # typer's main quiets the streams' later flushes and ends with status 1.
    from typer._click.utils import PacifyFlushWrapper

    sys.stdout = PacifyFlushWrapper(sys.stdout)
    sys.stderr = PacifyFlushWrapper(sys.stderr)
    return 1


def main(argv: list[str] | None = None, *, quick: bool = True) -> NoReturn:
    """The console script: the process's own words and streams, its exit status. With
    `quick=False` every command line goes through typer (the tests compare the two)."""
    from envgen.streams import Streams, guard_standard_streams

    guard_standard_streams()
    streams = Streams(sys.stdin, sys.stdout, sys.stderr)
    words = sys.argv[1:] if argv is None else argv
    status = quick_run(words, streams) if quick else None
    if status is None:
        from envgen.cli import run

        status = run(words, streams, program=sys.argv[0])
    if streams.stdout is not sys.stdout:
        # The output failed and was pointed at the null device: so is what Python flushes
        # at exit.
        sys.stdout = streams.stdout
    sys.exit(status)
