"""The command that runs this very envgen, for what starts it again later without a shell's
PATH lookup: a profile's credential_process, a prompt hook.

The words are absolute: the console script this process was started as, or the interpreter
with `-m envgen` when it was started so. Run in-process by another program (a test, say),
envgen names the console script installed beside its interpreter, else `-m envgen`.
"""

from __future__ import annotations

import os
import sys

from envgen.errors import EnvgenError

# The names pip gives the console script: a script on POSIX, a launcher on Windows.
_SCRIPT_NAMES = frozenset({"envgen", "envgen.exe", "envgen-script.py"})


def running_envgen(
    argv0: str | None = None, executable: str | None = None, windows: bool | None = None
) -> list[str]:
    """The absolute words that start this envgen again, from any directory. (os.path only: a
    prompt hook asks this, and pathlib costs more to load than the rest.)"""
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
    started_as = os.path.abspath(argv0) if argv0 else None
    if started_as is not None:
        name = os.path.basename(started_as)
        if name.lower() in _SCRIPT_NAMES:
            if windows and not os.path.splitext(name)[1] and os.path.isfile(started_as + ".exe"):
                # The Windows launcher gives its own name without the extension.
                return [started_as + ".exe"]
            if os.path.isfile(started_as):
                return [started_as]
        if (name, os.path.basename(os.path.dirname(started_as))) == ("__main__.py", "envgen"):
            return [interpreter, "-m", "envgen"]
    beside = os.path.join(os.path.dirname(interpreter), "envgen.exe" if windows else "envgen")
    if os.path.isfile(beside):
        return [beside]
    return [interpreter, "-m", "envgen"]


def command_line(words: list[str], windows: bool | None = None) -> str:
    """WORDS as one line that botocore's `compat_shell_split` gives back word for word:
    POSIX shell quoting (shlex.split; also what `sh -c` reads, as other SDKs run it), or on
    Windows the C runtime's rules (botocore's own splitter there, and CreateProcess)."""
    windows = os.name == "nt" if windows is None else windows
    if windows:
        import subprocess

        return subprocess.list2cmdline(words)
    import shlex

    return shlex.join(words)
