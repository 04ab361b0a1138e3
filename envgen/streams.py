"""The standard streams of one run of envgen, handed in by its caller rather than read from sys.

stdout carries only shell code, written whole or not at all; a stdout that nobody reads or that
fails to take the code is said in one line. The process entry point passes the real streams;
an in-process caller (a test, say) passes its own."""

from __future__ import annotations

import contextlib
import os
import select
import stat
import sys
from collections.abc import Iterator, Sequence

from envgen.errors import EnvgenError, UsageError

# typing.TYPE_CHECKING without loading typing: see envgen.values.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TextIO


class Streams:
    def __init__(
        self,
        stdin: TextIO | None,
        stdout: TextIO | None,
        stderr: TextIO | None,
        may_ask_at_terminal: bool = True,
    ) -> None:
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        # Whether the run may ask the person at its controlling terminal (an MFA code, a
        # missing secret, a choice): a caller with nobody there, a test say, runs it as CI
        # does.
        self.may_ask_at_terminal = may_ask_at_terminal

    def __repr__(self) -> str:
        return f"Streams({self.stdin!r}, {self.stdout!r}, {self.stderr!r})"

    def output(self) -> TextIO:
        if self.stdout is None:
            raise UsageError("stdout is closed: there is nowhere to write the output to")
        return self.stdout

    def output_is_terminal(self) -> bool:
        try:
            return self.stdout is not None and self.stdout.isatty()
        except (OSError, ValueError):
            return False

    def refuse_unread_output(self) -> None:
        """Fail before any file changes when nobody can read the output: a pipe whose reader
        has exited (`| head -c0`, a closed consumer) would take none of it, and the shell
        would apply nothing of what was just kept or saved."""
        stdout = self.output()
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

    def write_output(self, text: str, already_done: Sequence[str] = ()) -> None:
        """Write the shell code; a stdout that fails to take it (a reader gone meanwhile, a
        full disk) is one line naming whatever was already done, never a traceback."""
        stdout = self.output()
        try:
            # Bytes, not text mode: every dialect's output ends lines with `\n` alone,
            # since a `\r` would stay in the last value under Git Bash and the like.
            stdout.buffer.write(text.encode("utf-8"))
            stdout.flush()
        except OSError as error:
            self._silence_output()
            reason = error.strerror or type(error).__name__
            done = (
                f"; already done, and left as it is: {'; '.join(already_done)}"
                if already_done
                else ""
            )
            raise EnvgenError(
                f"could not write the output to stdout ({reason}), so the shell applied none "
                f"of it{done}; run the command again with its output going to the shell"
            ) from None

    def _silence_output(self) -> None:
        # What stays in the buffer would be flushed again at exit, and fail again with a
        # message of Python's own: point the descriptor at the null device and drop the
        # stream (the entry point puts the replacement in sys.stdout).
        try:
            descriptor = self.output().fileno()
        except (OSError, ValueError):
            descriptor = None
        try:
            if descriptor is not None:
                null = os.open(os.devnull, os.O_WRONLY)
                os.dup2(null, descriptor)
                os.close(null)
            self.stdout = open(os.devnull, "w", encoding="utf-8")
        except OSError:
            pass


# The streams of the run under way, innermost last: what messages are said on and what `-`
# reads, without handing them through every source.
_in_use: list[Streams] = []


@contextlib.contextmanager
def used_for_the_run(streams: Streams) -> Iterator[Streams]:
    _in_use.append(streams)
    try:
        yield streams
    finally:
        _in_use.pop()


def current() -> Streams:
    """The streams of the run under way; outside a run (a module used on its own), the
    process's."""
    return _in_use[-1] if _in_use else Streams(sys.stdin, sys.stdout, sys.stderr)


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
