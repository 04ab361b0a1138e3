"""Which shell called envgen: --shell, then ENVGEN_SHELL, then the nearest shell among envgen's
ancestors, then $SHELL (%COMSPEC% on Windows), then sh (cmd).

A process is known by what it runs, not by the title it shows. A login shell shows `-name`,
and its name need not be its program: login and terminal emulators start tcsh as `-csh` where
/bin/csh is tcsh, and `/bin/sh` is dash, bash or busybox. So each ancestor is identified by its
executable (symlinks resolved), with argv[0] deciding only where the executable is a multi-call
program (busybox applets, `sh` mode of a POSIX shell) or unknown, and never by $SHELL, which
names the account's login shell rather than the one running now.

The walk stops at the first shell-like process. One envgen has no dialect for (mksh, yash,
rc...) is an error, not a reason to look further up: the shell beyond it may speak another
language, and its code would then run in this one. Processes that merely pass envgen along (python, env, sudo, timeout, make, tmux,
sshd, login, script, su, a terminal emulator) are not shells and are walked past; `sh -c`
is a shell, since that is how make, cron and CI run `eval "$(envgen ...)"`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path, PurePosixPath, PureWindowsPath

from envgen.dialects import SHELLS, Dialect, shell_named
from envgen.errors import UsageError
from envgen.values import Value

# typing.TYPE_CHECKING without loading typing: see envgen.values.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Final

SHELL_VARIABLE = "ENVGEN_SHELL"

# Ancestors looked at before giving up; intermediaries (sudo, timeout, env) are few.
MAX_DEPTH = 12
# argv is read only far enough to name the program and the script an interpreter runs.
CMDLINE_BYTES = 64 * 1024
PS_TIMEOUT_SECONDS = 5

# Program names of shells envgen writes for, under the name the executable has on disk.
# rbash is bash in restricted mode, which forbids `/` in command names, redirections and
# changes to PATH, SHELL, ENV and BASH_ENV, none of which bash output uses; on Linux its
# executable already says bash, and the alias covers systems where only its name is known.
SHELL_ALIASES = {
    "ksh93": "ksh",
    "ksh2020": "ksh",
    "bsd-csh": "csh",
    "zsh5": "zsh",
    "zsh-static": "zsh",
    "bash-static": "bash",
    "rbash": "bash",
}

# Shells envgen has no dialect for: the names these programs usually have. An allowlist,
# because anything unlisted is walked past, and the list of programs that are not shells
# has no end; a shell missing here is at worst skipped as it was before. First those that
# read POSIX shell code, where `--shell sh` is the advice.
OTHER_POSIX_SHELLS = frozenset(
    {
        "mksh",
        "lksh",
        "pdksh",
        "oksh",
        "loksh",
        "ksh88",
        "posh",
        "yash",
        "hush",
        "bosh",
        "jsh",
        "pfsh",
        "pfksh",
        "osh",
    }
)
OTHER_SHELLS = OTHER_POSIX_SHELLS | frozenset(
    {
        "msh",
        "pfcsh",
        "rc",
        "es",
        "xs",
        "scsh",
        "sash",
        "ion",
        "ysh",
        "oil",
        "murex",
        "ngs",
    }
)

# Multi-call programs whose applet argv[0] names.
_MULTI_CALL = frozenset({"busybox", "toybox"})
_PYTHON = re.compile(r"python(\d+(\.\d+)?)?")
# Python options that take the next argument as their value.
_PYTHON_VALUE_OPTIONS = frozenset({"-X", "-W", "-Q"})


class Process(Value):
    __slots__ = ("pid", "parent", "argv", "executable", "command")
    pid: Final[int]
    parent: Final[int]
    argv: Final[tuple[str, ...]]
    # The program file, symlinks resolved; None where the system does not tell.
    executable: Final[str | None]
    # The kernel's short name for the process: the base name of the file it executed.
    command: Final[str | None]

    def __init__(
        self,
        pid: int,
        parent: int,
        argv: tuple[str, ...],
        executable: str | None,
        command: str | None = None,
    ) -> None:
        self.pid = pid
        self.parent = parent
        self.argv = argv
        self.executable = executable
        self.command = command


def _executable_name(path: str, windows: bool = False) -> str:
    name = (PureWindowsPath(path) if windows else PurePosixPath(path)).name.lower()
    if name.endswith(".exe"):
        name = name[: -len(".exe")]
    # A login shell shows up as `-bash`; Nix runs a wrapped program as `.xonsh-wrapped`.
    name = name.lstrip("-")
    if name.startswith(".") and name.endswith("-wrapped"):
        name = name[1 : -len("-wrapped")]
    return name


def _shell_named(name: str) -> str | None:
    """The shell a program name stands for (a dialect's name or another shell's), else None."""
    name = SHELL_ALIASES.get(name, name)
    return name if name in SHELLS or name in OTHER_SHELLS else None


def _runs_xonsh(argv: tuple[str, ...]) -> bool:
    """Whether a Python interpreter's arguments run xonsh (`python .../xonsh`, `-m xonsh`)."""
    arguments = iter(argv[1:])
    for argument in arguments:
        if argument == "-m":
            return next(arguments, "").split(".")[0] == "xonsh"
        if argument == "-c":
            return False
        if argument in _PYTHON_VALUE_OPTIONS:
            next(arguments, None)
        elif not argument.startswith("-"):
            return _executable_name(argument) == "xonsh"
    return False


