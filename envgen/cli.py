"""The typer layer: option declarations, thin commands, and the one place errors become exits."""

# No `from __future__ import annotations` here: typer evaluates every annotation of
# every command on each start, and string annotations cost it twice the time.
import importlib
import os
import re
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, NoReturn, cast

import typer

from envgen import __version__, commands, messages
from envgen.commands import (
    DEBUG_VARIABLE,
    Invocation,
    choose_level,
    refuse_secret_as_profile,
    report,
)
from envgen.completion import (
    COMPLETE_VARIABLE,
    complete_profile_names,
    register_completion_protocol,
)
from envgen.credentials import Changes
from envgen.dialects import FORMATS, SHELLS, format_named
from envgen.errors import EnvgenError, UsageError
from envgen.help_text import EnvgenCommand, EnvgenGroup
from envgen.messages import say
from envgen.output import OutputOptions, deliver, emit, hold_at_terminal
from envgen.plain_params import convert_plainly
from envgen.streams import Streams, guard_standard_streams, used_for_the_run

if TYPE_CHECKING:
    from envgen.sources.sso_tokens import SsoSession

# The parser's exceptions, from the click typer runs on (its own copy in recent versions, the
# click package in older ones): the module that holds typer's public BadParameter.
_parser_errors = importlib.import_module(typer.BadParameter.__module__)


class _NotRaisedByThisClick(Exception):
    """Stands in for an exception the click in use does not have (NoArgsIsHelpError came
    with click 8.2; before, click printed the help itself)."""


NoSuchOption: type[Exception] = _parser_errors.NoSuchOption
NoArgsIsHelpError: type[Exception] = getattr(
    _parser_errors, "NoArgsIsHelpError", _NotRaisedByThisClick
)


def apply_examples(command: str) -> str:
    """Help text: how each shell applies `envgen COMMAND`, at a prompt and in a script,
    from the dialect registry."""

    def paragraph(title: str, hint: str) -> list[str]:
        idioms: dict[str, list[str]] = {}
        for name, dialect in SHELLS.items():
            idioms.setdefault(getattr(dialect, hint)(f"envgen {command}"), []).append(name)
        labels = {idiom: ", ".join(names) + ":" for idiom, names in idioms.items()}
        width = max(len(label) for label in labels.values())
        # `\b` keeps click from re-wrapping the lines of the paragraph that follows it.
        return ["\b", title, *(f"  {label:<{width}}  {idiom}" for idiom, label in labels.items())]

    lines = paragraph("Apply the output in your shell:", "apply_hint")
    lines += [
        "",
        *paragraph(
            "In a script, a form that stops it when envgen fails (cmd: in a .bat file):",
            "script_hint",
        ),
    ]
    return "\n".join(lines)


