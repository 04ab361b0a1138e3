"""From a credentials value to the caller's shell: the output options resolved once, then
render, persist when asked, write, report.

Everything a run depends on comes in the resolved request: the dialect object, the streams and
the command line as the user typed it; nothing here reads sys.stdout or sys.argv."""

from __future__ import annotations

import os
from collections.abc import Sequence

from envgen.credentials import SECRET_VARIABLES, Changes
from envgen.dialects import Dialect, Format, RenderContext, format_named, shell_named
from envgen.durations import describe_expiry
from envgen.errors import UsageError
from envgen.messages import inform, say
from envgen.records import DEFAULT_WINDOW_SECONDS, Origin, refresh_window, variables
from envgen.values import Value

# typing.TYPE_CHECKING without loading typing: see envgen.values.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from datetime import datetime
    from typing import Final

    from envgen.persist import SideEffect
    from envgen.persist.process_profile import Renewal
    from envgen.sources.request import Issued, Place, RoleOptions
    from envgen.streams import Streams


class OutputOptions(Value):
    """The output options as given on the command line, not yet checked."""

    __slots__ = (
        "shell",
        "format",
        "show_secrets",
        "persist",
        "save_profile",
        "force",
        "auto_refresh",
        "records",
    )
    shell: Final[str | None]
    format: Final[str]
    show_secrets: Final[bool]
    persist: Final[bool]
    save_profile: Final[str | None]
    force: Final[bool]
    auto_refresh: Final[bool]
    # Whether the output may carry credentials, and with them envgen's records, whose
    # ENVGEN_REFRESH_BEFORE is then checked before anything is asked.
    records: Final[bool]

    def __init__(
        self,
        shell: str | None = None,
        format: str = "shell",
        show_secrets: bool = False,
        persist: bool = False,
        save_profile: str | None = None,
        force: bool = False,
        auto_refresh: bool = False,
        records: bool = True,
    ) -> None:
        self.shell = shell
        self.format = format
        self.show_secrets = show_secrets
        self.persist = persist
        self.save_profile = save_profile
        self.force = force
        self.auto_refresh = auto_refresh
        self.records = records


class OutputRequest(Value):
    """Where and how the output goes, resolved once before any input is read."""

    __slots__ = (
        "dialect",
        "streams",
        "command_line",
        "context",
        "persist",
        "save_profile",
        "force",
        "auto_refresh",
        "held_at_terminal",
        "refresh_window",
    )
    dialect: Final[Format]  # a shell's Dialect, or a format such as json
    streams: Final[Streams]
    # The command line as the terminal hint repeats it, its secrets masked.
    command_line: Final[str]
    # What rendering depends on besides the values: the locale the shell runs in.
    context: Final[RenderContext]
    persist: Final[bool]
    save_profile: Final[str | None]
    force: Final[bool]
    # --save-profile writes a profile that renews through envgen, not the keys.
    auto_refresh: Final[bool]
    # Stdout is a terminal and --show-secrets was not given, so nothing will be printed;
    # the command stops before it asks, reads stdin, calls STS or changes a file, and says
    # how to apply its output instead.
    held_at_terminal: Final[bool]
    # ENVGEN_REFRESH_BEFORE: seconds before the expiry at which the prompt hook renews.
    refresh_window: Final[int]

    def __init__(
        self,
        dialect: Format,
        streams: Streams,
        command_line: str,
        context: RenderContext,
        persist: bool = False,
        save_profile: str | None = None,
        force: bool = False,
        auto_refresh: bool = False,
        held_at_terminal: bool = False,
        refresh_window: int = DEFAULT_WINDOW_SECONDS,
    ) -> None:
        self.dialect = dialect
        self.streams = streams
        self.command_line = command_line
        self.context = context
        self.persist = persist
        self.save_profile = save_profile
        self.force = force
        self.auto_refresh = auto_refresh
        self.held_at_terminal = held_at_terminal
        self.refresh_window = refresh_window

    def changed(
        self, *, persist: bool | None = None, command_line: str | None = None
    ) -> OutputRequest:
        """The same request, persisting or not, or repeating another command line."""
        return OutputRequest(
            self.dialect,
            self.streams,
            self.command_line if command_line is None else command_line,
            self.context,
            self.persist if persist is None else persist,
            self.save_profile,
            self.force,
            self.auto_refresh,
            self.held_at_terminal,
            self.refresh_window,
        )


def prepare(options: OutputOptions, streams: Streams, command_line: str) -> OutputRequest:
    """Check the output options before any input is read or any request is made, so a typo
    costs no MFA prompt and no trip to STS; the dialect is found here, once."""
    streams.output()
    dialect = format_named(options.format)
    if dialect is None and options.shell:
        # As envgen.detect.detect_shell answers a named shell, without loading that module:
        # a prompt hook names its shell at every renewal.
        dialect = shell_named(options.shell)
    if dialect is None:
        # Imported only here: a format such as json (a credential_process line) needs no
        # shell, and finding one walks the process tree.
        from envgen.detect import detect_shell

        dialect = detect_shell(options.shell, warn=say)
    if options.persist and not isinstance(dialect, Dialect):
        raise UsageError(
            f"--persist keeps variables for a shell; --format {dialect.name} has none "
            "(use --format shell)"
        )
    if options.save_profile is not None:
        from envgen.persist.shared_credentials import check_save_target

        check_save_target(options.save_profile)
    elif options.force:
        raise UsageError("--force goes with --save-profile NAME")
    elif options.auto_refresh:
        raise UsageError("--auto-refresh goes with --save-profile NAME")
    # Decided here, once, before anything is asked or spent: shell code printed on a
    # terminal changes nothing, so a prompt, an STS call or a saved file before the
    # refusal would be wasted or, worse, look like it worked.
    held = streams.output_is_terminal() and not options.show_secrets
    window = DEFAULT_WINDOW_SECONDS
    if options.records and isinstance(dialect, Dialect):
        window = refresh_window(os.environ)
    return OutputRequest(
        dialect=dialect,
        streams=streams,
        command_line=command_line,
        context=RenderContext.from_environ(os.environ),
        persist=options.persist,
        save_profile=options.save_profile,
        force=options.force,
        auto_refresh=options.auto_refresh,
        held_at_terminal=held,
        refresh_window=window,
    )