def shell_of(process: Process) -> str | None:
    """The shell `process` is, by its program; None for a process that is no shell."""
    argv = process.argv
    if len(argv) == 1 and " " in argv[0]:
        # A process that rewrote its title (xonsh with options does) joins its argv with
        # spaces into one string.
        argv = tuple(argv[0].split())
    invoked = _executable_name(argv[0]) if argv else ""
    program = _executable_name(process.executable) if process.executable else ""

    if program in _MULTI_CALL or invoked in _MULTI_CALL:
        applet = invoked
        if applet in _MULTI_CALL:  # `busybox ash ...`
            applet = _executable_name(argv[1]) if len(argv) > 1 else ""
        return _shell_named(applet)
    if _PYTHON.fullmatch(program) or _PYTHON.fullmatch(invoked):
        # xonsh is a Python program; its title may already say xonsh.
        return "xonsh" if invoked == "xonsh" or _runs_xonsh(argv) else None

    shell = _shell_named(program)
    if shell is not None:
        # Every POSIX shell started as `sh` (its argv[0], as /bin/sh gives it) runs in
        # POSIX mode and reads sh's start-up files, whatever its program.
        if invoked == "sh" and shell in SHELLS and SHELLS[shell].family == "posix":
            return "sh"
        return shell
    # An executable that is no known program (unreadable, renamed, wrapped): the name of
    # the file it was started from, which the kernel keeps, then the name it was given.
    for name in (_executable_name(process.command or ""), invoked):
        shell = _shell_named(name)
        if shell is not None:
            return shell
    return None


# --- the process tree --------------------------------------------------------------------


def _proc_process(pid: int) -> Process:
    """One process as Linux's /proc describes it; OSError when it has gone."""
    base = Path("/proc") / str(pid)
    stat = (base / "stat").read_text(encoding="utf-8", errors="replace")
    # The parent pid follows the parenthesised command name, which may hold spaces.
    parent_field = stat.rpartition(")")[2].split()[1:2]
    parent = int(parent_field[0]) if parent_field and parent_field[0].isdigit() else 0
    with open(base / "cmdline", "rb") as cmdline_file:
        cmdline = cmdline_file.read(CMDLINE_BYTES)
    argv = (
        tuple(part.decode("utf-8", errors="replace") for part in cmdline.rstrip(b"\0").split(b"\0"))
        if cmdline
        else ()
    )
    try:
        executable: str | None = os.readlink(base / "exe").removesuffix(" (deleted)")
    except OSError:  # another user's process, or a kernel thread
        executable = None
    try:
        command: str | None = (
            (base / "comm").read_text(encoding="utf-8", errors="replace").rstrip("\n")
        )
    except OSError:
        command = None
    return Process(pid, parent, argv, executable, command)


def _proc_ancestors(pid: int) -> Iterator[Process]:
    for _ in range(MAX_DEPTH):
        # Process 1 is looked at too: in a container it is often the shell itself.
        if pid <= 0:
            return
        try:
            process = _proc_process(pid)
        except (OSError, ValueError):
            return
        yield process
        pid = process.parent


def _ps_table() -> dict[int, Process]:
    """Every process as ps shows it, for systems without Linux's /proc (macOS, the BSDs).

    `comm` is the executable (a path on macOS, the kernel name elsewhere); `args` is argv
    joined with spaces, which only the first word and the interpreter's script are read from.
    """
    import subprocess  # only where there is no /proc

    def run_ps(column: str) -> list[tuple[int, str, str]]:
        output = subprocess.run(
            ["ps", "-A", "-ww", "-o", "pid=", "-o", "ppid=", "-o", f"{column}="],
            capture_output=True,
            timeout=PS_TIMEOUT_SECONDS,
            check=True,
            env={**os.environ, "LC_ALL": "C"},
        ).stdout.decode("utf-8", errors="replace")
        rows = []
        for line in output.splitlines():
            fields = line.split(None, 2)
            if len(fields) == 3 and fields[0].isdigit() and fields[1].isdigit():
                rows.append((int(fields[0]), fields[1], fields[2]))
        return rows

    commands = {pid: command for pid, _parent, command in run_ps("comm")}
    table = {}
    for pid, parent, args in run_ps("args"):
        command = commands.get(pid)
        executable = None
        if command and command.startswith("/"):
            executable = os.path.realpath(command)
        table[pid] = Process(pid, int(parent), tuple(args.split()), executable, command)
    return table


