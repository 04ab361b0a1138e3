"""Which shell envgen writes for: the order of the rules, the fallbacks, and real shells calling it."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import shellingham
from shellingham._core import SHELL_NAMES

from conftest import require_program
from envgen import detect
from envgen.detect import _fallback_name, detect_shell
from envgen.dialects import SHELLS
from envgen.errors import UsageError
from envgen_process import SECRET, TOKEN, run_envgen, run_on_a_terminal, sts_document
from pty_session import TerminalSession
from shell_harness import REAL_SHELLS, RealShell


@pytest.fixture
def shellingham_finds(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Make the process walk (shellingham's on Windows) answer `name`, or nothing for None."""

    def answer(name: str | None) -> None:
        def detect_shell_stub(pid: object = None, max_depth: int = 10) -> tuple[str, str]:
            if name is None:
                raise shellingham.ShellDetectionFailure()
            return name, f"/usr/bin/{name}"

        monkeypatch.setattr(shellingham, "detect_shell", detect_shell_stub)
        found = None if name is None else (name, 0)
        monkeypatch.setattr(detect, "nearest_shell", lambda pid=None: found)

    return answer


# --- the order of the rules -----------------------------------------------------------------


def test_the_shell_option_wins_over_everything(shellingham_finds) -> None:  # type: ignore[no-untyped-def]
    shellingham_finds("fish")
    environ = {"ENVGEN_SHELL": "tcsh", "SHELL": "/bin/zsh"}
    assert detect_shell("elvish", environ=environ, windows=False) is SHELLS["elvish"]


def test_the_variable_wins_over_detection(shellingham_finds) -> None:  # type: ignore[no-untyped-def]
    shellingham_finds("fish")
    environ = {"ENVGEN_SHELL": "tcsh", "SHELL": "/bin/zsh"}
    assert detect_shell(None, environ=environ, windows=False) is SHELLS["tcsh"]


def test_an_empty_variable_is_ignored(shellingham_finds) -> None:  # type: ignore[no-untyped-def]
    shellingham_finds("fish")
    assert detect_shell(None, environ={"ENVGEN_SHELL": ""}, windows=False) is SHELLS["fish"]


def test_detection_wins_over_the_fallback(shellingham_finds) -> None:  # type: ignore[no-untyped-def]
    shellingham_finds("nu")
    assert detect_shell(None, environ={"SHELL": "/bin/zsh"}, windows=False) is SHELLS["nu"]


def test_every_name_shellingham_reports_is_a_dialect() -> None:
    assert SHELL_NAMES <= set(SHELLS)


@pytest.mark.parametrize("name", sorted(SHELL_NAMES))
def test_detected_names_map_directly(name: str, shellingham_finds) -> None:  # type: ignore[no-untyped-def]
    shellingham_finds(name)
    assert detect_shell(None, environ={}, windows=False).name == name


@pytest.mark.parametrize(
    ("shell_variable", "expected"),
    [
        ("/usr/local/bin/fish", "fish"),
        ("/bin/zsh", "zsh"),
        ("-bash", "bash"),
        ("tcsh", "tcsh"),
        ("/opt/homebrew/bin/nu", "nu"),
    ],
)
def test_posix_falls_back_to_the_shell_variable(
    shell_variable: str,
    expected: str,
    shellingham_finds,  # type: ignore[no-untyped-def]
) -> None:
    shellingham_finds(None)
    assert _fallback_name({"SHELL": shell_variable}, windows=False) == expected
    assert detect_shell(None, environ={"SHELL": shell_variable}, windows=False).name == expected


def test_posix_without_any_clue_writes_sh(shellingham_finds) -> None:  # type: ignore[no-untyped-def]
    shellingham_finds(None)
    assert _fallback_name({}, windows=False) is None
    assert detect_shell(None, environ={}, windows=False).name == "sh"
    # A shell envgen has no dialect for is no answer either.
    assert detect_shell(None, environ={"SHELL": "/usr/bin/rc"}, windows=False).name == "sh"