def terminal_hint(request: OutputRequest, *, credentials: bool = True) -> str:
    """What to run instead, when the output would only have been shown on a terminal."""
    dialect = request.dialect
    command = request.command_line
    if not isinstance(dialect, Dialect):
        return (
            f"not printing credentials to a terminal; save them with: {command} > FILE   "
            "(or add --show-secrets to print them here)"
        )
    idiom = dialect.apply_hint(command)
    if credentials:
        return (
            f"not printing credentials to a terminal; apply them in {dialect.name} with: "
            f"{idiom}   (or add --show-secrets to print them here)"
        )
    return (
        f"nothing done: shell code shown on a terminal changes nothing; apply it in "
        f"{dialect.name} with: {idiom}"
    )


def hold_at_terminal(request: OutputRequest, *, credentials: bool = True) -> bool:
    """True, once the user has been told how to apply the output, when the command must stop
    here because its output would only be shown on a terminal."""
    if not request.held_at_terminal:
        return False
    say(terminal_hint(request, credentials=credentials))
    return True


def emit(
    changes: Changes,
    request: OutputRequest,
    *,
    effects: Sequence[SideEffect] = (),
    expiration: datetime | None = None,
    summary: Sequence[str] = (),
    renewed_by: str | None = None,
) -> None:
    """Render everything and word every message first, so a refusal or a failing message
    leaves stdout empty and no file changed; then make the side effects, then write stdout,
    then tell the human (`summary` last)."""
    dialect = request.dialect
    text = dialect.render(changes, request.context)
    effects = list(effects)
    # prepare() has refused --persist with a format.
    if request.persist and isinstance(dialect, Dialect):
        from envgen.dialects.base import KeptUntil
        from envgen.persist import plan_persistence

        # Only keys expire: a profile's name (--save-profile) stays as valid as the profile.
        expiring = changes.credentials.expiration if changes.credentials is not None else None
        applies_until = KeptUntil(expiring, request.command_line) if expiring is not None else None
        persistence = plan_persistence(dialect, changes, request.context, kept_until=applies_until)
        text += persistence.output
        effects.append(persistence)
    # Worded now, as everything that could fail: an effect's own report is read once it is
    # applied (it may say what it found), still before the first byte of stdout.
    if renewed_by is not None:
        kept_until = f"profile {renewed_by} renews the credentials before they expire"
    elif expiration is not None:
        kept_until = f"the credentials {describe_expiry(expiration)}"
    else:
        kept_until = "no expiry known"
    carries_secrets = any(name in SECRET_VARIABLES for name in changes.assignments)
    credentials = carries_secrets or request.save_profile is not None
    if hold_at_terminal(request, credentials=credentials):
        for message in summary:
            inform(message)
        # Status 0: nothing failed, and the user got what a terminal should show.
        return
    request.streams.refuse_unread_output()
    done: list[str] = []
    for effect in effects:
        effect.apply()
        done.append(effect.report)
    messages = [
        f"{report}; {kept_until}" if effect.keeps else report
        for effect, report in zip(effects, done, strict=False)
    ]
    request.streams.write_output(text, already_done=done)
    for message in [*messages, *summary]:
        inform(message)


def deliver(
    issued: Issued,
    request: OutputRequest,
    where: Place | None = None,
    options: RoleOptions | None = None,
    *,
    renewal: Renewal | None = None,
    check_not_before: int = 0,
) -> None:
    """Write what a source issued as the request asks, for the place and options the command
    line chose: for a shell, with envgen's records of where it came from and when to renew
    it; with --auto-refresh, `renewal` is how the saved profile gets them again (the command
    that can renew checks its source first)."""
    credentials, whose = issued.credentials, issued.whose
    credentials.refuse_if_expired()
    records = None
    if isinstance(request.dialect, Dialect):
        origin = Origin.of(issued, where, options, persisted=request.persist)
        records = variables(
            origin, credentials.expiration, request.refresh_window, check_not_before
        )
    changes = Changes.from_credentials(credentials, records)
    effects: list[SideEffect] = []
    if request.save_profile is not None and request.auto_refresh:
        from envgen.persist.process_profile import ProcessProfileSave

        if renewal is None:
            raise UsageError("--auto-refresh: this command's credentials cannot be renewed")
        renewing = ProcessProfileSave.plan(
            request.save_profile, renewal, credentials.region, request.force
        )
        changes = renewing.changes()
        effects.append(renewing)
    elif request.save_profile is not None:
        from envgen.persist.shared_credentials import ProfileSave

        profile = ProfileSave.plan(request.save_profile, credentials, request.force)
        changes = profile.changes()
        effects.append(profile)
    summary: list[str] = []
    if credentials.expiration is not None:
        subject = f"credentials for {whose}" if whose else "these credentials"
        summary.append(f"{subject} {describe_expiry(credentials.expiration)}")
    elif whose:
        summary.append(f"credentials for {whose} (no expiry known)")
    renewed_by = request.save_profile if request.auto_refresh else None
    emit(
        changes,
        request,
        effects=effects,
        expiration=credentials.expiration,
        summary=summary,
        renewed_by=renewed_by,
    )
