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
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

from conftest import require_program
from envgen.dialects import SHELLS as DIALECTS

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

# Set by each shell's startup_text below: a fresh session that has it ran the user's own file.
KEEP = "ENVGEN_TEST_KEEP"

# Git Bash on Windows rewrites arguments and variables that look like POSIX paths when it
# starts a Windows program (the dumper, envgen). The tests read what the shell itself holds,
# so it passes them verbatim. Paths in the scripts are written with forward slashes, which
# both Git Bash and Windows read; elsewhere as_posix() changes nothing.
MSYS_VERBATIM = {"MSYS2_ARG_CONV_EXCL": "*", "MSYS2_ENV_CONV_EXCL": "*", "MSYS_NO_PATHCONV": "1"}


@dataclasses.dataclass(frozen=True)
class RealShell:
    """How the tests run one shell of envgen's registry for real; everything else about the
    shell (its idiom, its family, how it persists) the tests read from the registry."""

    name: str
    """The registry's (and `--shell`'s) name."""
    program: str
    """The executable that must be installed."""
    argv: tuple[str, ...]
    """How to run a script file; the script's path is appended."""
    run: str = "{command}"
    """How the shell runs an external program."""
    apply_refused: str = ""
    """The idiom for output envgen refuses, where the failure would otherwise end the script."""
    startup: Callable[[Path, Path], Path] | None = None
    """Where --persist must put its block, from HOME and XDG_CONFIG_HOME, as the shell reads
    it; None for a shell that keeps variables itself."""
    startup_text: bytes = b""
    """What a user already had in that file, which must come back byte for byte."""
    fresh: Callable[[str, dict[str, str]], tuple[list[str], str | None]] | None = None
    """argv (and stdin text) of a new session that reads its startup file and runs a command."""
    apply: str = ""
    """The documented idiom, with {command} where envgen's command line goes: the registry's."""

    def __post_init__(self) -> None:
        if not self.apply:
            object.__setattr__(self, "apply", DIALECTS[self.name].apply)

    @property
    def family(self) -> str:
        return DIALECTS[self.name].family

    def startup_file(self, env: dict[str, str]) -> Path:
        """Where --persist puts its block for the user of ENV (its HOME and XDG_CONFIG_HOME)."""
        assert self.startup is not None, f"{self.name} keeps variables itself"
        return self.startup(Path(env["HOME"]), Path(env["XDG_CONFIG_HOME"]))

    def __str__(self) -> str:
        return self.name


def _posix_rc(keep_line: bytes) -> bytes:
    # No newline at the end: the block must end that line and give it back on removal.
    return b"# my settings \xe2\x80\x94 caf\xc3\xa9\n\n" + keep_line + b"\nalias ll='ls -l'"


POSIX_RC = _posix_rc(b"export ENVGEN_TEST_KEEP='kept'")


