"""Which shell called envgen: --shell, then ENVGEN_SHELL, then shellingham, then a fallback."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath, PureWindowsPath

from envgen.dialects import SHELLS, Dialect, shell_named

SHELL_VARIABLE = "ENVGEN_SHELL"


def _executable_name(path: str, windows: bool) -> str:
    name = (PureWindowsPath(path) if windows else PurePosixPath(path)).name.lower()
    if name.endswith(".exe"):
        name = name[: -len(".exe")]
    # A login shell shows up as `-bash`.
    return name.lstrip("-")


def _fallback_name(environ: dict[str, str] | os._Environ[str], windows: bool) -> str | None:
    if windows:
        return _executable_name(environ.get("COMSPEC", "cmd.exe"), windows=True)
    shell = environ.get("SHELL")
    return _executable_name(shell, windows=False) if shell else None


def _retitled_shell(pid: int, depth: int = 10) -> str | None:
    """A shell among the nearest ancestors that has rewritten its process title.

    xonsh replaces its /proc cmdline with one space-joined title
    ("xonsh --no-rc -c ..."). shellingham splits cmdline at NULs, so it takes
    that whole title for a path, skips xonsh and reports the shell that
    started it. The walk stops at the first ancestor shellingham reads right.
    """
    proc = Path("/proc")
    for _ in range(depth):
        try:
            cmdline = (proc / str(pid) / "cmdline").read_bytes()
            stat = (proc / str(pid) / "stat").read_text(encoding="ascii", errors="replace")
        except OSError:
            return None
        fields = cmdline.rstrip(b"\0").split(b"\0")
        title = fields[0].decode("utf-8", errors="replace")
        if len(fields) == 1 and " " in title:
            name = _executable_name(title.split()[0], windows=False)
            if name in SHELLS:
                return name
        elif _executable_name(title, windows=False) in SHELLS:
            return None
        # The parent pid follows the parenthesised command name, which may hold spaces.
        parent = stat.rpartition(")")[2].split()[1:2]
        if not parent or parent[0] in ("0", "1"):
            return None
        pid = int(parent[0])
    return None


def _detected_name() -> str | None:
    retitled = _retitled_shell(os.getppid())
    if retitled:
        return retitled
    import shellingham

    try:
        name, _path = shellingham.detect_shell()
    except (shellingham.ShellDetectionFailure, RuntimeError, OSError):
        return None
    return name.lower()


def detect_shell(
    requested: str | None = None,
    *,
    environ: dict[str, str] | os._Environ[str] | None = None,
    windows: bool | None = None,
) -> Dialect:
    """The dialect to render for; an explicit choice that names no shell is an error."""
    environ = os.environ if environ is None else environ
    windows = os.name == "nt" if windows is None else windows
    if requested:
        return shell_named(requested)
    if environ.get(SHELL_VARIABLE):
        return shell_named(environ[SHELL_VARIABLE], source=SHELL_VARIABLE)
    for name in (_detected_name(), _fallback_name(environ, windows)):
        if name and name in SHELLS:
            return SHELLS[name]
    return SHELLS["cmd" if windows else "sh"]
