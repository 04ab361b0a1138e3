"""From a credentials value to the caller's shell: render, persist when asked, write, report."""

from __future__ import annotations

import dataclasses
import os
import select
import shlex
import stat
import sys
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, TextIO

from envgen.credentials import SECRET_VARIABLES, Changes, Credentials, format_expiration
from envgen.detect import detect_shell
from envgen.dialects import Dialect, format_named
from envgen.errors import EnvgenError, UsageError
from envgen.messages import inform, say

if TYPE_CHECKING:
    from envgen.persist import SideEffect

# Options whose values are secrets: masked wherever envgen echoes a command line.
SECRET_OPTIONS = frozenset(
    {
        "--secret-access-key",
        "--session-token",
        "--saml-assertion",
        "--web-identity-token",
        "--token-code",
    }
)


@dataclasses.dataclass(frozen=True)
class OutputRequest:
    shell: str | None = None
    format: str = "shell"
    show_secrets: bool = False
    persist: bool = False
    save_profile: str | None = None
    force: bool = False
    # Set by prepare(): stdout is a terminal and --show-secrets was not given, so nothing
    # will be printed; the command stops before it asks, reads stdin, calls STS or
    # changes a file, and says how to apply its output instead.
    held_at_terminal: bool = False


def choose_dialect(request: OutputRequest) -> Dialect:
    return format_named(request.format) or detect_shell(request.shell)


def prepare(request: OutputRequest) -> OutputRequest:
    """Check the output options before any input is read or any request is made, so a typo
    costs no MFA prompt and no trip to STS; the shell found is named in the request, so it
    is detected once."""
    _stdout()
    dialect = format_named(request.format) or detect_shell(request.shell, warn=say)
    if request.persist and not dialect.is_shell:
        raise UsageError(
            f"--persist keeps variables for a shell; --format {dialect.name} has none "
            "(use --format shell)"
        )
    if request.save_profile is not None:
        from envgen.persist.shared_credentials import check_save_target

        check_save_target(request.save_profile)
    elif request.force:
        raise UsageError("--force goes with --save-profile NAME")
    # Decided here, once, before anything is asked or spent: shell code printed on a
    # terminal changes nothing, so a prompt, an STS call or a saved file before the
    # refusal would be wasted or, worse, look like it worked.
    held = _stdout_is_terminal() and not request.show_secrets
    return dataclasses.replace(
        request, shell=dialect.name if dialect.is_shell else request.shell, held_at_terminal=held
    )


def _stdout_is_terminal() -> bool:
    try:
        return sys.stdout is not None and sys.stdout.isatty()
    except (OSError, ValueError):
        return False


def terminal_hint(request: OutputRequest, argv: list[str], *, credentials: bool = True) -> str:
    """What to run instead, when the output would only have been shown on a terminal."""
    dialect = choose_dialect(request)
    command = masked_command_line(argv)
    if not dialect.is_shell:
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


def hold_at_terminal(request: OutputRequest, argv: list[str], *, credentials: bool = True) -> bool:
    """True, once the user has been told how to apply the output, when the command must stop
    here because its output would only be shown on a terminal."""
    if not request.held_at_terminal:
        return False
    say(terminal_hint(request, argv, credentials=credentials))
    return True


def _names_a_source(value: str) -> bool:
    # `file://PATH` and `-` say where a secret is, not what it is: the hint keeps them, so
    # it can be run as shown.
    return value == "-" or value.startswith("file://")


def masked_command_line(argv: list[str]) -> str:
    shown: list[str] = []
    hide_next = False
    for argument in argv:
        if hide_next:
            shown.append(argument if _names_a_source(argument) else "...")
            hide_next = False
            continue
        option, equals, value = argument.partition("=")
        if option in SECRET_OPTIONS:
            if equals:
                shown.append(argument if _names_a_source(value) else f"{option}=...")
            else:
                shown.append(argument)
                hide_next = True
            continue
        shown.append(argument)
    return "envgen " + shlex.join(shown)


def _stdout() -> TextIO:
    if sys.stdout is None:
        raise UsageError("stdout is closed: there is nowhere to write the output to")
    return sys.stdout


def refuse_unread_stdout() -> None:
    """Fail before any file changes when nobody can read the output: a pipe whose reader
    has exited (`| head -c0`, a closed consumer) would take none of it, and the shell
    would apply nothing of what was just kept or saved."""
    stdout = _stdout()
    try:
        descriptor = stdout.fileno()
        mode = os.fstat(descriptor).st_mode
    except (OSError, ValueError):
        return
    if not (stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)) or not hasattr(select, "poll"):
        return
    # The write end of a pipe without readers polls as an error (Linux, the BSDs), a
    # socket whose peer has gone as a hang-up; neither waits.
    poller = select.poll()
    poller.register(descriptor, select.POLLOUT)
    for _descriptor, events in poller.poll(0):
        if events & (select.POLLERR | select.POLLHUP):
            raise EnvgenError(
                "nothing reads envgen's output (stdout is a pipe whose reader has exited); "
                "nothing was changed: apply the output the way envgen --help shows"
            )


