"""From a credentials value to the caller's shell: render, persist when asked, write, report."""

from __future__ import annotations

import dataclasses
import os
import shlex
import sys
from datetime import datetime, timezone

from envgen.credentials import Changes, Credentials, SECRET_VARIABLES
from envgen.detect import detect_shell
from envgen.dialects import Dialect, format_named
from envgen.sources.imported import refuse_expired

# Options whose values are secrets: masked wherever envgen echoes a command line.
SECRET_OPTIONS = frozenset(
    {"--secret-access-key", "--session-token", "--saml-assertion", "--web-identity-token",
     "--token-code"}
)


@dataclasses.dataclass(frozen=True)
class OutputRequest:
    shell: str | None = None
    format: str = "shell"
    show_secrets: bool = False
    persist: bool = False
    save_profile: str | None = None
    force: bool = False


def choose_dialect(request: OutputRequest) -> Dialect:
    return format_named(request.format) or detect_shell(request.shell)


def masked_command_line(argv: list[str]) -> str:
    shown: list[str] = []
    hide_next = False
    for argument in argv:
        if hide_next:
            shown.append("...")
            hide_next = False
            continue
        option, equals, _value = argument.partition("=")
        if option in SECRET_OPTIONS:
            if equals:
                shown.append(f"{option}=...")
            else:
                shown.append(argument)
                hide_next = True
            continue
        shown.append(argument)
    return "envgen " + shlex.join(shown)


def write_stdout(text: str) -> None:
    # Bytes, not text mode: every dialect's output ends lines with `\n` alone,
    # since a `\r` would stay in the last value under Git Bash and the like.
    sys.stdout.buffer.write(text.encode("utf-8"))
    sys.stdout.flush()


def say(message: str) -> None:
    """One line for the human, on stderr, never on the stream the shell evaluates."""
    print(f"envgen: {message}", file=sys.stderr)


def describe_expiry(expiration: datetime, now: datetime | None = None) -> str:
    now = now or datetime.now(timezone.utc)
    seconds = int((expiration - now).total_seconds())
    local = expiration.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z").strip()
    if seconds <= 0:
        return f"expired at {local}"
    hours, rest = divmod(seconds, 3600)
    minutes = rest // 60
    left = f"{hours} h {minutes} min" if hours else f"{minutes} min" if minutes else f"{seconds} s"
    return f"expire at {local} ({left} left)"


def emit(changes: Changes, request: OutputRequest, argv: list[str]) -> Dialect:
    """Render everything first, so a refusal leaves stdout empty; then write it."""
    dialect = choose_dialect(request)
    text = dialect.render(changes)
    carries_secrets = any(name in SECRET_VARIABLES for name in changes.assignments)
    if carries_secrets and sys.stdout.isatty() and not request.show_secrets:
        hint = dialect.apply_hint(masked_command_line(argv)) if dialect.is_shell else (
            masked_command_line(argv) + " > FILE"
        )
        say(
            "not printing credentials to a terminal; apply them with: "
            f"{hint}   (or add --show-secrets to print them here)"
        )
        return dialect
    write_stdout(text)
    return dialect


def deliver(
    credentials: Credentials,
    request: OutputRequest,
    argv: list[str],
    whose: str | None = None,
) -> None:
    refuse_expired(credentials)
    emit(Changes.from_credentials(credentials), request, argv)
    if credentials.expiration is not None:
        subject = f"credentials for {whose}" if whose else "these credentials"
        say(f"{subject} {describe_expiry(credentials.expiration)}")
    elif whose:
        say(f"credentials for {whose} (no expiry known)")


def environ_region() -> str | None:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or None
