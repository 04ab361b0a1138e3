"""`envgen refresh`: the credentials envgen set in this shell, got again from the same source.

With --hook it is what the prompt hook runs once ENVGEN_CHECK_AT has come: it never asks
anything, never fails, prints shell code (possibly none) and says at most one line. What it
does depends on the records envgen left beside the credentials (envgen.records):

- the keys in the environment are not the ones envgen set: the records are dropped, silently,
  and nothing of the user's is touched;
- more than the refresh window left (the clock moved, the window changed): a new check time;
- renewable without a person: renewed from the same source, never from a cache entry that is
  itself inside the window;
- renewal needs a person (an MFA code, a SAML assertion, a web identity token, imported keys,
  an expired IAM Identity Center sign-in): one line saying when they expire and what to run,
  and no further check before the expiry;
- expired: what envgen set is unset, with one line saying so.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator, Mapping
from datetime import datetime, timezone
from types import FrameType

from envgen import records
from envgen.credentials import (
    ACCESS_KEY_ID,
    CREDENTIAL_VARIABLES,
    DEFAULT_REGION,
    IDENTITY_SELECTORS,
    REGION,
    Changes,
)
from envgen.dialects import Dialect
from envgen.durations import describe_expiry
from envgen.errors import EnvgenError, UsageError
from envgen.messages import say
from envgen.output import OutputRequest, deliver, emit
from envgen.records import Origin
from envgen.sources.request import PASSED_THROUGH, Issued, Place, RoleOptions

# The kinds of source that cannot issue again without the person: what they were given
# (an assertion, a token, the keys themselves) was spent or is not envgen's to keep.
NEEDS_A_PERSON = frozenset({"imported", "saml", "web-identity", "federation-token"})

# The longest a renewal at a prompt may take, everything included (botocore's own bounds are
# longer, for commands a person waits for on purpose).
HOOK_DEADLINE_SECONDS = 10


class Recorded:
    """The records envgen left in an environment, read back."""

    def __init__(self, origin: Origin, expiration: int) -> None:
        self.origin = origin
        self.expiration = expiration  # epoch seconds

    @classmethod
    def read(cls, environ: Mapping[str, str]) -> Recorded | None:
        origin = Origin.from_text(environ.get(records.SOURCE, ""))
        expiration = records.read_epoch(environ.get(records.EXPIRATION))
        if origin is None or expiration is None:
            return None
        return cls(origin, expiration)

    def keys_are_envgens(self, environ: Mapping[str, str]) -> bool:
        """Whether the keys in the environment are still the ones envgen recorded."""
        key = environ.get(ACCESS_KEY_ID)
        return key is not None and records.key_digest(key) == self.origin.key_digest

    @property
    def expires(self) -> datetime:
        return datetime.fromtimestamp(self.expiration, timezone.utc)


class NeedsAPerson(EnvgenError):
    """Renewal would need someone to type, sign in or hand over something."""


def rerun_command(origin: Origin) -> str:
    """The envgen command that gets such credentials again, for a person to run."""
    profile = f" {origin.profile}" if origin.profile else ""
    if origin.kind == "imported":
        return "envgen import ..."
    if origin.kind == "saml":
        return "envgen saml --saml-assertion ..."
    if origin.kind == "web-identity":
        return f"envgen web-identity --role-arn {origin.role_arn or 'ARN'} --web-identity-token ..."
    role = f" --role-arn {origin.role_arn}" if origin.role_arn else ""
    return f"envgen assume{profile}{role}"


def _how_to_renew(origin: Origin, dialect: Dialect) -> str:
    if origin.kind in NEEDS_A_PERSON or origin.base in ("env", PASSED_THROUGH):
        return rerun_command(origin)
    refresh = dialect.apply_hint("envgen refresh")
    if origin.kind == "sso":
        return f"envgen sso login{' ' + origin.profile if origin.profile else ''}, then {refresh}"
    # An MFA code: `envgen refresh` asks for it at the terminal.
    return refresh


def refuse_unrenewable(origin: Origin) -> None:
    if origin.kind in NEEDS_A_PERSON:
        raise NeedsAPerson(f"credentials from {origin.kind} cannot be renewed without you")
    if origin.base == PASSED_THROUGH:
        raise NeedsAPerson("these credentials were already temporary when envgen got them")
    if origin.base == "env":
        raise NeedsAPerson(
            "the keys that signed for these credentials were in the environment, which now "
            "holds the temporary ones"
        )


@contextlib.contextmanager
def _without_envgens_keys(origin: Origin) -> Iterator[None]:
    """The process's environment without the credentials being replaced: the source must sign
    with what signed the first time, never with them. The region stays, as the shell holds
    it. A profile that was chosen by AWS_PROFILE is in the record; a profile named since must
    not choose for it."""
    removed = [name for name in CREDENTIAL_VARIABLES if name not in (REGION, DEFAULT_REGION)]
    if origin.profile is None:
        removed += IDENTITY_SELECTORS
    saved = {name: os.environ.pop(name) for name in removed if name in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)


def _request(origin: Origin) -> tuple[Place, RoleOptions]:
    where = Place(origin.profile, origin.region, origin.endpoint_url)
    options = RoleOptions(
        role_arn=origin.role_arn,
        session_name=origin.session_name,
        duration_seconds=origin.duration_seconds,
        external_id=origin.external_id,
        serial_number=origin.serial_number,
    )
    return where, options


def renew_from_cache(origin: Origin, window: int) -> Issued | None:
    """What `renew` would answer from the shared cache without asking anyone (a role
    profile's entry with more than `window` seconds left, usually the one renewed ahead), or
    None when `renew` has more to do."""
    from envgen.sources import assume, aws_cli_cache

    refuse_unrenewable(origin)
    where, options = _request(origin)
    with _without_envgens_keys(origin), aws_cli_cache.requiring_life(window):
        return assume.issue_from_cache(where, options)


def renew(origin: Origin, window: int) -> Issued:
    """Credentials from the source `origin` names, with more than `window` seconds left where
    the source can give that: a cache entry inside the window is not served again."""
    from envgen.sources import assume, aws_cli_cache

    refuse_unrenewable(origin)
    where, options = _request(origin)
    from envgen.sources.sso_tokens import LOGIN_HINT
    from envgen.sources.terminal import MfaCodeNeeded

    try:
        with _without_envgens_keys(origin), aws_cli_cache.requiring_life(window):
            return assume.issue(where, options)
    except MfaCodeNeeded:
        raise NeedsAPerson("an MFA code is needed") from None
    except EnvgenError as error:
        if LOGIN_HINT in error.message:
            raise NeedsAPerson(error.message) from None
        raise


class _TookTooLong(Exception):
    pass


@contextlib.contextmanager
def _deadline(seconds: int) -> Iterator[None]:
    """Bound the whole renewal where the platform allows: a prompt must never hang."""
    import signal

    if not hasattr(signal, "SIGALRM"):
        yield
        return

    def expire(signum: int, frame: FrameType | None) -> None:
        raise _TookTooLong

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def refresh_now(request: OutputRequest, environ: Mapping[str, str]) -> None:
    """`envgen refresh`: renew now from the recorded source, as `assume` would."""
    recorded = Recorded.read(environ)
    if recorded is None:
        raise UsageError(
            "envgen has no record of credentials it set in this shell; get some with envgen "
            "assume (or sso, saml, web-identity, import) first"
        )
    if not recorded.keys_are_envgens(environ):
        raise UsageError(
            "the keys in this shell are not the ones envgen set, so envgen leaves them alone; "
            "run envgen assume (or another command) for the credentials you want"
        )
    origin = recorded.origin
    try:
        issued = renew(origin, request.refresh_window)
    except NeedsAPerson as reason:
        raise EnvgenError(f"{reason.message}; get new ones with: {rerun_command(origin)}") from None
    _deliver_renewed(issued, origin, request.changed(persist=origin.persisted))


def _deliver_renewed(issued: Issued, origin: Origin, request: OutputRequest) -> None:
    where = Place(origin.profile, origin.region, origin.endpoint_url)
    options = RoleOptions(
        origin.role_arn,
        origin.session_name,
        origin.duration_seconds,
        origin.external_id,
        origin.serial_number,
    )
    if request.persist:
        # A managed file kept again names, for a session started after the expiry, the
        # command that gets new ones, not this one, which needs the records it will not have.
        request = request.changed(command_line=f"{rerun_command(origin)} --persist")
    # Credentials that live no longer than the window would be renewed at every prompt:
    # once a minute at most.
    deliver(
        issued,
        request,
        where,
        options,
        check_not_before=records.now_epoch() + records.RETRY_SECONDS,
    )


def refresh_for_hook(request: OutputRequest, environ: Mapping[str, str]) -> None:
    """`envgen refresh --hook`: whatever happens, shell code or nothing on stdout, at most one
    line on stderr, and status 0 (the caller turns an EnvgenError into a line, not a failure
    of the prompt)."""
    dialect = request.dialect
    assert isinstance(dialect, Dialect)
    recorded = Recorded.read(environ)
    if recorded is None or not recorded.keys_are_envgens(environ):
        # Nothing envgen can act on, or keys the user put there since: forget the records,
        # touch nothing else.
        emit(Changes({}, records.RECORD_VARIABLES), request)
        return
    origin, now = recorded.origin, records.now_epoch()
    if now >= recorded.expiration:
        _unset_expired(recorded, request)
        return
    window = request.refresh_window
    left = recorded.expiration - now
    if left > window:
        if left > window + records.LEAD_SECONDS:
            # The clock moved or the window changed: the check envgen would record now.
            later = records.first_check(origin, recorded.expiration, window)
        else:
            # The lead before the window: renewed in the background, so that the renewal at
            # the window finds the credentials in the cache; nothing changes at this prompt.
            if records.renews_ahead(origin):
                _start_renewal_ahead()
            later = recorded.expiration - window
        emit(Changes({records.CHECK_AT: str(later)}, ()), request)
        return
    try:
        # An answer from the cache (the renewal ahead's, usually) waits on no network, so it
        # needs no deadline, whose signal handling would cost the prompt more than the rest.
        cached = renew_from_cache(origin, window)
        with contextlib.nullcontext() if cached else _deadline(HOOK_DEADLINE_SECONDS):
            issued = cached or renew(origin, window)
            renewed = request.changed(persist=origin.persisted)
            _deliver_renewed(issued, origin, renewed)
        say(
            f"renewed the credentials for {issued.whose or 'this shell'}; they "
            f"{describe_expiry(issued.credentials.expiration)}"
            if issued.credentials.expiration is not None
            else f"renewed the credentials for {issued.whose or 'this shell'}"
        )
        return
    except NeedsAPerson:
        check_at = recorded.expiration
        line = (
            f"the credentials in this shell {describe_expiry(recorded.expires)}; renew them "
            f"with: {_how_to_renew(origin, dialect)}"
        )
    except _TookTooLong:
        check_at = min(now + records.RETRY_SECONDS, recorded.expiration)
        line = (
            f"renewing the credentials took over {HOOK_DEADLINE_SECONDS} s; trying again in a "
            f"minute (they {describe_expiry(recorded.expires)})"
        )
    except EnvgenError as error:
        check_at = min(now + records.RETRY_SECONDS, recorded.expiration)
        line = f"could not renew the credentials: {error.message}"
    emit(Changes({records.CHECK_AT: str(check_at)}, ()), request)
    say(line)


def _start_renewal_ahead() -> None:
    """Start `envgen refresh --ahead` detached from the terminal: its own session, no
    controlling terminal to ask at, every standard stream on the null device (a hook reads
    this process's stdout to its end, which a child holding it would delay), no other
    descriptor of this process's. What it does not do, the renewal at the window does, as if
    it had never run."""
    from envgen.self_command import running_envgen

    try:
        words = [*running_envgen(), "refresh", "--ahead"]
        if sys.platform == "win32":
            _start_detached_on_windows(words)
            return
        # posix_spawn rather than subprocess, which costs a prompt more to load than the
        # rest of this run.
        null = [(os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_RDWR, 0) for fd in (0, 1, 2)]
        os.posix_spawn(
            words[0],
            words,
            os.environ,
            file_actions=[*null, *_inherited_descriptors_closed()],
            setsid=True,
        )
    except (OSError, ValueError, EnvgenError):
        # No process to start (a full process table, a missing interpreter): the renewal at
        # the window is synchronous.
        pass


def _inherited_descriptors_closed() -> list[tuple[int, int]]:
    """posix_spawn's actions that close every descriptor above 2 a child would inherit (the
    shell's, passed on to this process)."""
    try:
        names = os.listdir("/dev/fd")
    except OSError:
        return []
    closing = []
    for name in names:
        fd = int(name) if name.isdigit() else -1
        try:
            if fd > 2 and os.get_inheritable(fd):
                closing.append((os.POSIX_SPAWN_CLOSE, fd))
        except OSError:
            continue  # the directory's own descriptor, closed by now
    return closing


def _start_detached_on_windows(words: list[str]) -> None:
    import subprocess

    detached = subprocess.DETACHED_PROCESS | subprocess.CREATE_NEW_PROCESS_GROUP  # type: ignore[attr-defined,unused-ignore]
    subprocess.Popen(
        words,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        creationflags=detached,
    )


def renew_ahead(environ: Mapping[str, str]) -> None:
    """`envgen refresh --ahead`, started by the hook in the lead before the window: renew
    the recorded credentials into the shared cache, requiring more life than the window and
    the lead together, so the entry that is about to enter the window is not served back. Its
    output is not used; the renewal at the window takes the credentials from the cache."""
    recorded = Recorded.read(environ)
    if recorded is None or not recorded.keys_are_envgens(environ):
        return
    origin = recorded.origin
    if not records.renews_ahead(origin):
        return
    window = records.refresh_window(environ)
    try:
        with _deadline(HOOK_DEADLINE_SECONDS):
            renew(origin, window + records.LEAD_SECONDS)
    except NeedsAPerson:
        # Said at the window, where the person is.
        return
    except _TookTooLong:
        raise EnvgenError(
            f"renewing the credentials ahead took over {HOOK_DEADLINE_SECONDS} s"
        ) from None


def _unset_expired(recorded: Recorded, request: OutputRequest) -> None:
    origin = recorded.origin
    dialect = request.dialect
    assert isinstance(dialect, Dialect)
    gone = Changes({}, (*CREDENTIAL_VARIABLES, *records.RECORD_VARIABLES))
    # A shell that keeps variables itself (fish's universal ones, the Windows user
    # environment) keeps them beyond this session: they go too. A managed file stays: it
    # stopped applying them at their expiry by itself, and tells new sessions so.
    from envgen.places import UserPlaces

    keeps_itself = dialect.persistence.kept_in_output(UserPlaces.current()) is not None
    persisted = origin.persisted and keeps_itself
    emit(gone, request.changed(persist=persisted))
    say(
        f"the credentials in this shell {describe_expiry(recorded.expires)} and are unset; get "
        f"new ones with: {_how_to_renew(origin, dialect)}"
    )