def write_stdout(text: str, already_done: Sequence[str] = ()) -> None:
    """Write the shell code; a stdout that fails to take it (a reader gone meanwhile, a
    full disk) is one line naming whatever was already done, never a traceback."""
    stdout = _stdout()
    try:
        # Bytes, not text mode: every dialect's output ends lines with `\n` alone,
        # since a `\r` would stay in the last value under Git Bash and the like.
        stdout.buffer.write(text.encode("utf-8"))
        stdout.flush()
    except OSError as error:
        _silence_stdout()
        reason = error.strerror or type(error).__name__
        done = (
            f"; already done, and left as it is: {'; '.join(already_done)}" if already_done else ""
        )
        raise EnvgenError(
            f"could not write the output to stdout ({reason}), so the shell applied none of "
            f"it{done}; run the command again with its output going to the shell"
        ) from None


def _silence_stdout() -> None:
    # What stays in the buffer would be flushed again at exit, and fail again with a
    # message of Python's own: point descriptor 1 at the null device and drop it.
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.close(null)
        sys.stdout = open(os.devnull, "w", encoding="utf-8")
    except OSError:
        pass


def guard_standard_streams() -> None:
    """Python sends text meant for a missing stderr to stdout, which the shell evaluates,
    and a closed descriptor 0, 1 or 2 would be taken by the next file envgen opens. Each
    closed one is therefore filled with the null device before anything else happens."""
    for descriptor in (0, 1, 2):
        try:
            os.fstat(descriptor)
        except OSError:
            null = os.open(os.devnull, os.O_RDWR)
            if null != descriptor:
                os.dup2(null, descriptor)
                os.close(null)
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w", encoding="utf-8")


def describe_duration(seconds: int) -> str:
    """A span in the two largest units that matter: `2 days 3 h`, `4 h 5 min`, `6 min`, `7 s`."""
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        unit = "day" if days == 1 else "days"
        return f"{days} {unit} {hours} h" if hours and days < 7 else f"{days} {unit}"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min"
    return f"{seconds} s"


def describe_expiry(expiration: datetime, now: datetime | None = None) -> str:
    now = now or datetime.now(timezone.utc)
    seconds = int((expiration - now).total_seconds())
    try:
        local = expiration.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z").strip()
    except (OverflowError, ValueError, OSError):
        # East of UTC the last hours of year 9999 fall in year 10000, which no local
        # time can show (and Windows refuses far dates): say it in UTC instead.
        local = format_expiration(expiration)
    if seconds <= 0:
        return f"expired at {local}"
    return f"expire in {describe_duration(seconds)} (at {local})"


def emit(
    changes: Changes,
    request: OutputRequest,
    argv: list[str],
    *,
    effects: Sequence[SideEffect] = (),
    expiration: datetime | None = None,
    summary: Sequence[str] = (),
) -> Dialect:
    """Render everything and word every message first, so a refusal or a failing message
    leaves stdout empty and no file changed; then make the side effects, then write stdout,
    then tell the human (`summary` last)."""
    dialect = choose_dialect(request)
    text = dialect.render(changes)
    effects = list(effects)
    if request.persist:
        from envgen.persist import plan_persistence

        persistence = plan_persistence(dialect, changes)
        text += persistence.output
        effects.append(persistence)
    # Worded now, as everything that could fail: an effect's own report is read once it is
    # applied (it may say what it found), still before the first byte of stdout.
    kept_until = (
        f"the credentials {describe_expiry(expiration)}"
        if expiration is not None
        else "no expiry known"
    )
    carries_secrets = any(name in SECRET_VARIABLES for name in changes.assignments)
    credentials = carries_secrets or request.save_profile is not None
    if hold_at_terminal(request, argv, credentials=credentials):
        for message in summary:
            inform(message)
        # Status 0: nothing failed, and the user got what a terminal should show.
        return dialect
    refuse_unread_stdout()
    done: list[str] = []
    for effect in effects:
        effect.apply()
        done.append(effect.report)
    messages = [
        f"{report}; {kept_until}" if effect.keeps else report
        for effect, report in zip(effects, done, strict=False)
    ]
    write_stdout(text, already_done=done)
    for message in [*messages, *summary]:
        inform(message)
    return dialect


def deliver(
    credentials: Credentials,
    request: OutputRequest,
    argv: list[str],
    whose: str | None = None,
) -> None:
    credentials.refuse_if_expired()
    changes = Changes.from_credentials(credentials)
    effects: list[SideEffect] = []
    if request.save_profile is not None:
        from envgen.persist.shared_credentials import ProfileSave

        profile = ProfileSave.plan(request.save_profile, credentials, request.force)
        changes = profile.changes()
        effects.append(profile)
    elif request.force:
        raise UsageError("--force goes with --save-profile NAME")
    summary: list[str] = []
    if credentials.expiration is not None:
        subject = f"credentials for {whose}" if whose else "these credentials"
        summary.append(f"{subject} {describe_expiry(credentials.expiration)}")
    elif whose:
        summary.append(f"credentials for {whose} (no expiry known)")
    emit(
        changes,
        request,
        argv,
        effects=effects,
        expiration=credentials.expiration,
        summary=summary,
    )
