"""Which shell called envgen: --shell, then ENVGEN_SHELL, then shellingham, then a fallback."""

from __future__ import annotations

import os
from pathlib import PureWindowsPath, PurePosixPath

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


def _detected_name() -> str | None:
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
