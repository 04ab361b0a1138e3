"""The command that runs this very envgen, for what starts it again later without a shell's
PATH lookup: a profile's credential_process, a prompt hook.

The words are absolute: the console script this process was started as, or the interpreter
with `-m envgen` when it was started so. Run in-process by another program (a test, say),
envgen names the console script installed beside its interpreter, else `-m envgen`.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

from envgen.errors import EnvgenError

# The names pip gives the console script: a script on POSIX, a launcher on Windows.
_SCRIPT_NAMES = frozenset({"envgen", "envgen.exe", "envgen-script.py"})


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:
        return False


def running_envgen(
    argv0: str | None = None, executable: str | None = None, windows: bool | None = None
) -> list[str]:
    """The absolute words that start this envgen again, from any directory."""
    argv0 = sys.argv[0] if argv0 is None else argv0
    executable = sys.executable if executable is None else executable
    windows = os.name == "nt" if windows is None else windows
    if not executable:
        raise EnvgenError(
            "cannot tell which Python runs envgen (sys.executable is empty); "
            "run envgen as its installed command"
        )
    # Absolute but not resolved: a virtual environment's python is a symlink whose target
    # would start outside the environment, without envgen.
    interpreter = os.path.abspath(executable)
    started_as = Path(os.path.abspath(argv0)) if argv0 else None
    if started_as is not None and started_as.name.lower() in _SCRIPT_NAMES:
        if windows and not started_as.suffix and _is_file(started_as.with_suffix(".exe")):
            # The Windows launcher gives its own name without the extension.
            return [str(started_as.with_suffix(".exe"))]
        if _is_file(started_as):
            return [str(started_as)]
    if started_as is not None and (started_as.name, started_as.parent.name) == (
        "__main__.py",
        "envgen",
    ):
        return [interpreter, "-m", "envgen"]
    beside = Path(interpreter).parent / ("envgen.exe" if windows else "envgen")
    if _is_file(beside):
        return [str(beside)]
    return [interpreter, "-m", "envgen"]


def command_line(words: list[str], windows: bool | None = None) -> str:
    """WORDS as one line that botocore's `compat_shell_split` gives back word for word:
    POSIX shell quoting (shlex.split; also what `sh -c` reads, as other SDKs run it), or on
    Windows the C runtime's rules (botocore's own splitter there, and CreateProcess)."""
    windows = os.name == "nt" if windows is None else windows
    if windows:
        return subprocess.list2cmdline(words)
    return shlex.join(words)