def _nu_config_path(env: dict[str, str]) -> str:
    # Asked of nushell itself rather than trusting envgen's idea of it.
    done = subprocess.run(
        ["nu", "-c", "$nu.config-path"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _home(name: str) -> Callable[[Path, Path], Path]:
    return lambda home, config: home / name


def _config(name: str) -> Callable[[Path, Path], Path]:
    return lambda home, config: config / name


def _login(*argv: str) -> Callable[[str, dict[str, str]], tuple[list[str], str | None]]:
    return lambda command, env: ([*argv, command], None)


# One entry per registry shell this machine runs; a shell added to the registry fails
# test_every_registry_shell_is_run_for_real until it has one here (or, for a Windows shell,
# in windows_shells.py).
REAL_SHELLS = (
    # Interactive, so history expansion is on as at a prompt.
    RealShell(
        "bash",
        "bash",
        ("bash", "--norc", "--noprofile", "-i"),
        startup=_home(".bashrc"),
        startup_text=POSIX_RC,
        fresh=_login("bash", "-ic"),
    ),
    RealShell(
        "zsh",
        "zsh",
        ("zsh", "-f"),
        startup=_home(".zshrc"),
        startup_text=POSIX_RC,
        fresh=_login("zsh", "-ic"),
    ),
    RealShell(
        "sh",
        "sh",
        ("sh",),
        startup=_home(".profile"),
        startup_text=POSIX_RC,
        fresh=_login("sh", "-lc"),
    ),
    RealShell(
        "dash",
        "dash",
        ("dash",),
        startup=_home(".profile"),
        startup_text=POSIX_RC,
        fresh=_login("dash", "-lc"),
    ),
    RealShell(
        "ksh",
        "ksh",
        ("ksh",),
        startup=_home(".profile"),
        startup_text=POSIX_RC,
        fresh=_login("ksh", "-lc"),
    ),
    RealShell(
        "ash",
        "busybox",
        ("busybox", "ash"),
        startup=_home(".profile"),
        startup_text=POSIX_RC,
        fresh=_login("busybox", "ash", "-lc"),
    ),
    # With its configuration, so universal variables work as for a user (HOME is private).
    RealShell("fish", "fish", ("fish",), fresh=_login("fish", "-c")),
    RealShell(
        "tcsh",
        "tcsh",
        ("tcsh", "-f"),
        startup=_home(".tcshrc"),
        startup_text=(
            b"# my settings \xe2\x80\x94 caf\xc3\xa9\nsetenv ENVGEN_TEST_KEEP kept\nset noclobber\n"
        ),
        fresh=_login("tcsh", "-c"),
    ),
    RealShell(
        "csh",
        "csh",
        ("csh", "-f"),
        startup=_home(".cshrc"),
        startup_text=b"# my settings\nsetenv ENVGEN_TEST_KEEP kept\n",
        fresh=_login("csh", "-c"),
    ),
    # elvish and nushell stop a script at a failing command; a user sees the error and
    # nothing applied, and `try` lets the script read that back.
    RealShell(
        "elvish",
        "elvish",
        ("elvish", "-norc"),
        apply_refused="try {{ eval ({command} | slurp) }} catch {{ }}",
        startup=_config("elvish/rc.elv"),
        startup_text=b"# my settings \xe2\x80\x94 caf\xc3\xa9\nset-env ENVGEN_TEST_KEEP kept",
        # Elvish reads rc.elv only when it runs interactively, as it does on piped input.
        fresh=lambda command, env: (["elvish"], command + "\n"),
    ),
    RealShell(
        "xonsh",
        "xonsh",
        ("xonsh", "--no-rc"),
        run="![{command}]",
        startup=_home(".xonshrc"),
        startup_text=b"# my settings \xe2\x80\x94 caf\xc3\xa9\n$ENVGEN_TEST_KEEP = 'kept'\n",
        fresh=_login("xonsh", "-i", "-c"),
    ),
    RealShell(
        "nu",
        "nu",
        ("nu", "--no-config-file"),
        run="^{command}",
        apply_refused="try {{ ^{command} | from json | load-env }}",
        startup=_config("nushell/config.nu"),
        startup_text=b"# my settings \xe2\x80\x94 caf\xc3\xa9\n$env.ENVGEN_TEST_KEEP = 'kept'",
        # `nu -c` skips config.nu; --config with the path nushell itself reports
        # loads it as an interactive start does.
        fresh=lambda command, env: (
            ["nu", "--config", _nu_config_path(env), "-c", command],
            None,
        ),
    ),
)


def real_shell(name: str) -> RealShell:
    return next(shell for shell in REAL_SHELLS if shell.name == name)


class FreshSession(NamedTuple):
    seen: dict[str, str | None]
    """What the session exported after its startup file: each name asked for, None if unset."""
    said: list[str]
    """envgen's lines on the session's stderr, each from `envgen:` on."""


def fresh_session(
    case: RealShell,
    env: dict[str, str],
    out: Path,
    *,
    names: Sequence[str] = (*MANAGED, KEEP),
    never_said: Sequence[str] = (),
) -> FreshSession:
    """Start a new session of CASE as a user does, so that it reads its startup file, and read
    back what it exported (dump_environment.py writes it to OUT) and what envgen said there.
    None of `never_said` (secrets) may show up on the session's stderr."""
    command = f"{sys.executable} {DUMPER} {out} {' '.join(names)}"
    assert case.fresh is not None
    argv, stdin = case.fresh(command, env)
    done = subprocess.run(
        argv,
        input=(stdin or "").encode(),
        capture_output=True,
        env=env,
        cwd=out.parent,
        timeout=120,
    )
    stderr = done.stderr.decode("utf-8", "replace")
    assert out.exists(), (done.returncode, done.stdout[-2000:], stderr[-2000:])
    dumped = json.loads(out.read_text(encoding="ascii"))
    out.unlink()
    seen = {
        name: None if raw is None else bytes.fromhex(raw).decode("utf-8", "surrogateescape")
        for name, raw in dumped.items()
    }
    # Interactive shells write prompts and job-control complaints there too.
    said = [line[line.index("envgen:") :] for line in stderr.splitlines() if "envgen:" in line]
    leaked = [index for index, secret in enumerate(never_said) if secret in stderr]
    assert not leaked, f"secrets {leaked} of never_said reached stderr"
    return FreshSession(seen, said)


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
    names: Sequence[str] = MANAGED,
) -> ShellRun:
    """In one shell process, apply each step's envgen command line, then read the variables
    `names` back.

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
            *names,
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
