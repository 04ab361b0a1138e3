"""Run envgen's real output in real shells, with each shell's documented idiom, and read it back.

A batch of credential sets becomes one script for one shell process: for each set, the script
applies `envgen import <file> --shell NAME` the way a user would in that shell, then runs
dump_environment.py, which writes what the shell exported as hex. The hostile values travel
only inside JSON files and envgen's output; the script itself holds nothing but plain paths.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import require_program

DUMPER = Path(__file__).with_name("dump_environment.py")

MANAGED = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_SESSION_EXPIRATION",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SECURITY_TOKEN",
)

FAR_FUTURE = "2099-12-31T23:59:59Z"

# Git Bash on Windows rewrites arguments and variables that look like POSIX paths when it
# starts a Windows program (the dumper, envgen). The tests read what the shell itself holds,
# so it passes them verbatim. Paths in the scripts are written with forward slashes, which
# both Git Bash and Windows read; elsewhere as_posix() changes nothing.
MSYS_VERBATIM = {"MSYS2_ARG_CONV_EXCL": "*", "MSYS2_ENV_CONV_EXCL": "*", "MSYS_NO_PATHCONV": "1"}


@dataclasses.dataclass(frozen=True)
class RealShell:
    name: str
    """The `--shell` name."""
    program: str
    """The executable that must be installed."""
    argv: tuple[str, ...]
    """How to run a script file; the script's path is appended."""
    apply: str
    """The documented idiom, with {command} where envgen's command line goes."""
    run: str = "{command}"
    """How the shell runs an external program."""
    apply_refused: str = ""
    """The idiom for output envgen refuses, where the failure would otherwise end the script."""

    def __str__(self) -> str:
        return self.name


POSIX_APPLY = 'eval "$({command})"'
CSH_APPLY = 'eval "`{command}`"'

REAL_SHELLS = (
    # Interactive, so history expansion is on as at a prompt.
    RealShell("bash", "bash", ("bash", "--norc", "--noprofile", "-i"), POSIX_APPLY),
    RealShell("zsh", "zsh", ("zsh", "-f"), POSIX_APPLY),
    RealShell("dash", "dash", ("dash",), POSIX_APPLY),
    RealShell("ksh", "ksh", ("ksh",), POSIX_APPLY),
    RealShell("ash", "busybox", ("busybox", "ash"), POSIX_APPLY),
    # With its configuration, so universal variables work as for a user (HOME is private).
    RealShell("fish", "fish", ("fish",), "{command} | source"),
    RealShell("tcsh", "tcsh", ("tcsh", "-f"), CSH_APPLY),
    RealShell("csh", "csh", ("csh", "-f"), CSH_APPLY),
    # elvish and nushell stop a script at a failing command; a user sees the error and
    # nothing applied, and `try` lets the script read that back.
    RealShell(
        "elvish",
        "elvish",
        ("elvish", "-norc"),
        "eval ({command} | slurp)",
        apply_refused="try {{ eval ({command} | slurp) }} catch {{ }}",
    ),
    RealShell("xonsh", "xonsh", ("xonsh", "--no-rc"), "execx($({command}))", "![{command}]"),
    RealShell(
        "nu",
        "nu",
        ("nu", "--no-config-file"),
        "^{command} | from json | load-env",
        "^{command}",
        "try {{ ^{command} | from json | load-env }}",
    ),
)


@dataclasses.dataclass(frozen=True)
class CredentialSet:
    access_key_id: str
    secret_access_key: str
    session_token: str | None = None
    expiration: str | None = None

    def document(self) -> dict[str, str]:
        fields = {"AccessKeyId": self.access_key_id, "SecretAccessKey": self.secret_access_key}
        if self.session_token is not None:
            fields["SessionToken"] = self.session_token
        if self.expiration is not None:
            fields["Expiration"] = self.expiration
        return fields

    def exported(self) -> dict[str, str | None]:
        """What the shell must hold after applying this set: every managed name, None if unset."""
        return {
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
            "AWS_SESSION_TOKEN": self.session_token,
            "AWS_CREDENTIAL_EXPIRATION": self.expiration,
            "AWS_SESSION_EXPIRATION": self.expiration,
            "AWS_REGION": None,
            "AWS_DEFAULT_REGION": None,
            "AWS_PROFILE": None,
            "AWS_DEFAULT_PROFILE": None,
            "AWS_SECURITY_TOKEN": None,
        }