@pytest.mark.parametrize(
    ("comspec", "expected"),
    [
        (r"C:\Windows\system32\cmd.exe", "cmd"),
        (r"C:\WINDOWS\System32\CMD.EXE", "cmd"),
        (r"C:\Program Files\PowerShell\7\pwsh.exe", "pwsh"),
    ],
)
def test_windows_falls_back_to_comspec(
    comspec: str,
    expected: str,
    shellingham_finds,  # type: ignore[no-untyped-def]
) -> None:
    shellingham_finds(None)
    environ = {"COMSPEC": comspec, "SHELL": "/usr/bin/fish"}
    assert _fallback_name(environ, windows=True) == expected
    assert detect_shell(None, environ=environ, windows=True).name == expected


def test_windows_without_comspec_writes_cmd(shellingham_finds) -> None:  # type: ignore[no-untyped-def]
    shellingham_finds(None)
    assert _fallback_name({}, windows=True) == "cmd"
    assert detect_shell(None, environ={}, windows=True).name == "cmd"


def test_windows_detection_wins_over_comspec(shellingham_finds) -> None:  # type: ignore[no-untyped-def]
    shellingham_finds("powershell")
    environ = {"COMSPEC": r"C:\Windows\system32\cmd.exe"}
    assert detect_shell(None, environ=environ, windows=True).name == "powershell"


@pytest.mark.parametrize("broken", [RuntimeError("not implemented for 'java'"), OSError("ps")])
def test_a_detection_crash_falls_back(broken: Exception, monkeypatch: pytest.MonkeyPatch) -> None:
    def detect_shell_stub(pid: object = None, max_depth: int = 10) -> tuple[str, str]:
        raise broken

    monkeypatch.setattr(shellingham, "detect_shell", detect_shell_stub)
    environ = {"COMSPEC": r"C:\Program Files\PowerShell\7\pwsh.exe"}
    assert detect_shell(None, environ=environ, windows=True).name == "pwsh"


@pytest.mark.parametrize(("requested", "source"), [("bsh", "--shell"), ("cmd.exe", "ENVGEN_SHELL")])
def test_an_unknown_name_lists_the_valid_ones(requested: str, source: str) -> None:
    environ = {"ENVGEN_SHELL": requested}
    with pytest.raises(UsageError) as caught:
        detect_shell(requested if source == "--shell" else None, environ=environ, windows=False)
    assert caught.value.message == (
        f"{source}: unknown shell {requested!r}; choose one of: {', '.join(SHELLS)}"
    )


def test_names_are_read_case_insensitively() -> None:
    assert detect_shell("Fish", environ={}, windows=False) is SHELLS["fish"]
    assert detect_shell(None, environ={"ENVGEN_SHELL": "PWSH"}, windows=False) is SHELLS["pwsh"]


# These run real shells and walk their process tree through /proc or ps, as envgen does on
# Linux, macOS and the BSDs; Windows has its own walk, through the process snapshot.
POSIX_PROCESS_TREE = pytest.mark.posix("a POSIX process tree, walked through /proc or ps")


# --- real shells calling envgen, with no --shell and no ENVGEN_SHELL ------------------------


def _idioms(shell: str) -> tuple[str, str]:
    """The registry's idiom applying `envgen import creds.json`, and `envgen clear`."""
    dialect = SHELLS[shell]
    return dialect.apply_hint("envgen import creds.json"), dialect.apply_hint("envgen clear")


def _script_argv(shell: RealShell, directory: Path) -> list[str]:
    """How to run a script in `shell`, as the real-shell tests do, by a program named as it."""
    program = require_program(shell.program)
    if shell.program == "busybox":
        # busybox runs the applet its argv[0] names, as /bin/ash on Alpine does.
        (directory / shell.name).symlink_to(program)
        return [str(directory / shell.name)]
    return [program, *shell.argv[1:]]


SHOW_VARIABLES = """\
#!{python}
import dataclasses
import os
for name in ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
    print(name + "=" + os.environ.get(name, "(unset)"))
"""


