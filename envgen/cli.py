"""The typer layer: option declarations, thin commands, and the one place errors become exits."""

from __future__ import annotations

import os
import sys
import traceback
from typing import Annotated, Optional

import typer

from envgen import __version__
from envgen.credentials import Changes
from envgen.dialects import FORMAT_CHOICES, SHELLS
from envgen.errors import EnvgenError
from envgen.output import OutputRequest, deliver, emit, environ_region, say

DEBUG_VARIABLE = "ENVGEN_DEBUG"

APPLY_EXAMPLES = """\
Apply the output in your shell:

  bash, zsh, sh, ksh:  eval "$(envgen {cmd})"

  fish:                envgen {cmd} | source

  tcsh, csh:           eval "`envgen {cmd}`"

  PowerShell:          envgen {cmd} | Invoke-Expression

  cmd:                 FOR /F "delims=" %i IN ('envgen {cmd}') DO @%i

  elvish:              eval (envgen {cmd} | slurp)

  xonsh:               execx($(envgen {cmd}))

  nushell:             envgen {cmd} | from json | load-env
"""

app = typer.Typer(
    name="envgen",
    help="Temporary AWS credentials from STS, rendered exactly for the shell you are in.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

# Shared option declarations, declared once and reused by every credential command.
ShellOption = Annotated[
    Optional[str],
    typer.Option(
        "--shell",
        help=f"Shell to write for: {', '.join(SHELLS)}. Default: $ENVGEN_SHELL, else detected.",
        show_default=False,
    ),
]
FormatOption = Annotated[
    str,
    typer.Option(
        "--format",
        help="shell (code for the shell), json (a credential_process document) "
        "or dotenv (a .env file).",
    ),
]
ShowSecretsOption = Annotated[
    bool,
    typer.Option("--show-secrets", help="Print credentials even when stdout is a terminal."),
]
PersistOption = Annotated[
    bool,
    typer.Option("--persist", help="Also keep the variables for future sessions of this shell."),
]
SaveProfileOption = Annotated[
    Optional[str],
    typer.Option(
        "--save-profile",
        metavar="NAME",
        help="Write the credentials as profile NAME in the shared credentials file "
        "and set AWS_PROFILE instead of the keys.",
        show_default=False,
    ),
]
ForceOption = Annotated[
    bool,
    typer.Option("--force", help="With --save-profile: replace a profile holding long-term keys."),
]
RegionOption = Annotated[
    Optional[str],
    typer.Option("--region", help="Region to export as AWS_REGION and AWS_DEFAULT_REGION.",
                 show_default=False),
]


def _version(value: bool) -> None:
    if value:
        print(f"envgen {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    pass


def _argv() -> list[str]:
    return sys.argv[1:]


@app.command(
    "import",
    help="Export credentials you already have (JSON file, - for stdin, or key flags); no AWS call.",
    epilog=APPLY_EXAMPLES.format(cmd="import creds.json"),
)
def import_command(
    source: Annotated[
        Optional[str],
        typer.Argument(
            metavar="[SOURCE]",
            help="JSON file (output of aws sts assume-role / assume-role-with-saml / "
            "get-session-token, a Credentials object, or a credential_process document), "
            "or - for stdin.",
            show_default=False,
        ),
    ] = None,
    access_key_id: Annotated[Optional[str], typer.Option(help="Access key id.")] = None,
    secret_access_key: Annotated[
        Optional[str], typer.Option(help="Secret access key.", show_default=False)
    ] = None,
    session_token: Annotated[
        Optional[str], typer.Option(help="Session token.", show_default=False)
    ] = None,
    expiration: Annotated[
        Optional[str], typer.Option(help="Expiry, ISO 8601 (e.g. 2030-01-31T12:00:00Z).")
    ] = None,
    region: RegionOption = None,
    shell: ShellOption = None,
    format: FormatOption = "shell",
    show_secrets: ShowSecretsOption = False,
    persist: PersistOption = False,
    save_profile: SaveProfileOption = None,
    force: ForceOption = False,
) -> None:
    from envgen.sources import imported

    region = region or environ_region()
    key_flags = (access_key_id, secret_access_key, session_token, expiration)
    if source is not None and any(flag is not None for flag in key_flags):
        raise EnvgenError(
            "give SOURCE or the key flags, not both", exit_code=2
        )
    if source is None and all(flag is None for flag in key_flags):
        raise EnvgenError(
            "give a JSON file, - for stdin, or --access-key-id and --secret-access-key",
            exit_code=2,
        )
    if source is not None:
        credentials = imported.from_source(source, region)
    else:
        credentials = imported.from_flags(
            access_key_id, secret_access_key, session_token, expiration, region
        )
    request = OutputRequest(shell, format, show_secrets, persist, save_profile, force)
    deliver(credentials, request, _argv())


@app.command(
    "clear",
    help="Unset every variable envgen manages.",
    epilog=APPLY_EXAMPLES.format(cmd="clear"),
)
def clear_command(
    shell: ShellOption = None,
    persist: Annotated[
        bool, typer.Option("--persist", help="Also remove what --persist kept for future sessions.")
    ] = False,
) -> None:
    emit(Changes.clearing(), OutputRequest(shell=shell, persist=persist), _argv())


def _report(error: BaseException) -> int:
    if os.environ.get(DEBUG_VARIABLE):
        traceback.print_exception(error)
    if isinstance(error, EnvgenError):
        message, code = error.message, error.exit_code
    else:
        # An unexpected failure's text may quote a value: name only its type.
        message = (
            f"unexpected {type(error).__name__}; "
            f"run again with {DEBUG_VARIABLE}=1 for the traceback"
        )
        code = 70
    say("error: " + " ".join(message.split()))
    return code


def main(argv: list[str] | None = None) -> None:
    """Run envgen; every failure ends here as one line on stderr and a non-zero exit."""
    command = typer.main.get_command(app)
    try:
        result = command.main(args=argv, prog_name="envgen", standalone_mode=False)
    except typer.TyperException as problem:
        # Usage errors from the parser: one line that names the fix, help one step away.
        if type(problem).__name__ == "NoArgsIsHelpError":
            print(problem.format_message(), file=sys.stderr)
        else:
            say("error: " + " ".join(problem.format_message().split()) + " (see envgen --help)")
        sys.exit(getattr(problem, "exit_code", 2))
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except (typer.Abort, KeyboardInterrupt, EOFError):
        say("interrupted")
        sys.exit(130)
    except BaseException as error:  # noqa: BLE001 - the one place errors become exits
        if isinstance(error, SystemExit):
            raise
        sys.exit(_report(error))
    sys.exit(result if isinstance(result, int) else 0)


if __name__ == "__main__":
    main()
