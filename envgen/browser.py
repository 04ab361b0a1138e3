"""Open a secret URL in the user's browser without putting it in any process's arguments.

A browser is started with its address on the command line, which every local user can read
(`ps`, /proc/PID/cmdline). So the browser is given a loopback address instead,
http://127.0.0.1:PORT/NONCE, and envgen, listening there, answers its one request with a redirect
to the secret URL, then stops listening. On Linux the connection is answered only when it comes
from a process of the same user (the socket's owner in /proc/net/tcp): another user who reads
the loopback address from the browser's arguments and asks first gets nothing, and envgen keeps
waiting for the browser. Elsewhere that check is not available (the README says so).

The browser is the first of $BROWSER's commands (separated by the path separator, `%s` standing
for the address, as xdg-open and Python's webbrowser read it), else the system's opener
(xdg-open, macOS's open, Windows' file association).
"""

from __future__ import annotations

import os
import secrets
import shlex
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from envgen.errors import EnvgenError, UsageError

# How long the browser has to come for the page: a cold start of a large browser takes seconds.
WAIT_SECONDS = 60.0
# How long one connection may take to send its request line and headers.
REQUEST_SECONDS = 5.0
PROC_NET_TCP = "/proc/net/tcp"
# /proc/net/tcp has one 150-byte line per socket; this holds tens of thousands of them.
MAX_PROC_NET_TCP_BYTES = 8 * 1024 * 1024


def browser_command(environ: Mapping[str, str] = os.environ) -> list[str] | None:
    """The command that opens an address (the address not yet in it; `%s` marks where it goes
    when the user's BROWSER says so), or None on Windows, where the system opens it."""
    for entry in (environ.get("BROWSER") or "").split(os.pathsep):
        try:
            words = split_command(entry, windows=os.name == "nt")
        except ValueError:
            continue
        if words and shutil.which(words[0], path=environ.get("PATH")):
            return words
    if os.name == "nt":
        return None
    if sys.platform == "darwin":
        return ["open"]
    if not (environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY")):
        raise UsageError(
            "no browser to open here (no BROWSER, and neither DISPLAY nor WAYLAND_DISPLAY is "
            "set, as over SSH); use --print-url and open the URL where a browser runs, or set "
            "BROWSER"
        )
    if shutil.which("xdg-open", path=environ.get("PATH")):
        return ["xdg-open"]
    raise UsageError(
        "no browser to open: xdg-open is not installed; set BROWSER or use --print-url"
    )


def split_command(entry: str, windows: bool) -> list[str]:
    """One of BROWSER's commands as words: quoted as a POSIX shell quotes, or, on Windows, with
    double quotes around a path that holds spaces and backslashes taken as they are."""
    if not windows:
        return shlex.split(entry)
    return [
        word[1:-1] if len(word) >= 2 and word[0] == word[-1] == '"' else word
        for word in shlex.split(entry, posix=False)
    ]


def _with_address(command: list[str], address: str) -> list[str]:
    if any("%s" in word for word in command):
        return [word.replace("%s", address) for word in command]
    return [*command, address]


def _decode_address(text: str) -> tuple[str, int]:
    """/proc/net/tcp's `0100007F:1F90`: an IPv4 address in host byte order, a port."""
    import struct

    address, port = text.split(":")
    packed = struct.pack("=I", int(address, 16))
    return socket.inet_ntoa(packed), int(port, 16)


def socket_owner(
    local: tuple[str, int], remote: tuple[str, int], table: str | None = None
) -> int | None:
    """The uid owning the TCP socket bound to LOCAL and connected to REMOTE, from the kernel's
    table; None when the table is not readable or holds no such socket."""
    if table is None:
        try:
            with open(PROC_NET_TCP, "rb") as handle:
                table = handle.read(MAX_PROC_NET_TCP_BYTES).decode("ascii", "replace")
        except OSError:
            return None
    for line in table.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 8:
            continue
        try:
            if _decode_address(fields[1]) == local and _decode_address(fields[2]) == remote:
                return int(fields[7])
        except (ValueError, OSError):
            continue
    return None


def can_check_owner() -> bool:
    return os.path.exists(PROC_NET_TCP)


class _OneRedirect(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, target: str, path: str, warn: Callable[[str], None]) -> None:
        super().__init__(("127.0.0.1", 0), _RedirectHandler)
        self.target = target
        self.path = path
        self.warn = warn
        self.served = threading.Event()
        self._lock = threading.Lock()

    def claim(self) -> bool:
        """True for the one request that gets the redirect."""
        with self._lock:
            if self.served.is_set():
                return False
            self.served.set()
            return True


class _RedirectHandler(BaseHTTPRequestHandler):
    server: _OneRedirect
    timeout = REQUEST_SECONDS

    def do_GET(self) -> None:
        server = self.server
        if self.path != server.path:
            self._answer(404)
            return
        if can_check_owner():
            local = self.connection.getsockname()
            owner = socket_owner(self.client_address[:2], local[:2])
            if owner != os.getuid():  # type: ignore[attr-defined,unused-ignore]
                server.warn(
                    "warning: a process of another user asked for the sign-in page first; it "
                    "was refused, and envgen waits for your browser"
                )
                self._answer(403)
                return
        if not server.claim():
            self._answer(410)
            return
        self._answer(303, server.target)

    def _answer(self, status: int, location: str | None = None) -> None:
        self.send_response(status)
        if location is not None:
            self.send_header("Location", location)
        # Nothing of the exchange is kept or passed on: the next page learns no address.
        self.send_header("Cache-Control", "no-store")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Content-Length", "0")
        self.send_header("Connection", "close")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        # http.server would log the request line, the nonce in it, to stderr.
        pass


def open_secret_url(
    url: str,
    command: list[str] | None,
    warn: Callable[[str], None],
    wait_seconds: float = WAIT_SECONDS,
) -> None:
    """Open URL in the browser COMMAND names (None: the system's opener) through a one-time
    loopback redirect; return once the browser has taken it."""
    server = _OneRedirect(url, "/" + secrets.token_urlsafe(24), warn)
    serving = threading.Thread(target=server.serve_forever, name="envgen-redirect", daemon=True)
    serving.start()
    try:
        address = f"http://127.0.0.1:{server.server_address[1]}{server.path}"
        process = _start(command, address)
        deadline = time.monotonic() + wait_seconds
        while not server.served.wait(0.1):
            status = process.poll() if process is not None else None
            if status:
                raise EnvgenError(
                    f"the browser command {shlex.quote(command[0]) if command else ''} failed "
                    f"(exit status {status}) before it opened the page; set BROWSER to a browser "
                    "that works, or use --print-url"
                )
            if time.monotonic() > deadline:
                raise EnvgenError(
                    f"no browser came for the sign-in page within {int(wait_seconds)} s; check "
                    "BROWSER, or use --print-url"
                )
    finally:
        server.shutdown()
        server.server_close()


def _start(command: list[str] | None, address: str) -> subprocess.Popen[bytes] | None:
    if command is None:
        os.startfile(address)  # type: ignore[attr-defined,unused-ignore]
        return None
    argv = _with_address(command, address)
    try:
        # Its own session and no stdio of envgen's: a browser that stays open must not hold
        # the pipes of whoever runs envgen, nor print where the user reads envgen's output.
        return subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            close_fds=True,
        )
    except OSError as error:
        raise EnvgenError(
            f"cannot start the browser {shlex.quote(argv[0])} ({error.strerror}); set BROWSER "
            "or use --print-url"
        ) from None