@pytest.mark.parametrize("real_shell", REAL_SHELLS, ids=str)
@POSIX_PROCESS_TREE
def test_a_real_shell_is_detected_in_substitutions_pipes_and_on_a_terminal(
    real_shell: RealShell, tmp_path: Path, clean_env: dict[str, str]
) -> None:
    shell = real_shell.name
    argv = _script_argv(real_shell, tmp_path)
    (tmp_path / "creds.json").write_text(sts_document())
    show = tmp_path / "show-variables"
    show.write_text(SHOW_VARIABLES.format(python=sys.executable))
    show.chmod(0o755)
    apply_import, apply_clear = _idioms(shell)
    script = tmp_path / "script"
    script.write_text(
        "\n".join(
            [
                apply_import,
                str(show),
                "envgen import creds.json | cat",
                # Not the script's last command, so no shell replaces itself with envgen.
                "envgen import creds.json",
                apply_clear,
                str(show),
            ]
        )
        + "\n"
    )
    # A fallback to $SHELL would pick a shell of another family and fail loudly.
    env = {**clean_env, "SHELL": "/bin/bash" if shell == "fish" else "/usr/bin/fish"}
    status, shown, stderr = run_on_a_terminal([*argv, str(script)], env, tmp_path)
    assert status == 0, stderr
    assert SECRET not in stderr and TOKEN not in stderr

    # The substitution idiom applied the credentials, and the clear idiom removed them.
    lines = shown.splitlines(keepends=True)
    assert lines[:2] == [f"AWS_SECRET_ACCESS_KEY={SECRET}\n", f"AWS_SESSION_TOKEN={TOKEN}\n"]
    assert lines[-2:] == ["AWS_SECRET_ACCESS_KEY=(unset)\n", "AWS_SESSION_TOKEN=(unset)\n"]

    # In a pipe, the output is exactly what --shell would have written.
    expected = run_envgen(["import", "creds.json", "--shell", shell], clean_env, cwd=tmp_path)
    assert "".join(lines[2:-2]) == expected.stdout.decode()

    # On a terminal, the hint names the detected shell and its idiom, never a secret.
    hints = [line for line in stderr.splitlines() if "not printing" in line]
    assert hints == [
        f"envgen: not printing credentials to a terminal; apply them in {shell} with: "
        f"{apply_import}   (or add --show-secrets to print them here)"
    ]


# --- a process is known by its program, not its title or $SHELL ----------------------------


def _process(  # type: ignore[no-untyped-def]
    argv: tuple[str, ...],
    executable: str | None,
    command: str | None = None,
    pid: int = 100,
    parent: int = 99,
):
    return detect.Process(pid=pid, parent=parent, argv=argv, executable=executable, command=command)