app = typer.Typer(
    name="envgen",
    cls=EnvgenGroup,
    help="Temporary AWS credentials from STS, rendered exactly for the shell you are in.",
    epilog="\n".join(
        [
            "Every command takes -q/--quiet and -v/--verbose, before or after its name:",
            "  -q  no summary on stderr (whose credentials, expiry, what was kept);",
            "      errors, warnings and the terminal hint still show",
            "  -v  also which profile chain, cache hit or miss, STS endpoint and region;",
            "      never a secret",
            "",
            "Environment:",
            "  ENVGEN_SHELL    the shell to write for, instead of the detected one",
            f"  {DEBUG_VARIABLE}=1  a failure also prints its traceback (for a bug report;",
            "                  read it for secrets before you share it)",
        ]
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
    # typer's installer writes an unquoted path into the startup file; `envgen completion`
    # installs with --persist's care, and the root options below lead there.
    add_completion=False,
)

# Options declared once and named in every command that takes them: typer has no option groups.
ShellOption = Annotated[
    str | None,
    typer.Option(
        "--shell",
        metavar="NAME",
        help=f"Shell to write for: {', '.join(SHELLS)}. Default: $ENVGEN_SHELL, else detected.",
        show_default=False,
    ),
]
FormatOption = Annotated[
    str,
    typer.Option(
        "--format",
        metavar="FORMAT",
        help="shell (code for the shell), "
        + ", ".join(f"{name} ({fmt.summary})" for name, fmt in FORMATS.items())
        + ".",
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
    str | None,
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
AutoRefreshOption = Annotated[
    bool,
    typer.Option(
        "--auto-refresh",
        help="With --save-profile: save a profile the AWS CLI and SDKs renew through envgen "
        "(credential_process) instead of the keys; for a role or IAM Identity Center profile.",
    ),
]
RegionOption = Annotated[
    str | None,
    typer.Option(
        "--region",
        metavar="REGION",
        help="Region to export as AWS_REGION and AWS_DEFAULT_REGION.",
        show_default=False,
    ),
]


def version_line() -> str:
    """envgen's version with the Python and botocore it runs on, the facts a bug report needs.

    botocore's version comes from its installed metadata: importing botocore itself would
    cost a third of a second and make `--version` the slowest command."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        botocore = f"botocore {version('botocore')}"
    except PackageNotFoundError:
        botocore = "botocore not installed"
    return f"envgen {__version__} (Python {sys.version.split()[0]}, {botocore})"


def _invocation(ctx: typer.Context) -> Invocation:
    return cast(Invocation, ctx.obj)


def _quiet(ctx: typer.Context, value: bool) -> None:
    if value:
        choose_level(_invocation(ctx), messages.QUIET, "-q/--quiet")


def _verbose(ctx: typer.Context, value: bool) -> None:
    if value:
        choose_level(_invocation(ctx), messages.VERBOSE, "-v/--verbose")


QuietOption = Annotated[
    bool,
    typer.Option(
        "-q",
        "--quiet",
        callback=_quiet,
        expose_value=False,
        help="No summary on stderr (whose credentials, expiry, what was kept); "
        "errors and warnings still show.",
    ),
]
VerboseOption = Annotated[
    bool,
    typer.Option(
        "-v",
        "--verbose",
        callback=_verbose,
        expose_value=False,
        help="Also say how the answer was found, never a secret (envgen --help says what).",
    ),
]


def _version(ctx: typer.Context, value: bool) -> None:
    if value:
        stdout = _invocation(ctx).streams.stdout
        if stdout is not None:
            print(version_line(), file=stdout)
        raise typer.Exit()


def _install_completion(ctx: typer.Context, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        _change_completion(None, install=True)
        raise typer.Exit()


def _show_completion(ctx: typer.Context, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        _write_completion_script(_invocation(ctx).streams, None)
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_version,
            is_eager=True,
            help="Show the versions of envgen, Python and botocore.",
        ),
    ] = False,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
    # typer's own names for them, kept working: the same as `envgen completion install|show`.
    install_completion: Annotated[
        bool,
        typer.Option(
            "--install-completion", callback=_install_completion, is_eager=True, hidden=True
        ),
    ] = False,
    show_completion: Annotated[
        bool,
        typer.Option("--show-completion", callback=_show_completion, is_eager=True, hidden=True),
    ] = False,
) -> None:
    pass


completion_app = typer.Typer(
    name="completion",
    cls=EnvgenGroup,
    help="Install, uninstall or show shell completion.",
    no_args_is_help=True,
)
app.add_typer(completion_app)
CompletionShellOption = Annotated[
    str | None,
    typer.Option(
        "--shell",
        metavar="NAME",
        help="bash, zsh, fish, pwsh or powershell. Default: the shell envgen runs in.",
        show_default=False,
    ),
]


def _completion_shell(shell: str | None) -> str:
    from envgen.completion import check_shell
    from envgen.detect import detect_shell

    name = shell or detect_shell(None).name
    check_shell(name)
    return name


def _write_completion_script(streams: Streams, shell: str | None) -> None:
    from envgen.completion import completion_script

    streams.write_output(completion_script(_completion_shell(shell)))


def _change_completion(shell: str | None, install: bool) -> None:
    from envgen.completion import completion_script, plan_completion

    name = _completion_shell(shell)
    script = completion_script(name) if install else None
    change = plan_completion(name, script)
    change.apply()
    messages.inform(change.report)


@completion_app.command(
    "install",
    cls=EnvgenCommand,
    short_help="Load envgen's completion in every new shell.",
    help="Load envgen's completion in every new shell (one marked block in "
    "its startup file; fish: its completions directory).",
)
def completion_install_command(
    shell: CompletionShellOption = None,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
) -> None:
    _change_completion(shell, install=True)


@completion_app.command(
    "uninstall", cls=EnvgenCommand, help="Remove what `envgen completion install` added."
)
def completion_uninstall_command(
    shell: CompletionShellOption = None,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
) -> None:
    _change_completion(shell, install=False)


@completion_app.command(
    "show", cls=EnvgenCommand, help="Print the completion script, to load or install it yourself."
)
def completion_show_command(
    ctx: typer.Context,
    shell: CompletionShellOption = None,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
) -> None:
    _write_completion_script(_invocation(ctx).streams, shell)


def _not_renewable(what: str, instead: str) -> UsageError:
    from envgen.persist.process_profile import not_renewable

    return not_renewable(what, instead)


LITERAL_SECRET_WARNING = (
    "A value typed here is visible to other local users (ps) and kept in shell history."
)


@app.command(
    "import",
    cls=EnvgenCommand,
    short_help="Export credentials you already have; no AWS call.",
    help="Export credentials you already have (JSON file, - for stdin, or key flags); no AWS call.",
    epilog=apply_examples("import creds.json"),
)
def import_command(
    ctx: typer.Context,
    source: Annotated[
        str | None,
        typer.Argument(
            metavar="[SOURCE]",
            help="JSON file (output of aws sts assume-role / assume-role-with-saml / "
            "get-session-token, a Credentials object, or a credential_process document), "
            "or - for stdin.",
            show_default=False,
        ),
    ] = None,
    access_key_id: Annotated[
        str | None, typer.Option(metavar="KEY_ID", help="Access key id.", show_default=False)
    ] = None,
    secret_access_key: Annotated[
        str | None,
        typer.Option(
            metavar="VALUE",
            show_default=False,
            hide_input=True,
            help="Secret access key, file://PATH, or - for stdin; left out, it is asked "
            "on the terminal without echo. " + LITERAL_SECRET_WARNING,
        ),
    ] = None,
    session_token: Annotated[
        str | None,
        typer.Option(
            metavar="VALUE",
            show_default=False,
            hide_input=True,
            help="Session token, file://PATH, or - for stdin. " + LITERAL_SECRET_WARNING,
        ),
    ] = None,
    expiration: Annotated[
        str | None,
        typer.Option(
            metavar="TIME", show_default=False, help="Expiry, ISO 8601 (e.g. 2030-01-31T12:00:00Z)."
        ),
    ] = None,
    region: RegionOption = None,
    shell: ShellOption = None,
    format: FormatOption = "shell",
    show_secrets: ShowSecretsOption = False,
    persist: PersistOption = False,
    save_profile: SaveProfileOption = None,
    force: ForceOption = False,
    auto_refresh: AutoRefreshOption = False,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
) -> None:
    commands.import_credentials(
        _invocation(ctx),
        OutputOptions(shell, format, show_secrets, persist, save_profile, force, auto_refresh),
        source=source,
        access_key_id=access_key_id,
        secret_access_key=secret_access_key,
        session_token=session_token,
        expiration=expiration,
        region=region,
    )


@app.command(
    "clear",
    cls=EnvgenCommand,
    help="Unset every variable envgen manages.",
    epilog=apply_examples("clear"),
)
def clear_command(
    ctx: typer.Context,
    shell: ShellOption = None,
    persist: Annotated[
        bool, typer.Option("--persist", help="Also remove what --persist kept for future sessions.")
    ] = False,
    profile: Annotated[
        str | None,
        typer.Option(
            "--profile",
            metavar="NAME",
            show_default=False,
            help="Also remove what --save-profile NAME saved: the keys of a temporary "
            "profile, the region it recorded, and the credential_process of --auto-refresh.",
            autocompletion=complete_profile_names,
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="With --profile: remove long-term keys too.")
    ] = False,
    # Accepted only to answer `--format json|dotenv` with the reason, not "no such option".
    format: Annotated[str, typer.Option("--format", hidden=True)] = "shell",
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
) -> None:
    if format_named(format) is not None:
        raise UsageError(
            f"--format {format}: clear writes shell code that unsets variables, which a "
            f"{format} document cannot do; drop --format"
        )
    if force and profile is None:
        raise UsageError("--force goes with --profile NAME")
    request = _invocation(ctx).output(OutputOptions(shell=shell, persist=persist, records=False))
    effects = []
    if profile is not None:
        from envgen.persist.shared_credentials import ProfileRemoval

        effects.append(ProfileRemoval.plan(profile, force))
    if hold_at_terminal(request, credentials=False):
        return
    emit(Changes.clearing(), request, effects=effects)


# Options of the commands that call STS, declared once in the same way.
RoleArnOption = Annotated[
    str | None,
    typer.Option(
        "--role-arn",
        metavar="ARN",
        help="Role to assume (arn:aws:iam::ACCOUNT:role/NAME).",
        show_default=False,
    ),
]
SessionNameOption = Annotated[
    str | None,
    typer.Option(
        "--role-session-name",
        metavar="NAME",
        help="Name of the role session, shown in CloudTrail. Default: envgen-<login name> "
        "(a profile's role: its role_session_name).",
        show_default=False,
    ),
]
DurationOption = Annotated[
    int | None,
    typer.Option(
        "--duration-seconds",
        metavar="SECONDS",
        help="Lifetime, 900 to 43200. Default: 1800. A profile's role uses its "
        "duration_seconds (else STS's default), as the AWS CLI does, so both share "
        "cached credentials.",
        show_default=False,
    ),
]
ExternalIdOption = Annotated[
    str | None,
    typer.Option(
        "--external-id",
        metavar="ID",
        help="External id the role's trust policy requires.",
        show_default=False,
    ),
]
SerialNumberOption = Annotated[
    str | None,
    typer.Option(
        "--serial-number",
        metavar="ARN",
        help="MFA device ARN or serial (default: the profile's mfa_serial).",
        show_default=False,
    ),
]
TokenCodeOption = Annotated[
    str | None,
    typer.Option(
        "--token-code",
        metavar="CODE",
        hide_input=True,
        help="The 6-digit MFA code; asked on the terminal when needed and not given.",
        show_default=False,
    ),
]
EndpointUrlOption = Annotated[
    str | None,
    typer.Option(
        "--endpoint-url",
        metavar="URL",
        help="STS endpoint. Default: AWS_ENDPOINT_URL_STS, "
        "AWS_ENDPOINT_URL, the profile's endpoint_url, else the region's.",
        show_default=False,
    ),
]
ProfileArgument = Annotated[
    str | None,
    typer.Argument(
        metavar="[PROFILE]",
        help="AWS config profile. Default: $AWS_PROFILE, else the default credential chain.",
        show_default=False,
        autocompletion=complete_profile_names,
    ),
]


ProfileOption = Annotated[
    str | None,
    typer.Option(
        "--profile",
        metavar="NAME",
        help="AWS config profile, as with the AWS CLI "
        "(keys in the environment are then ignored). Default: $AWS_PROFILE.",
        show_default=False,
        autocompletion=complete_profile_names,
    ),
]


@app.command(
    "assume",
    cls=EnvgenCommand,
    short_help="Credentials for a role, or a session token for keys.",
    help="Temporary credentials for a role (AssumeRole), or a session token for long-term keys.",
    epilog=apply_examples("assume PROFILE"),
)
def assume_command(
    ctx: typer.Context,
    profile: ProfileArgument = None,
    profile_option: ProfileOption = None,
    role_arn: RoleArnOption = None,
    role_session_name: SessionNameOption = None,
    duration_seconds: DurationOption = None,
    external_id: ExternalIdOption = None,
    serial_number: SerialNumberOption = None,
    token_code: TokenCodeOption = None,
    endpoint_url: EndpointUrlOption = None,
    region: RegionOption = None,
    shell: ShellOption = None,
    format: FormatOption = "shell",
    show_secrets: ShowSecretsOption = False,
    persist: PersistOption = False,
    save_profile: SaveProfileOption = None,
    force: ForceOption = False,
    auto_refresh: AutoRefreshOption = False,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
) -> None:
    commands.assume(
        _invocation(ctx),
        OutputOptions(shell, format, show_secrets, persist, save_profile, force, auto_refresh),
        profile=profile,
        profile_option=profile_option,
        role_arn=role_arn,
        role_session_name=role_session_name,
        duration_seconds=duration_seconds,
        external_id=external_id,
        serial_number=serial_number,
        token_code=token_code,
        endpoint_url=endpoint_url,
        region=region,
    )


@app.command(
    "saml",
    cls=EnvgenCommand,
    short_help="Credentials from a SAML assertion, no broker needed.",
    help="Temporary credentials from a SAML assertion (AssumeRoleWithSAML), no broker needed.",
    epilog=apply_examples("saml --saml-assertion file://saml.b64"),
)
def saml_command(
    ctx: typer.Context,
    saml_assertion: Annotated[
        str,
        typer.Option(
            "--saml-assertion",
            metavar="VALUE",
            hide_input=True,
            help="The base64 SAMLResponse, file://PATH, or - for stdin. " + LITERAL_SECRET_WARNING,
            show_default=False,
        ),
    ],
    role_arn: Annotated[
        str | None,
        typer.Option(
            "--role-arn",
            metavar="ARN",
            help="Role to assume, when the assertion grants several.",
            show_default=False,
        ),
    ] = None,
    principal_arn: Annotated[
        str | None,
        typer.Option(
            "--principal-arn",
            metavar="ARN",
            help="SAML provider ARN. Default: the one paired with the role in the assertion.",
            show_default=False,
        ),
    ] = None,
    duration_seconds: Annotated[
        int | None,
        typer.Option(
            "--duration-seconds",
            metavar="SECONDS",
            help="Lifetime, 900 to 43200. "
            "Default: 1800, capped by the assertion's SessionDuration.",
            show_default=False,
        ),
    ] = None,
    endpoint_url: EndpointUrlOption = None,
    region: RegionOption = None,
    shell: ShellOption = None,
    format: FormatOption = "shell",
    show_secrets: ShowSecretsOption = False,
    persist: PersistOption = False,
    save_profile: SaveProfileOption = None,
    force: ForceOption = False,
    auto_refresh: AutoRefreshOption = False,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
) -> None:
    from envgen.sources import saml
    from envgen.sources.request import RoleOptions, place

    request = _invocation(ctx).output(
        OutputOptions(shell, format, show_secrets, persist, save_profile, force, auto_refresh)
    )
    if auto_refresh:
        raise _not_renewable(
            "credentials from a SAML assertion",
            "each renewal needs a new assertion from your identity provider",
        )
    if hold_at_terminal(request):
        return
    where = place(None, region, endpoint_url)
    issued = saml.assume_with_assertion(
        where, saml_assertion, role_arn, principal_arn, duration_seconds
    )
    deliver(issued, request, where, RoleOptions(role_arn=issued.whose))


@app.command(
    "web-identity",
    cls=EnvgenCommand,
    short_help="Credentials from an OIDC token, e.g. in CI.",
    help="Temporary credentials from an OIDC token (AssumeRoleWithWebIdentity), e.g. in CI.",
    epilog=apply_examples("web-identity --role-arn ARN --web-identity-token file://token"),
)
def web_identity_command(
    ctx: typer.Context,
    web_identity_token: Annotated[
        str,
        typer.Option(
            "--web-identity-token",
            metavar="VALUE",
            hide_input=True,
            help="The token, file://PATH, or - for stdin. " + LITERAL_SECRET_WARNING,
            show_default=False,
        ),
    ],
    role_arn: Annotated[
        str,
        typer.Option("--role-arn", metavar="ARN", help="Role to assume.", show_default=False),
    ],
    role_session_name: Annotated[
        str | None,
        typer.Option(
            "--role-session-name",
            metavar="NAME",
            show_default=False,
            help="Name of the role session, shown in CloudTrail. Default: envgen-<login name>.",
        ),
    ] = None,
    duration_seconds: Annotated[
        int | None,
        typer.Option(
            "--duration-seconds",
            metavar="SECONDS",
            show_default=False,
            help="Lifetime, 900 to 43200. Default: 1800.",
        ),
    ] = None,
    endpoint_url: Annotated[
        str | None,
        typer.Option(
            "--endpoint-url",
            metavar="URL",
            show_default=False,
            help="STS endpoint. Default: AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, "
            "else the region's.",
        ),
    ] = None,
    region: RegionOption = None,
    shell: ShellOption = None,
    format: FormatOption = "shell",
    show_secrets: ShowSecretsOption = False,
    persist: PersistOption = False,
    save_profile: SaveProfileOption = None,
    force: ForceOption = False,
    auto_refresh: AutoRefreshOption = False,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
) -> None:
    from envgen.sources import web_identity
    from envgen.sources.request import RoleOptions, place

    request = _invocation(ctx).output(
        OutputOptions(shell, format, show_secrets, persist, save_profile, force, auto_refresh)
    )
    if auto_refresh:
        raise _not_renewable(
            "credentials from a web identity token",
            "each renewal needs a fresh token; for a token kept in a file, a profile with "
            "role_arn and web_identity_token_file is renewed by the AWS CLI and SDKs themselves",
        )
    if hold_at_terminal(request):
        return
    where = place(None, region, endpoint_url)
    issued = web_identity.assume_with_token(
        where, role_arn, web_identity_token, role_session_name, duration_seconds
    )
    deliver(issued, request, where, RoleOptions(role_arn, role_session_name, duration_seconds))


@app.command(
    "whoami",
    cls=EnvgenCommand,
    help="Show whose credentials are in effect (GetCallerIdentity).",
)
def whoami_command(
    ctx: typer.Context,
    json_output: Annotated[
        bool, typer.Option("--json", help='Print {"Account", "Arn", "UserId"} as JSON.')
    ] = False,
    profile: ProfileOption = None,
    endpoint_url: EndpointUrlOption = None,
    region: Annotated[
        str | None,
        typer.Option(
            "--region",
            metavar="REGION",
            show_default=False,
            help="Region of the STS endpoint to ask. Default: the region in effect "
            "(the profile's, AWS_REGION or AWS_DEFAULT_REGION), else us-east-1.",
        ),
    ] = None,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
) -> None:
    from envgen.sources import identity
    from envgen.sources.request import one_profile, place

    found = identity.lookup(place(one_profile(None, profile), region, endpoint_url))
    # After the lookup, where keys in the environment that have expired end in one line; a
    # named profile does not use them.
    warning = identity.expired_warning() if profile is None else None
    if warning:
        say(warning)
    _invocation(ctx).streams.write_output(
        identity.as_json(found) if json_output else identity.as_text(found)
    )


sso_app = typer.Typer(
    name="sso",
    cls=EnvgenGroup,
    help="Sign in to IAM Identity Center (SSO) for SSO profiles, or out.",
    short_help="Sign in to IAM Identity Center (SSO), or out.",
    no_args_is_help=True,
)
app.add_typer(sso_app)
SsoSessionOption = Annotated[
    str | None,
    typer.Option(
        "--sso-session",
        metavar="NAME",
        help="The [sso-session NAME] of the config file, instead of a profile's.",
        show_default=False,
    ),
]


def _sso_session(profile: str | None, sso_session: str | None) -> "SsoSession":
    from envgen.config_files import ConfigUnreadable, read_profiles
    from envgen.sources import sso_tokens

    if profile is not None and sso_session is not None:
        raise UsageError("give PROFILE or --sso-session, not both")
    if sso_session is not None:
        return sso_tokens.session_named(sso_session)
    refuse_secret_as_profile(profile)
    try:
        profiles = read_profiles()
    except ConfigUnreadable as error:
        raise EnvgenError(f"{error}; fix the config file") from None
    return sso_tokens.session_of_profile(
        profile or os.environ.get("AWS_PROFILE") or "default", profiles
    )


@sso_app.command(
    "login",
    cls=EnvgenCommand,
    short_help="Sign in through the browser; the AWS CLI shares the token.",
    help="Sign in through the browser (device code); the token is cached as the AWS CLI "
    "caches it, for envgen, the AWS CLI and the SDKs.",
)
def sso_login_command(
    profile: ProfileArgument = None,
    sso_session: SsoSessionOption = None,
    no_browser: Annotated[
        bool,
        typer.Option("--no-browser", help="Only show the URL and code; open no browser."),
    ] = False,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
) -> None:
    from envgen.sources import sso_login

    session = _sso_session(profile, sso_session)
    use_browser = not no_browser and sso_login.browser_allowed(
        os.environ, sso_login.running_in_container()
    )
    sso_login.login(session, use_browser, profile)


@sso_app.command(
    "logout",
    cls=EnvgenCommand,
    short_help="End a sign-in (every one, without a name).",
    help="End the sign-in of PROFILE or --sso-session (every one, without either): the portal "
    "is told, the token and the role credentials it gave are removed.",
)
def sso_logout_command(
    profile: ProfileArgument = None,
    sso_session: SsoSessionOption = None,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
) -> None:
    from envgen.sources import sso, sso_login

    every = profile is None and sso_session is None
    session = None if every else _sso_session(profile, sso_session)
    tokens = sso_login.logout(session, profile)
    credentials = sso.forget_role_credentials(session)
    messages.inform(
        f"signed out: removed {tokens} IAM Identity Center token(s) and {credentials} cached "
        "role credential(s)"
    )


@app.command(
    "console",
    cls=EnvgenCommand,
    short_help="Open the AWS console signed in as a profile or role.",
    help="Open the AWS console in the browser, signed in with the credentials a profile gives "
    "(or those in the environment): a role's, or a federation token for long-term keys.",
    epilog="\n".join(
        [
            "Example: envgen console prod --service s3",
            "",
            "\b",
            "Environment:",
            "  BROWSER            the browser to open (%s marks where the address goes)",
            "  ENVGEN_SIGNIN_URL  the federation endpoint, instead of the partition's",
        ]
    ),
)
def console_command(
    ctx: typer.Context,
    profile: ProfileArgument = None,
    profile_option: ProfileOption = None,
    service: Annotated[
        str | None,
        typer.Option(
            "--service",
            metavar="NAME",
            help="Console service to land on, as in its address: s3, ec2, cloudwatch, ...",
            show_default=False,
        ),
    ] = None,
    destination: Annotated[
        str | None,
        typer.Option(
            "--destination",
            metavar="URL",
            help="Console page to land on (https, on the console of the credentials' partition).",
            show_default=False,
        ),
    ] = None,
    region: Annotated[
        str | None,
        typer.Option(
            "--region",
            metavar="REGION",
            help="Region of the console page, and of STS. Default: the region in effect.",
            show_default=False,
        ),
    ] = None,
    duration_seconds: Annotated[
        int | None,
        typer.Option(
            "--duration-seconds",
            metavar="SECONDS",
            help="Console session, 900 to 43200 (default: AWS's for a role; 3600 for the "
            "federation token long-term keys get).",
            show_default=False,
        ),
    ] = None,
    print_url: Annotated[
        bool,
        typer.Option(
            "--print-url",
            help="Print the sign-in URL on stdout instead of opening a browser. Anyone who has "
            "it is signed in for 15 minutes.",
        ),
    ] = False,
    show_secrets: Annotated[
        bool,
        typer.Option("--show-secrets", help="With --print-url: print it even on a terminal."),
    ] = False,
    endpoint_url: EndpointUrlOption = None,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
) -> None:
    from envgen import browser, console
    from envgen.sources import federation_token
    from envgen.sources.request import one_profile, place

    streams = _invocation(ctx).streams
    request = console.checked_request(service, destination, region, duration_seconds)
    if show_secrets and not print_url:
        raise UsageError("--show-secrets goes with --print-url")
    if print_url and not show_secrets and streams.output_is_terminal():
        raise UsageError(
            "not printing the sign-in URL to a terminal: whoever reads it is signed in for 15 "
            "minutes; pipe or redirect it, add --show-secrets to print it here, or drop "
            "--print-url to open a browser"
        )
    # Known before anything is fetched: no credentials are spent when no browser can be opened.
    command = None if print_url else browser.browser_command()
    refuse_secret_as_profile(profile)
    where = place(one_profile(profile, profile_option), request.region, endpoint_url)
    issued, federated = federation_token.issue_for_console(where, duration_seconds)
    url = console.sign_in(request, issued.credentials, federated)
    whose = issued.whose or "these credentials"
    if print_url:
        streams.write_output(url + "\n")
        messages.inform(f"sign-in URL for {whose} printed; it is valid for 15 minutes")
        return
    browser.open_secret_url(url, command, warn=say)
    messages.inform(f"opened the AWS console in the browser as {whose}")


@app.command(
    "exec",
    cls=EnvgenCommand,
    short_help="Run a command with credentials; the shell is untouched.",
    help="Run a command with temporary credentials in its environment; the shell is untouched.",
    epilog="\n".join(
        [
            "\b",
            "Examples:",
            "  envgen exec prod -- aws s3 ls",
            "  envgen exec prod --serve -- terraform apply",
        ]
    ),
)
def exec_command(
    ctx: typer.Context,
    words: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[PROFILE] -- CMD [ARGS]...",
            show_default=False,
            help="Profile to assume (as for assume), then -- and the command.",
        ),
    ] = None,
    role_arn: RoleArnOption = None,
    role_session_name: SessionNameOption = None,
    duration_seconds: DurationOption = None,
    external_id: ExternalIdOption = None,
    serial_number: SerialNumberOption = None,
    token_code: TokenCodeOption = None,
    profile_option: ProfileOption = None,
    endpoint_url: EndpointUrlOption = None,
    region: RegionOption = None,
    serve: Annotated[
        bool,
        typer.Option(
            "--serve",
            help="Give the command no keys but a credentials endpoint on 127.0.0.1 that "
            "envgen renews until the command ends ($ENVGEN_REFRESH_BEFORE seconds before "
            "expiry, default 300).",
        ),
    ] = False,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
) -> None:
    from envgen import child
    from envgen.sources import assume, role
    from envgen.sources.request import one_profile, place

    raw = _invocation(ctx).argv
    if "--" not in raw:
        raise UsageError("put -- before the command: envgen exec [PROFILE] -- CMD [ARGS]...")
    # Click drops the `--`; the raw command line says how many words follow it.
    words = words or []
    count = len(raw) - raw.index("--") - 1
    profiles, command = words[: len(words) - count], words[len(words) - count :]
    if len(profiles) > 1:
        raise UsageError(f"one PROFILE at most before --, not {len(profiles)}")
    options = role.checked_options(
        role_arn, role_session_name, duration_seconds, external_id, serial_number, token_code
    )
    if not command:
        raise UsageError("give the command to run after --: envgen exec [PROFILE] -- CMD ARGS...")
    refuse_secret_as_profile(profiles[0] if profiles else None)
    profile = one_profile(profiles[0] if profiles else None, profile_option)
    where = place(profile, region, endpoint_url)
    if serve:
        from envgen import serve as serving
        from envgen.records import refresh_window

        # Checked before anything is asked of STS.
        window = refresh_window(os.environ)
        raise typer.Exit(serving.run(command, where, options, window))
    issued = assume.issue(where, options)
    raise typer.Exit(child.run(command, assume.child_environment(issued.credentials)))


@app.command(
    "refresh",
    cls=EnvgenCommand,
    short_help="Renew the credentials envgen set in this shell, from the same source.",
    help="Renew the credentials envgen set in this shell, from the source that gave them "
    "(a profile's role, a session token, IAM Identity Center), as assume would; asks for an "
    "MFA code when the source needs one.",
    epilog=apply_examples("refresh"),
)
def refresh_command(
    ctx: typer.Context,
    hook: Annotated[
        bool,
        typer.Option(
            "--hook",
            help="What the prompt hook runs: never asks, never fails, at most one line on "
            "stderr; renews only inside the refresh window, unsets expired credentials.",
        ),
    ] = False,
    ahead: Annotated[
        bool,
        typer.Option(
            "--ahead",
            hidden=True,
            help="What the prompt hook starts in the background before the refresh window: "
            "renews into the shared cache, prints nothing.",
        ),
    ] = False,
    shell: ShellOption = None,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
) -> None:
    commands.refresh(_invocation(ctx), shell=shell, hook=hook, ahead=ahead)


def envgen_command(program: str | None) -> list[str]:
    """The words that run this envgen from anywhere: its console script by absolute path, else
    this Python running envgen isolated (-I: no module from the working directory, which
    `-m` would put first on the path, can stand in for envgen's)."""
    if program:
        path = os.path.abspath(program)
        name = os.path.basename(path).lower()
        if name in ("envgen", "envgen.exe") and os.path.isfile(path):
            return [path]
    return [sys.executable, "-I", "-m", "envgen"]


@app.command(
    "hook",
    cls=EnvgenCommand,
    short_help="Print the prompt hook that keeps credentials alive, for a startup file.",
    help="Print the prompt hook for SHELL's startup file. Before each prompt it renews the "
    "credentials envgen set once they near their expiry (ENVGEN_REFRESH_BEFORE seconds, "
    "default 300), warns once when that needs you, and unsets them once expired.",
    epilog="\n".join(
        [
            "\b",
            "Add to the startup file:",
            '  bash (~/.bashrc), zsh (~/.zshrc):  eval "$(envgen hook bash)"   (or zsh)',
            "  fish (config.fish):                envgen hook fish | source",
            '  tcsh (~/.tcshrc):                  eval "`envgen hook tcsh`"',
            "  elvish (rc.elv):                   eval (envgen hook elvish | slurp)",
            "  xonsh (~/.xonshrc):                execx($(envgen hook xonsh))",
            "  nushell (config.nu):               $env.config.hooks.pre_prompt ++= [(^envgen hook nu)]",
            "  PowerShell ($PROFILE):             envgen hook pwsh | Invoke-Expression   (or powershell)",
        ]
    ),
)
def hook_command(
    ctx: typer.Context,
    shell_name: Annotated[
        str,
        typer.Argument(metavar="SHELL", help="The shell: " + ", ".join(SHELLS) + "."),
    ],
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
) -> None:
    from envgen.dialects import shell_named

    dialect = shell_named(shell_name, source="SHELL")
    if dialect.prompt_hook is None:
        with_hooks = ", ".join(name for name, known in SHELLS.items() if known.prompt_hook)
        raise UsageError(
            f"{dialect.name} runs nothing before its prompt, so it has no hook; run "
            f"{dialect.apply_hint('envgen refresh')} when envgen says the credentials near "
            f"their expiry (shells with a hook: {with_hooks})"
        )
    invocation = _invocation(ctx)
    invocation.streams.write_output(dialect.render_hook(envgen_command(invocation.program)))


# A word the parser did not expect is repeated in its message only when it looks like a
# mistyped command or option name. Anything else may be a secret typed without its option
# (a secret key, a token, an MFA code), and messages end up in terminals, logs and CI output.
_NAME_LIKE = re.compile(r"-{0,2}[a-z][a-z0-9-]{0,30}")


def _unexpected_word(problem: typer.TyperException) -> str | None:
    """What the parser choked on, when its message quotes a word the user typed."""
    name = getattr(problem, "option_name", None)
    if isinstance(problem, NoSuchOption) and isinstance(name, str):
        return name
    message = getattr(problem, "message", "")
    if message.startswith("No such command "):
        return message[len("No such command ") :].split(".")[0].strip("'\"")
    return None


def _option_joined_to_value(problem: typer.TyperException, word: str) -> str | None:
    """The option `word` starts with, as in `--session-tokenIQoJb3...` (the space forgotten)."""
    command = getattr(getattr(problem, "ctx", None), "command", None)
    names = [name for param in getattr(command, "params", ()) for name in param.opts]
    starts = [name for name in names if name.startswith("--") and word.startswith(name)]
    return max(starts, key=len) if starts else None


def _usage_message(problem: typer.TyperException) -> str:
    message = problem.message
    if message.startswith("Got unexpected extra argument"):
        return (
            "more arguments than the command takes; the extra ones are not repeated here, "
            "as they may be a secret typed without its option"
        )
    word = _unexpected_word(problem)
    if word is not None and not _NAME_LIKE.fullmatch(word):
        joined = _option_joined_to_value(problem, word)
        if joined is not None:
            return (
                f"no such option: it begins with {joined}; put a space or = between the "
                "option and its value (the value is not repeated here)"
            )
        what = "option" if word.startswith("-") else "command"
        return (
            f"no such {what}; the word given is not repeated here, as it may be a secret "
            "typed without its option"
        )
    # An unknown option gets the same "Did you mean" as an unknown command:
    # the closest match (click lists them closest first), not a sorted list.
    possibilities = [p for p in getattr(problem, "possibilities", None) or () if p != "--help"]
    if possibilities:
        return f"{message}. Did you mean {possibilities[0]}?"
    return problem.format_message()


def _help_pointer(problem: typer.TyperException, argv: list[str]) -> str:
    """`envgen assume --help` for a mistake in assume's options, `envgen --help` otherwise."""
    path = getattr(getattr(problem, "ctx", None), "command_path", "")
    if not path:
        # Some parser errors come without their context: the command is the first word
        # that names one.
        words = argv[: argv.index("--")] if "--" in argv else argv
        named = next((word for word in words if word in app_command_names()), None)
        path = f"envgen {named}" if named else "envgen"
    return f"see {path} --help"


def app_command_names() -> set[str]:
    return {command.name for command in app.registered_commands if command.name}


def _secret_options(command: object) -> frozenset[str]:
    """The options of every command whose values are secrets: those declared with
    `hide_input`, as a value typed for them would be asked without echo."""
    found: set[str] = set()
    pending: list[object] = [command]
    while pending:
        current = pending.pop()
        for param in getattr(current, "params", ()):
            if getattr(param, "hide_input", False):
                found.update(param.opts)
        pending.extend(getattr(current, "commands", {}).values())
    return frozenset(found)


def run(argv: Sequence[str], streams: Streams, program: str | None = None) -> int:
    """Run envgen with the words ARGV on STREAMS; the exit status. Every failure ends here as
    one line on stderr and a non-zero status; nothing here reads sys.argv or sys.stdout.
    PROGRAM: what the process was started as (argv[0]), which the prompt hook runs again."""
    messages.set_level(messages.NORMAL)
    with used_for_the_run(streams):
        return _run_command(list(argv), streams, program)


def _run_command(arguments: list[str], streams: Streams, program: str | None) -> int:
    command = typer.main.get_command(app)
    invocation = Invocation(arguments, streams, _secret_options(command), program=program)
    if os.environ.get(COMPLETE_VARIABLE):
        # A shell asking for completions speaks typer's protocol, not click's.
        register_completion_protocol()
    try:
        # Before any command runs: a typer whose internals moved stops every one of them.
        convert_plainly(command)
        result = command.main(
            args=list(arguments), prog_name="envgen", standalone_mode=False, obj=invocation
        )
    except typer.TyperException as problem:
        # Usage errors from the parser: one line that names the fix, help one step away.
        if isinstance(problem, NoArgsIsHelpError):
            print(problem.format_message(), file=streams.stderr)
        else:
            pointer = _help_pointer(problem, arguments)
            say(f"error: {' '.join(_usage_message(problem).split())} ({pointer})")
        return cast(int, getattr(problem, "exit_code", 2))
    except typer.Exit as done:
        return done.exit_code
    except (typer.Abort, KeyboardInterrupt, EOFError):
        say("interrupted")
        return 130
    except SystemExit as exited:
        # Shell completion answers and exits inside click; its status is the run's.
        if exited.code is None or isinstance(exited.code, int):
            return exited.code or 0
        raise
    except BaseException as error:
        return report(error, streams)
    return result if isinstance(result, int) else 0


def main(argv: list[str] | None = None) -> NoReturn:
    """The console script: the process's own words and streams, its exit status."""
    guard_standard_streams()
    streams = Streams(sys.stdin, sys.stdout, sys.stderr)
    status = run(sys.argv[1:] if argv is None else argv, streams, program=sys.argv[0])
    if streams.stdout is not sys.stdout:
        # The output failed and was pointed at the null device: so is what Python flushes
        # at exit.
        sys.stdout = streams.stdout
    sys.exit(status)


if __name__ == "__main__":
    main()