def ps_ancestors(pid: int) -> Iterator[Process]:
    import subprocess

    try:
        table = _ps_table()
    except (OSError, subprocess.SubprocessError):
        return
    for _ in range(MAX_DEPTH):
        process = table.get(pid)
        if process is None or pid <= 0:
            return
        yield process
        pid = process.parent


def ancestors(pid: int) -> Iterator[Process]:
    """`pid` and its parents, nearest first, through /proc where it exists, else ps."""
    if Path("/proc/self/stat").exists():
        return _proc_ancestors(pid)
    return ps_ancestors(pid)


def nearest_shell(pid: int | None = None) -> tuple[str, int] | None:
    """The nearest shell-like ancestor's name (a dialect's or another shell's) and how many
    processes lie between it and envgen; None when there is none."""
    for between, process in enumerate(ancestors(os.getppid() if pid is None else pid)):
        shell = shell_of(process)
        if shell is not None:
            return shell, between
    return None


def caller_shell(pid: int | None = None) -> str | None:
    """The nearest shell-like ancestor's name, a dialect's or another shell's; None if none."""
    found = nearest_shell(pid)
    return found[0] if found else None


def _parent_shell() -> str | None:
    """The shell that started envgen itself, as every apply idiom does; None otherwise."""
    found = nearest_shell()
    return found[0] if found and found[1] == 0 else None


def _windows_caller_shell() -> str | None:
    import shellingham

    try:
        name, _path = shellingham.detect_shell()
    except (shellingham.ShellDetectionFailure, RuntimeError, OSError):
        return None
    return name.lower()


def _detected_name(windows: bool) -> str | None:
    return _windows_caller_shell() if windows else caller_shell()


# --- the rules ---------------------------------------------------------------------------


def _fallback_name(environ: Mapping[str, str], windows: bool) -> str | None:
    if windows:
        return _executable_name(environ.get("COMSPEC", "cmd.exe"), windows=True)
    shell = environ.get("SHELL")
    return _executable_name(shell) if shell else None


def detect_shell(
    requested: str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    windows: bool | None = None,
    warn: Callable[[str], None] | None = None,
) -> Dialect:
    """The dialect to render for; an explicit choice that names no shell is an error, and so
    is a calling shell envgen has no dialect for."""
    environ = os.environ if environ is None else environ
    windows = os.name == "nt" if windows is None else windows
    if requested:
        return shell_named(requested)
    if environ.get(SHELL_VARIABLE):
        chosen = shell_named(environ[SHELL_VARIABLE], source=SHELL_VARIABLE)
        if warn is not None and not windows:
            _warn_about_a_contradiction(chosen, _parent_shell(), warn)
        return chosen
    detected = _detected_name(windows)
    if detected is not None:
        if detected not in SHELLS:
            advice = " (sh, for POSIX code)" if detected in OTHER_POSIX_SHELLS else ""
            raise UsageError(
                f"envgen was started from {detected}, a shell it writes no code for; "
                f"name the shell that will run the output with --shell{advice} or "
                f"{SHELL_VARIABLE} (one of: {', '.join(SHELLS)})"
            )
        return SHELLS[detected]
    fallback = _fallback_name(environ, windows)
    if fallback in SHELLS:
        return SHELLS[fallback]
    return SHELLS["cmd" if windows else "sh"]


def _warn_about_a_contradiction(
    chosen: Dialect, detected: str | None, warn: Callable[[str], None]
) -> None:
    # Only a shell that is envgen's parent is clearly the one reading the output: a program
    # in between (a test runner, an editor) may read it for another shell.
    # Same-family names print the same code (sh code is bash code): no contradiction.
    if detected in SHELLS and SHELLS[detected].family != chosen.family:
        warn(
            f"warning: {SHELL_VARIABLE} asks for {chosen.name} code, but envgen runs under "
            f"{detected}; printing {chosen.name} code (unset {SHELL_VARIABLE} or pass "
            f"--shell {detected})"
        )
