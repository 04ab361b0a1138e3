"""Running the command of `envgen exec`: the one way envgen starts a child.

Without anything to keep alive, envgen becomes the command (POSIX exec), so signals and the
exit status are the command's own. With something to keep alive beside it (the credentials
endpoint of `exec --serve`), envgen starts the command, passes on the signals sent to envgen
itself, and exits with the command's status: 128+n when a signal n ended it, as a shell
reports it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from envgen.errors import EnvgenError
from envgen.messages import detail
from envgen.streams import current

# What a supervisor, a terminal or `kill` sends to stop or poke a command; passed on to it.
FORWARDED_SIGNALS: tuple[signal.Signals, ...] = tuple(
    getattr(signal, name)
    for name in ("SIGHUP", "SIGINT", "SIGQUIT", "SIGTERM", "SIGUSR1", "SIGUSR2")
    if hasattr(signal, name)
)

# Linux's si_code for a signal the kernel raised itself, such as the terminal's Ctrl-C (SIGINT)
# or hang-up (SIGHUP): those reach the command's process group, the command included, so
# passing them on would deliver them twice. A signal sent with kill() has si_code SI_USER (0)
# or SI_QUEUE, and reaches envgen alone.
_SI_KERNEL = 0x80

_POLL_SECONDS = 0.05

# Python ignores SIGPIPE and SIGXFSZ for itself; the command gets the default back, as
# subprocess gives it.
_RESET_IN_CHILD: tuple[signal.Signals, ...] = (
    *FORWARDED_SIGNALS,
    *(getattr(signal, name) for name in ("SIGCHLD", "SIGPIPE", "SIGXFSZ") if hasattr(signal, name)),
)


def _flush_streams() -> None:
    # What the run wrote must be out before the command takes the descriptors over.
    streams = current()
    for stream in (streams.stdout, streams.stderr):
        if stream is not None:
            stream.flush()


@contextmanager
def _reported_start_failures(name: str) -> Iterator[None]:
    try:
        yield
    except FileNotFoundError:
        raise EnvgenError(f"{name}: command not found", exit_code=127) from None
    except PermissionError:
        raise EnvgenError(f"{name}: permission denied", exit_code=126) from None
    except OSError as error:
        raise EnvgenError(f"{name}: cannot run it ({error.strerror})", exit_code=126) from None


def run(command: Sequence[str], environment: dict[str, str]) -> int:
    """Run COMMAND; on POSIX envgen becomes it, so signals and the exit status are its own."""
    _flush_streams()
    with _reported_start_failures(command[0]):
        if os.name == "posix":
            os.execvpe(command[0], list(command), environment)
        return subprocess.run(list(command), env=environment, check=False).returncode


def run_alongside(
    command: Sequence[str], environment: dict[str, str], start_beside: Callable[[], None]
) -> int:
    """Run COMMAND as a child while what START_BESIDE starts (threads) keeps running, passing
    on the signals sent to envgen; the command's exit status, 128+n for a signal n."""
    if os.name != "posix":
        start_beside()
        _flush_streams()
        with _reported_start_failures(command[0]):
            return subprocess.run(list(command), env=environment, check=False).returncode
    waits_for_signals = hasattr(signal, "sigtimedwait")
    watched = {*FORWARDED_SIGNALS, signal.SIGCHLD}
    # While the command holds the terminal (an interactive shell takes it over), envgen reading
    # or writing it would be stopped by SIGTTIN or SIGTTOU, and its endpoint with it; blocked,
    # the read fails instead, and the writing goes through.
    held_back = {signal.SIGTTIN, signal.SIGTTOU}
    if waits_for_signals:
        # Blocked from here on in this thread and in every thread started later, so that no
        # thread dies of a signal meant for the command: it stays pending until the loop
        # below takes it, with its sender.
        held_back |= watched
    signal.pthread_sigmask(signal.SIG_BLOCK, held_back)
    try:
        start_beside()
        _flush_streams()
        with _reported_start_failures(command[0]):
            # posix_spawn sets the child's signal mask and dispositions itself, with no Python
            # code running between fork and exec while other threads hold locks.
            pid = os.posix_spawnp(
                command[0],
                list(command),
                environment,
                setsigmask=(),
                setsigdef=_RESET_IN_CHILD,
            )
        if waits_for_signals:
            status = _wait_passing_signals(pid)
        else:
            status = _wait_with_handlers(pid)
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, held_back)
    return _exit_status(status)


def _wait_passing_signals(pid: int) -> int:
    watched = {*FORWARDED_SIGNALS, signal.SIGCHLD}
    while True:
        finished, status = os.waitpid(pid, os.WNOHANG)
        if finished == pid:
            return status
        # The timeout only guards against a SIGCHLD merged with one taken earlier.
        info = signal.sigtimedwait(watched, 1.0)
        if info is None or info.si_signo == signal.SIGCHLD:
            continue
        if info.si_code == _SI_KERNEL:
            continue
        try:
            os.kill(pid, info.si_signo)
        except ProcessLookupError:
            continue
        detail(f"passed {signal.Signals(info.si_signo).name} on to the command")


def _wait_with_handlers(pid: int) -> int:
    """Where a signal's sender cannot be told (macOS), every signal envgen gets is passed on."""

    def pass_on(number: int, frame: object) -> None:
        try:
            os.kill(pid, number)
        except ProcessLookupError:
            pass

    previous = {number: signal.signal(number, pass_on) for number in FORWARDED_SIGNALS}
    try:
        # Polled, not waited for: a signal may land in another thread, and Python runs the
        # handler only once the main thread runs Python code again.
        while True:
            finished, status = os.waitpid(pid, os.WNOHANG)
            if finished == pid:
                return status
            time.sleep(_POLL_SECONDS)
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _exit_status(status: int) -> int:
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.waitstatus_to_exitcode(status)


__all__ = ["FORWARDED_SIGNALS", "run", "run_alongside"]