@pytest.mark.parametrize(
    ("argv", "executable", "command", "expected"),
    [
        # login and terminal emulators start the shell as `-name`, name being /bin/csh's here.
        (("-csh",), "/usr/bin/tcsh", "tcsh", "tcsh"),
        (("-csh",), "/usr/bin/bsd-csh", "csh", "csh"),
        (("-bash",), "/usr/bin/bash", "bash", "bash"),
        (("-ksh",), "/usr/bin/ksh93", "ksh", "ksh"),
        (("-fish",), "/usr/bin/fish", "fish", "fish"),
        # Any POSIX shell started as sh runs in POSIX mode.
        (("-sh",), "/usr/bin/dash", "sh", "sh"),
        (("sh", "-c", "eval"), "/usr/bin/bash", "sh", "sh"),
        (("dash",), "/usr/bin/dash", "dash", "dash"),
        # busybox runs the applet argv[0] (or its first argument) names.
        (("-ash",), "/usr/bin/busybox", "ash", "ash"),
        (("/bin/sh",), "/bin/busybox", "sh", "sh"),
        (("busybox", "ash", "script"), "/usr/bin/busybox", "busybox", "ash"),
        (("timeout", "5", "envgen"), "/usr/bin/busybox", "timeout", None),
        # xonsh is a Python program, under its own title or not.
        (
            ("/usr/bin/python3", "/usr/bin/xonsh", "--no-rc"),
            "/usr/bin/python3.11",
            "xonsh",
            "xonsh",
        ),
        (("xonsh --no-rc -c envgen import",), "/usr/bin/python3.11", "xonsh", "xonsh"),
        (("python3", "-X", "dev", "-m", "xonsh"), "/usr/bin/python3.11", "python3", "xonsh"),
        (("python3", "-m", "pytest"), "/usr/bin/python3.11", "python3", None),
        (("python3", "-c", "import xonsh"), "/usr/bin/python3.11", "python3", None),
        # Under an emulator (an amd64 container on arm64), the kernel still names the file.
        (
            ("/usr/bin/qemu-x86_64-static", "/bin/tcsh"),
            "/usr/bin/qemu-x86_64-static",
            "tcsh",
            "tcsh",
        ),
        (("/mnt/rosetta/rosetta", "/usr/bin/fish"), "/mnt/rosetta/rosetta", "fish", "fish"),
        # Nix starts a wrapped program under a dotted name.
        (
            ("/nix/store/x-python3/bin/python3.11", "/nix/store/y-xonsh/bin/.xonsh-wrapped"),
            "/nix/store/x-python3/bin/python3.11",
            ".xonsh-wrapped",
            "xonsh",
        ),
        (("fish",), "/nix/store/z-fish/bin/.fish-wrapped", ".fish-wrapped", "fish"),
        # rbash is bash's restricted mode; bash output needs nothing it forbids.
        (("-rbash",), "/usr/bin/bash", "rbash", "bash"),
        (("rbash",), None, None, "bash"),
        # Shells envgen writes nothing for are named, even under a known shell's name.
        (("ksh",), "/usr/bin/mksh", "ksh", "mksh"),
        (("-yash",), "/usr/bin/yash", "yash", "yash"),
        (("rc", "-l"), None, "rc", "rc"),
        # Where the program cannot be read (another user's, or ps only), its names decide.
        (("-zsh",), None, None, "zsh"),
        (("-csh",), None, "tcsh", "tcsh"),
        (("fish",), "/opt/fish/bin/fish-3.7.1", "fish", "fish"),
        # Intermediaries are no shells.
        (("sudo", "envgen", "import"), None, "sudo", None),
        (("sshd: user@pts/0",), None, "sshd", None),
        (("/usr/bin/env", "envgen"), "/usr/bin/env", "env", None),
        (("make", "credentials"), "/usr/bin/make", "make", None),
        (("tmux",), "/usr/bin/tmux", "tmux: server", None),
        (("script", "-q", "log"), "/usr/bin/script", "script", None),
        (("login", "--", "user"), "/usr/bin/login", "login", None),
        (
            ("/usr/bin/gnome-terminal-server",),
            "/usr/libexec/gnome-terminal-server",
            "gnome-terminal-",
            None,
        ),
    ],
)
def test_a_process_is_known_by_its_program(
    argv: tuple[str, ...], executable: str | None, command: str | None, expected: str | None
) -> None:
    assert detect.shell_of(_process(argv, executable, command)) == expected


def test_a_login_shell_is_not_taken_for_the_shell_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHELL", "/bin/bash")
    walk = [
        _process(("python3", "-m", "envgen"), "/usr/bin/python3.11"),
        _process(("-csh",), "/usr/bin/tcsh", "tcsh"),
    ]
    monkeypatch.setattr(detect, "ancestors", lambda pid: iter(walk))
    assert detect.detect_shell(None, environ={"SHELL": "/bin/bash"}, windows=False).name == "tcsh"


# --- an unknown shell nearer than a known one -----------------------------------------------


def test_an_unknown_shell_is_refused_rather_than_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    walk = [
        _process(("timeout", "9", "envgen"), "/usr/bin/timeout", "timeout"),
        _process(("mksh",), "/usr/bin/mksh", "mksh"),
        _process(("-fish",), "/usr/bin/fish", "fish"),
    ]
    monkeypatch.setattr(detect, "ancestors", lambda pid: iter(walk))
    with pytest.raises(UsageError) as caught:
        detect_shell(None, environ={"SHELL": "/usr/bin/fish"}, windows=False)
    assert caught.value.message == (
        "envgen was started from mksh, a shell it writes no code for; name the shell that "
        f"will run the output with --shell (sh, for POSIX code) or ENVGEN_SHELL (one of: "
        f"{', '.join(SHELLS)})"
    )
    # For a shell of another language, no advice.
    walk[1] = _process(("rc",), "/usr/bin/rc", "rc")
    with pytest.raises(UsageError) as caught:
        detect_shell(None, environ={}, windows=False)
    assert caught.value.message == (
        "envgen was started from rc, a shell it writes no code for; name the shell that "
        f"will run the output with --shell or ENVGEN_SHELL (one of: {', '.join(SHELLS)})"
    )
    # Naming the shell is the way out.
    assert detect_shell("sh", environ={}, windows=False) is SHELLS["sh"]
    assert detect_shell(None, environ={"ENVGEN_SHELL": "sh"}, windows=False) is SHELLS["sh"]