def sets_of_three(values: list[str]) -> list[CredentialSet]:
    """Pack values three to an import (key id, secret, token) so one envgen run checks three."""
    padded = values + ["padding-secret", "padding-token"][: (-len(values)) % 3]
    return [
        CredentialSet(padded[i], padded[i + 1], padded[i + 2], FAR_FUTURE)
        for i in range(0, len(padded), 3)
    ]


def named_sets(named: list[tuple[str, str]]) -> tuple[list[CredentialSet], list[str]]:
    """Sets of three values, and for each set the names of its values, for failure messages."""
    names = [name for name, _ in named]
    labels = [", ".join(names[i : i + 3]) for i in range(0, len(names), 3)]
    return sets_of_three([value for _, value in named]), labels


@dataclasses.dataclass
class ShellRun:
    script: str
    returncode: int
    stderr: str
    dumps: list[dict[str, str | None] | None]
    """One per dump step, None where the script never reached it."""


def _decode(hex_value: str | None) -> str | None:
    if hex_value is None:
        return None
    raw = bytes.fromhex(hex_value)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return f"<not UTF-8: {raw!r}>"


def run_steps(
    shell: RealShell,
    steps: list[str],
    workdir: Path,
    env: dict[str, str],
    refused: frozenset[int] = frozenset(),
    timeout: float = 120,
) -> ShellRun:
    """In one shell process, apply each step's envgen command line, then read the variables back.

    Steps whose index is in `refused` are ones envgen must refuse.
    """
    require_program(shell.program)
    lines = []
    for index, step in enumerate(steps):
        idiom = shell.apply_refused if index in refused and shell.apply_refused else shell.apply
        lines.append(idiom.format(command=step))
        dump = [
            Path(sys.executable).as_posix(),
            DUMPER.as_posix(),
            (workdir / f"dump-{index}.json").as_posix(),
            *MANAGED,
        ]
        lines.append(shell.run.format(command=" ".join(dump)))
    script_text = "\n".join(lines) + "\n"
    script = workdir / "script"
    # Bytes, so that Windows writes no CR LF for a POSIX shell to read into its values.
    script.write_bytes(script_text.encode("utf-8"))
    completed = subprocess.run(
        [*shell.argv, script.as_posix()],
        env={**env, **MSYS_VERBATIM} if os.name == "nt" else env,
        cwd=workdir,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=timeout,
    )
    dumps: list[dict[str, str | None] | None] = []
    for index in range(len(steps)):
        path = workdir / f"dump-{index}.json"
        if path.exists():
            raw = json.loads(path.read_text(encoding="ascii"))
            dumps.append({name: _decode(value) for name, value in raw.items()})
        else:
            dumps.append(None)
    return ShellRun(
        script_text, completed.returncode, completed.stderr.decode("utf-8", "replace"), dumps
    )


def import_command(shell: RealShell, document: Path, *extra: str) -> str:
    return " ".join(["envgen", "import", document.as_posix(), "--shell", shell.name, *extra])


def apply_sets(
    shell: RealShell, sets: list[CredentialSet], workdir: Path, env: dict[str, str]
) -> ShellRun:
    steps = []
    for index, credential_set in enumerate(sets):
        document = workdir / f"credentials-{index}.json"
        document.write_text(json.dumps(credential_set.document()), encoding="utf-8")
        steps.append(import_command(shell, document))
    return run_steps(shell, steps, workdir, env)


def _shown(value: str | None) -> str:
    if value is None:
        return "unset"
    text = repr(value)
    return text if len(text) <= 120 else f"{text[:100]}... ({len(value)} chars)"


def assert_exported(
    run: ShellRun, expected: list[dict[str, str | None]], labels: list[str]
) -> None:
    """Fail with every difference between what the shell exported and what it should have."""
    __tracebackhide__ = True
    problems = []
    for label, want, got in zip(labels, expected, run.dumps, strict=False):
        if got is None:
            problems.append(f"{label}: the script stopped before reading the variables back")
            continue
        for name, value in want.items():
            if got.get(name) != value:
                problems.append(
                    f"{label}: {name} should be {_shown(value)}, "
                    f"the shell has {_shown(got.get(name))}"
                )
    if problems:
        problems.append(f"shell exit status {run.returncode}; stderr:\n{run.stderr[-3000:]}")
        raise AssertionError("\n".join(problems))
