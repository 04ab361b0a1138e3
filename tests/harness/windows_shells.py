"""Run envgen's real output in cmd.exe, Windows PowerShell 5.1 and pwsh 7, by the README's idioms.

A list of envgen command lines becomes one script for one shell process: for each, the script
applies the output the way a user does in that shell (`FOR /F ... DO @%%i` in a .cmd file,
`envgen ... | Invoke-Expression`), then runs dump_environment.py, which writes what the shell
now exports, and on request what the Windows user environment (HKCU\\Environment) holds, as
hex. Hostile values travel only inside JSON files and envgen's output; the script holds
nothing but plain file names, envgen's options and the paths of Python and the dumper.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from conftest import require_program
from shell_harness import DUMPER, MANAGED, ShellRun

# What the script may put on envgen's command line unquoted: file names the test chose and
# envgen's own options. Anything else would need quoting rules this harness does not imitate
# (inside FOR /F's parentheses even `=`, `,` and `;` would need a caret).
PLAIN_WORD = re.compile(r"[A-Za-z0-9._-]+")


@dataclasses.dataclass(frozen=True)
class WindowsShell:
    name: str
    """The `--shell` name, which is also the program."""
    suffix: str
    """What the script file must be called for the shell to run it."""

    def __str__(self) -> str:
        return self.name

    @property
    def is_cmd(self) -> bool:
        return self.name == "cmd"

    def argv(self, program: str, script: str) -> list[str]:
        """How `program` (this shell's executable) runs `script`, a file in the directory."""
        if self.is_cmd:
            # /d: no AutoRun commands from the registry.
            return [program, "/d", "/c", script]
        argv = [program, "-NoLogo", "-NoProfile", "-NonInteractive"]
        if os.name == "nt":
            # Windows PowerShell refuses unsigned scripts under its default policy.
            argv += ["-ExecutionPolicy", "Bypass"]
        return [*argv, "-File", script]

    def apply(self, envgen_args: Sequence[str]) -> str:
        """The README's line for this shell, applying `envgen ARGS...`."""
        for word in envgen_args:
            assert PLAIN_WORD.fullmatch(word), f"not a plain word: {word!r}"
        command = " ".join(["envgen", *envgen_args])
        if self.is_cmd:
            return f"FOR /F \"delims=\" %%i IN ('{command}') DO @%%i"
        return f"{command} | Invoke-Expression"

    def run(self, argv: Sequence[str]) -> str:
        """A line that runs a program with these arguments (paths of this machine)."""
        if self.is_cmd:
            # Windows paths hold no `"`; a batch file would expand a `%` in them.
            return " ".join('"' + word.replace("%", "%%") + '"' for word in argv)
        return "& " + " ".join("'" + word.replace("'", "''") + "'" for word in argv)

    def write_script(self, path: Path, lines: Sequence[str]) -> None:
        if self.is_cmd:
            # cmd reads a batch file in the console's OEM code page, line by CR LF line.
            text = "\r\n".join(["@ECHO OFF", *lines]) + "\r\n"
            path.write_bytes(text.encode("oem" if os.name == "nt" else "ascii"))
        else:
            # Windows PowerShell reads a script without a byte order mark as ANSI text.
            text = "\r\n".join(["$ErrorActionPreference = 'Continue'", *lines]) + "\r\n"
            path.write_bytes(text.encode("utf-8-sig"))


WINDOWS_SHELLS = (
    WindowsShell("cmd", ".cmd"),
    WindowsShell("powershell", ".ps1"),
    WindowsShell("pwsh", ".ps1"),
)


@dataclasses.dataclass
class WindowsRun:
    script: str
    returncode: int
    stdout: str
    stderr: str
    dumps: list[dict[str, str | None] | None]
    """The shell's variables after each step; None where the script never got there."""
    user_dumps: list[dict[str, str | None] | None]
    """The user environment after each step, when asked for."""

    def session(self) -> ShellRun:
        """What the shell itself held after each step, for shell_harness.assert_exported."""
        return ShellRun(self.script, self.returncode, self.stdout + self.stderr, self.dumps)

    def user(self) -> ShellRun:
        """What the user environment held after each step, for shell_harness.assert_exported."""
        return ShellRun(self.script, self.returncode, self.stdout + self.stderr, self.user_dumps)


def _read_dump(path: Path) -> dict[str, str | None] | None:
    if not path.exists():
        return None
    raw = json.loads(path.read_text(encoding="ascii"))
    return {
        name: None if value is None else bytes.fromhex(value).decode("utf-8", "replace")
        for name, value in raw.items()
    }


def run_windows_steps(
    shell: WindowsShell,
    steps: Sequence[Sequence[str]],
    workdir: Path,
    env: dict[str, str],
    *,
    user_environment: bool = False,
    timeout: float = 300,
) -> WindowsRun:
    """In one shell process, apply `envgen STEP...` for each step and read the variables back.

    Each step is envgen's argument list; files it names are looked for in `workdir`."""
    program = require_program(shell.name)
    lines = []
    for index, step in enumerate(steps):
        lines.append(shell.apply(step))
        dump = [sys.executable, str(DUMPER), str(workdir / f"dump-{index}.json"), *MANAGED]
        lines.append(shell.run(dump))
        if user_environment:
            user = [
                sys.executable,
                str(DUMPER),
                str(workdir / f"user-{index}.json"),
                "--user-environment",
                *MANAGED,
            ]
            lines.append(shell.run(user))
    script = workdir / f"script{shell.suffix}"
    shell.write_script(script, lines)
    completed = subprocess.run(
        shell.argv(program, script.name),
        env=env,
        cwd=workdir,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=timeout,
    )
    return WindowsRun(
        script=script.read_bytes().decode("utf-8", "replace"),
        returncode=completed.returncode,
        stdout=completed.stdout.decode("utf-8", "replace"),
        stderr=completed.stderr.decode("utf-8", "replace"),
        dumps=[_read_dump(workdir / f"dump-{index}.json") for index in range(len(steps))],
        user_dumps=[
            _read_dump(workdir / f"user-{index}.json") if user_environment else None
            for index in range(len(steps))
        ],
    )
