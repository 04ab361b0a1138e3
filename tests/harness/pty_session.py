"""A shell at a real terminal: the session leader of a new pseudo-terminal, typed at and read.

A terminal emulator, `login` and `exec SHELL` all leave the shell leading its own session with
the terminal as its controlling tty; `subprocess.run` with pipes gives neither. This starts a
program the same way (argv[0] may differ from the executable, e.g. `-tcsh` as login passes
it), answers the few queries line editors send to a terminal, and reads the screen with a
bounded wait, so a shell that never prints what a test expects fails the test instead of
hanging it.

    with TerminalSession.start(["-fish"], executable="/usr/bin/fish", env=env) as terminal:
        terminal.wait_until_idle()
        terminal.type("envgen import creds.json | source")
        terminal.type("printenv AWS_ACCESS_KEY_ID")
        terminal.read_until(r"ASIA\\w+")
"""

from __future__ import annotations

import errno
import os
import re
import select
import signal
import struct
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from conftest import posix_only

if os.name != "nt":
    import fcntl
    import termios

ROWS, COLUMNS = 50, 400

# What a line editor may ask the terminal, and what an xterm answers. Without an answer,
# reedline (nushell) and prompt_toolkit (xonsh) wait before they show a prompt.
_CURSOR_POSITION_REQUEST = b"\x1b[6n"
_DEVICE_ATTRIBUTES_REQUEST = re.compile(rb"\x1b\[0?c")
_CURSOR_POSITION_ANSWER = b"\x1b[1;1R"
_DEVICE_ATTRIBUTES_ANSWER = b"\x1b[?62;22c"

# Escape sequences that colour, move or title the screen: removed before matching text.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor movement, modes
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC: window titles, hyperlinks
    r"|\x1b[PX^_][^\x1b]*\x1b\\"  # DCS, SOS, PM, APC strings
    r"|\x1b[()*+][0-9A-Za-z]"  # character set designations
    r"|\x1b[0-9=>A-Za-z]"  # two-character sequences (keypad modes, index, reset)
)


def screen_text(raw: bytes) -> str:
    """What a reader sees in the terminal's byte stream: no escape sequences, no CR."""
    text = raw.decode("utf-8", errors="replace")
    return _ESCAPES.sub("", text).replace("\r", "").replace("\x07", "")


class TerminalSession:
    """A program leading a new session whose controlling terminal is a fresh pseudo-terminal."""

    def __init__(self, process: subprocess.Popen[bytes], controller: int) -> None:
        self.process = process
        self._controller = controller
        self._raw = b""
        self._answered = 0  # bytes of output already scanned for terminal queries
        self._consumed = 0  # characters of screen text already matched by read_until

    @classmethod
    def start(
        cls,
        argv: Sequence[str],
        *,
        env: Mapping[str, str],
        executable: str | None = None,
        cwd: Path | str | None = None,
    ) -> TerminalSession:
        """Start `argv` (run from `executable` when argv[0] is a login name like `-bash`)."""
        posix_only("a pseudo-terminal")
        controller, terminal = os.openpty()
        fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
        try:
            process = subprocess.Popen(
                list(argv),
                executable=executable,
                stdin=terminal,
                stdout=terminal,
                stderr=terminal,
                env=dict(env),
                cwd=cwd,
                # setsid(), then make the terminal on fd 0 the session's controlling tty,
                # as login and terminal emulators do.
                start_new_session=True,
                preexec_fn=_take_controlling_terminal,
            )
        except BaseException:
            os.close(controller)
            raise
        finally:
            os.close(terminal)
        return cls(process, controller)

    # --- typing ---------------------------------------------------------------------------

    def type(self, line: str) -> None:
        """Type `line` and press Enter (a CR, as a keyboard sends it)."""
        self._write((line + "\r").encode())

    def _write(self, data: bytes) -> None:
        while data:
            written = os.write(self._controller, data)
            data = data[written:]

    # --- reading --------------------------------------------------------------------------

    @property
    def screen(self) -> str:
        """Everything shown so far, as text without escape sequences."""
        return screen_text(self._raw)

    def read_until(self, pattern: str | re.Pattern[str], timeout: float = 30.0) -> re.Match[str]:
        """The first match of `pattern` in screen text not matched before; fails after `timeout`."""
        expression = re.compile(pattern) if isinstance(pattern, str) else pattern
        deadline = time.monotonic() + timeout
        while True:
            match = expression.search(self.screen, self._consumed)
            if match:
                self._consumed = match.end()
                return match
            remaining = deadline - time.monotonic()
            arrived = remaining > 0 and self._read(min(remaining, 0.5))
            if remaining <= 0 or not arrived and not self.alive() and not self._read(0.1):
                raise AssertionError(
                    f"{expression.pattern!r} did not appear within {timeout}s "
                    f"(exit status {self.process.poll()}); the screen ends with:\n"
                    + self.screen[-3000:]
                )

    def wait_until_idle(self, quiet: float = 0.5, timeout: float = 30.0) -> None:
        """Wait for the first output (a prompt), then until nothing new comes for `quiet` s."""
        deadline = time.monotonic() + timeout
        while not self._raw:
            if time.monotonic() > deadline or not self.alive() and not self._read(0.2):
                raise AssertionError(f"nothing shown within {timeout}s: {self.screen!r}")
            self._read(0.2)
        while time.monotonic() < deadline:
            if not self._read(quiet):
                return
        raise AssertionError(f"the screen kept changing for {timeout}s: {self.screen[-3000:]}")

    def _read(self, wait: float) -> bool:
        """Read what arrives within `wait` seconds; True when something arrived."""
        ready, _, _ = select.select([self._controller], [], [], max(wait, 0))
        if not ready:
            return False
        try:
            chunk = os.read(self._controller, 65536)
        except OSError as error:  # EIO: every process holding the terminal has gone
            if error.errno != errno.EIO:
                raise
            return False
        self._raw += chunk
        self._answer_queries()
        return bool(chunk)

    def _answer_queries(self) -> None:
        unseen = self._raw[self._answered :]
        # A query cut in two by a read is left for the next read to complete.
        escape = unseen.rfind(b"\x1b")
        if escape != -1 and len(unseen) - escape < 4 and unseen[escape:] != b"\x1b[c":
            unseen = unseen[:escape]
        self._answered += len(unseen)
        for _ in range(unseen.count(_CURSOR_POSITION_REQUEST)):
            self._write(_CURSOR_POSITION_ANSWER)
        for _ in _DEVICE_ATTRIBUTES_REQUEST.finditer(unseen):
            self._write(_DEVICE_ATTRIBUTES_ANSWER)

    # --- ending ---------------------------------------------------------------------------

    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self, timeout: float = 5.0) -> int | None:
        """Hang up the terminal, as closing the window does; kill the session if it lingers."""
        try:
            if self.alive():
                _signal_session(self.process.pid, signal.SIGHUP)
                try:
                    self.process.wait(timeout)
                except subprocess.TimeoutExpired:
                    _signal_session(self.process.pid, signal.SIGKILL)
                    self.process.wait(timeout)
            # Children that ignored the hangup (their group is the session's) go too.
            _signal_session(self.process.pid, signal.SIGKILL)
        finally:
            if self._controller != -1:
                os.close(self._controller)
                self._controller = -1
        return self.process.returncode

    def __enter__(self) -> TerminalSession:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _take_controlling_terminal() -> None:
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def _signal_session(leader: int, signal_number: int) -> None:
    """Signal the process group the session leader started (its id is the leader's pid)."""
    try:
        os.killpg(leader, signal_number)
    except (ProcessLookupError, PermissionError):
        pass