def test_without_any_shell_among_the_ancestors_the_fallback_decides(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    walk = [_process(("cron",), "/usr/sbin/cron", "cron")]
    monkeypatch.setattr(detect, "ancestors", lambda pid: iter(walk))
    assert detect_shell(None, environ={"SHELL": "/usr/bin/zsh"}, windows=False).name == "zsh"


# --- ENVGEN_SHELL against the shell envgen runs under ----------------------------------------


@pytest.mark.parametrize(
    ("variable", "detected", "warned"),
    [
        ("fish", "bash", True),
        ("bash", "tcsh", True),
        ("tcsh", "nu", True),
        # Same code, or nothing clear to contradict: no word.
        ("sh", "bash", False),
        ("csh", "tcsh", False),
        ("fish", "fish", False),
        ("fish", None, False),
        ("sh", "mksh", False),
    ],
)
def test_the_variable_contradicting_the_detected_shell_is_warned_about(
    variable: str,
    detected: str | None,
    warned: bool,
    shellingham_finds,  # type: ignore[no-untyped-def]
) -> None:
    shellingham_finds(detected)
    warnings: list[str] = []
    environ = {"ENVGEN_SHELL": variable}
    chosen = detect_shell(None, environ=environ, windows=False, warn=warnings.append)
    assert chosen is SHELLS[variable]
    if warned:
        assert warnings == [
            f"warning: ENVGEN_SHELL asks for {variable} code, but envgen runs under "
            f"{detected}; printing {variable} code (unset ENVGEN_SHELL or pass "
            f"--shell {detected})"
        ]
    else:
        assert warnings == []
    # --shell is this command's own choice: nothing to warn about.
    detect_shell(variable, environ=environ, windows=False, warn=warnings.append)
    assert len(warnings) == (1 if warned else 0)


def test_a_shell_beyond_another_program_is_not_contradicted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A test runner or an editor between bash and envgen may read the output for any shell.
    walk = [
        _process(("python3", "-m", "pytest"), "/usr/bin/python3.11", "python3"),
        _process(("-bash",), "/usr/bin/bash", "bash"),
    ]
    monkeypatch.setattr(detect, "ancestors", lambda pid: iter(walk))
    warnings: list[str] = []
    environ = {"ENVGEN_SHELL": "fish"}
    assert detect_shell(None, environ=environ, windows=False, warn=warnings.append).name == "fish"
    assert warnings == []


# --- real shells leading a terminal session, started as login starts them -------------------

# label: (program, argv[0] as login passes it, the dialect envgen must pick)
SESSION_LEADERS = {
    **{shell.name: (shell.program, f"-{shell.name}", shell.name) for shell in REAL_SHELLS},
    # bash in restricted mode: no `/` in command names, which the idiom does not need.
    "rbash": ("rbash", "-rbash", "bash"),
    # Where /bin/csh is tcsh, login and terminal emulators start tcsh as -csh.
    "tcsh as -csh": ("tcsh", "-csh", "tcsh"),
}

SHOW_AWS_VARIABLES = """\
#!{python}
import dataclasses
import os
for name in ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
    print(name + "=" + os.environ.get(name, "(unset)"))
"""


def _terminal_user_env(tmp_path: Path, clean_env: dict[str, str], shell: str) -> dict[str, str]:
    """clean_env plus what a terminal user has: TERM, start-up files that ask nothing, and a
    `show-aws-variables` command on PATH (restricted bash runs no command named by a path)."""
    home = Path(clean_env["HOME"])
    # Without any start-up file, zsh runs its new-user dialogue, and nushell asks to make one.
    (home / ".zshrc").touch()
    (home / ".config" / "nushell").mkdir(parents=True)
    for name in ("config.nu", "env.nu"):
        (home / ".config" / "nushell" / name).touch()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    show = bin_dir / "show-aws-variables"
    show.write_text(SHOW_AWS_VARIABLES.format(python=sys.executable))
    show.chmod(0o755)
    path = f"{bin_dir}{os.pathsep}{clean_env['PATH']}"
    # A POSIX login shell takes PATH from /etc/profile, then from ~/.profile, as users
    # who install tools in their own directories know.
    (home / ".profile").write_text(f"PATH={shlex.quote(path)}\nexport PATH\n")
    # $SHELL names a shell of another family, as for a bash account that opens tcsh terminals.
    family = SHELLS[SESSION_LEADERS[shell][2]].family
    other = "/bin/bash" if family != "posix" else "/usr/bin/fish"
    return {**clean_env, "PATH": path, "TERM": "xterm-256color", "SHELL": other}


@pytest.mark.parametrize("shell", list(SESSION_LEADERS))
@POSIX_PROCESS_TREE
def test_a_login_shell_at_a_terminal_gets_its_own_code(
    shell: str, tmp_path: Path, clean_env: dict[str, str]
) -> None:
    program_name, login_name, expected = SESSION_LEADERS[shell]
    program = require_program(program_name)
    (tmp_path / "creds.json").write_text(sts_document())
    env = _terminal_user_env(tmp_path, clean_env, shell)
    apply_import = _idioms(expected)[0]

    with TerminalSession.start(
        [login_name], executable=program, env=env, cwd=tmp_path
    ) as shell_session:
        shell_session.wait_until_idle()
        # Typed at the prompt, envgen names the shell it found and the shell's idiom.
        shell_session.type("envgen import creds.json")
        hint = shell_session.read_until(r"envgen: not printing credentials.*\n").group(0)
        assert hint == (
            f"envgen: not printing credentials to a terminal; apply them in {expected} with: "
            f"{apply_import}   (or add --show-secrets to print them here)\n"
        )
        shell_session.wait_until_idle()
        # The idiom applies the credentials in this very shell.
        shell_session.type(apply_import)
        shell_session.read_until(r"envgen: these credentials expire in .*\n")
        shell_session.wait_until_idle()
        shell_session.type("show-aws-variables")
        shown = shell_session.read_until(r"AWS_SECRET_ACCESS_KEY=.*\nAWS_SESSION_TOKEN=.*\n")
        assert shown.group(0) == f"AWS_SECRET_ACCESS_KEY={SECRET}\nAWS_SESSION_TOKEN={TOKEN}\n"
        assert "rror" not in shell_session.screen, shell_session.screen


# --- real shells envgen has no dialect for, nearer than one it has ---------------------------


@pytest.mark.parametrize("unknown", ["mksh", "yash"])
@POSIX_PROCESS_TREE
def test_a_real_unknown_shell_between_is_named_not_skipped(
    unknown: str, tmp_path: Path, clean_env: dict[str, str]
) -> None:
    # fish runs a POSIX shell envgen has no dialect for, which applies envgen's output.
    fish = require_program("fish")
    inner = require_program(unknown)
    (tmp_path / "creds.json").write_text(sts_document())
    (tmp_path / "inner").write_text(
        'out=$(envgen import creds.json 2>stderr); echo "status=$?"\n'
        'eval "$out"; echo "secret=${AWS_SECRET_ACCESS_KEY-(unset)}"\n'
        # The advice works: POSIX code is this shell's code.
        'eval "$(envgen import creds.json --shell sh 2>/dev/null)"\n'
        'echo "secret=${AWS_SECRET_ACCESS_KEY-(unset)}"\n'
    )
    result = subprocess.run(
        [fish, "--no-config", "-c", f"{inner} inner"],
        capture_output=True,
        env=clean_env,
        cwd=tmp_path,
        timeout=60,
    )
    assert result.stdout.decode() == f"status=2\nsecret=(unset)\nsecret={SECRET}\n", result.stderr
    assert (tmp_path / "stderr").read_text() == (
        f"envgen: error: envgen was started from {unknown}, a shell it writes no code for; "
        "name the shell that will run the output with --shell (sh, for POSIX code) or "
        f"ENVGEN_SHELL (one of: {', '.join(SHELLS)})\n"
    )


@POSIX_PROCESS_TREE
def test_a_real_shell_hears_when_the_variable_names_another(
    tmp_path: Path, clean_env: dict[str, str]
) -> None:
    # Set in fish's configuration, inherited by a bash started from fish.
    bash = require_program("bash")
    (tmp_path / "creds.json").write_text(sts_document())
    env = {**clean_env, "ENVGEN_SHELL": "fish"}
    result = subprocess.run(
        [bash, "--norc", "-c", "envgen import creds.json | cat; true"],
        capture_output=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    expected = run_envgen(["import", "creds.json", "--shell", "fish"], clean_env, cwd=tmp_path)
    assert result.stdout == expected.stdout
    assert result.stderr.decode().splitlines()[0] == (
        "envgen: warning: ENVGEN_SHELL asks for fish code, but envgen runs under bash; "
        "printing fish code (unset ENVGEN_SHELL or pass --shell bash)"
    )


WALK_WITH_PS = """\
#!{python}
# What envgen finds where there is no /proc (macOS, the BSDs): the same walk over ps.
from envgen import detect

detect.ancestors = detect.ps_ancestors
print("found through ps:", detect.caller_shell())
"""


@pytest.mark.parametrize("shell", ["tcsh as -csh", "ash", "xonsh", "bash"])
@POSIX_PROCESS_TREE
def test_without_proc_ps_tells_the_login_shell(
    shell: str, tmp_path: Path, clean_env: dict[str, str]
) -> None:
    require_program("ps")
    program_name, login_name, expected = SESSION_LEADERS[shell]
    program = require_program(program_name)
    env = _terminal_user_env(tmp_path, clean_env, shell)
    walk = tmp_path / "bin" / "walk-with-ps"
    walk.write_text(WALK_WITH_PS.format(python=sys.executable))
    walk.chmod(0o755)
    with TerminalSession.start([login_name], executable=program, env=env, cwd=tmp_path) as session:
        session.wait_until_idle()
        session.type("walk-with-ps")
        assert session.read_until(r"found through ps: (\S+)\n").group(1) == expected


@POSIX_PROCESS_TREE
def test_a_shell_whose_program_was_replaced_since_it_started_is_still_known(
    tmp_path: Path, clean_env: dict[str, str]
) -> None:
    # An upgrade replaces /usr/bin/tcsh under a running tcsh: its exe link then reads
    # "/usr/bin/tcsh (deleted)". Here tcsh runs through a `csh` link, as alternatives
    # arrange, so only the program tells it from BSD csh, which holds shorter words.
    installed = require_program("tcsh")
    copy = tmp_path / "tcsh"
    shutil.copy(installed, copy)
    (tmp_path / "csh").symlink_to(copy)
    long_token = "T" * 9000
    (tmp_path / "creds.json").write_text(sts_document(SessionToken=long_token))
    result = subprocess.run(
        [str(tmp_path / "csh"), "-f", "-c", f"rm {copy}; envgen import creds.json | cat"],
        capture_output=True,
        env=clean_env,
        cwd=tmp_path,
        timeout=60,
    )
    assert not copy.exists()
    expected = run_envgen(["import", "creds.json", "--shell", "tcsh"], clean_env, cwd=tmp_path)
    assert expected.returncode == 0
    assert result.stdout == expected.stdout, result.stderr


def test_a_shell_that_is_process_one_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    # `docker run -it IMAGE bash`: the shell is the container's first process.
    table = {
        40: _process(("python3", "-m", "envgen"), "/usr/bin/python3.11", pid=40, parent=1),
        1: _process(("bash",), "/usr/bin/bash", "bash", pid=1, parent=0),
    }
    monkeypatch.setattr(detect, "_proc_process", table.__getitem__)
    assert [process.pid for process in detect._proc_ancestors(40)] == [40, 1]
    monkeypatch.setattr(detect, "ancestors", detect._proc_ancestors)
    assert detect.caller_shell(40) == "bash"
