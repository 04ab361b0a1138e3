"""Which shell envgen writes for: the order of the rules, the fallbacks, and real shells calling it."""

from __future__ import annotations

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


@pytest.fixture
def shellingham_finds(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Make the process walk answer `name`, or fail when given None."""

    def answer(name: str | None) -> None:
        def detect_shell_stub(pid: object = None, max_depth: int = 10) -> tuple[str, str]:
            if name is None:
                raise shellingham.ShellDetectionFailure()
            return name, f"/usr/bin/{name}"

        monkeypatch.setattr(shellingham, "detect_shell", detect_shell_stub)
        monkeypatch.setattr(detect, "_retitled_shell", lambda pid, depth=10: None)

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
    [("/usr/local/bin/fish", "fish"), ("/bin/zsh", "zsh"), ("-bash", "bash"), ("tcsh", "tcsh"),
     ("/opt/homebrew/bin/nu", "nu")],
)
def test_posix_falls_back_to_the_shell_variable(
    shell_variable: str, expected: str, shellingham_finds  # type: ignore[no-untyped-def]
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
    [(r"C:\Windows\system32\cmd.exe", "cmd"), (r"C:\WINDOWS\System32\CMD.EXE", "cmd"),
     (r"C:\Program Files\PowerShell\7\pwsh.exe", "pwsh")],
)
def test_windows_falls_back_to_comspec(
    comspec: str, expected: str, shellingham_finds  # type: ignore[no-untyped-def]
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
def test_a_detection_crash_falls_back(
    broken: Exception, monkeypatch: pytest.MonkeyPatch
) -> None:
    def detect_shell_stub(pid: object = None, max_depth: int = 10) -> tuple[str, str]:
        raise broken

    monkeypatch.setattr(shellingham, "detect_shell", detect_shell_stub)
    monkeypatch.setattr(detect, "_retitled_shell", lambda pid, depth=10: None)
    assert detect_shell(None, environ={"SHELL": "/bin/ksh"}, windows=False).name == "ksh"


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


# --- real shells calling envgen, with no --shell and no ENVGEN_SHELL ------------------------

# How each family applies envgen's output: (apply import, apply clear).
IDIOMS = {
    "posix": ('eval "$(envgen import creds.json)"', 'eval "$(envgen clear)"'),
    "fish": ("envgen import creds.json | source", "envgen clear | source"),
    "csh": ('eval "`envgen import creds.json`"', 'eval "`envgen clear`"'),
    "elvish": ("eval (envgen import creds.json | slurp)", "eval (envgen clear | slurp)"),
    "xonsh": ("execx($(envgen import creds.json))", "execx($(envgen clear))"),
    "nu": ("envgen import creds.json | from json | load-env",
           "envgen clear | from json | load-env"),
}
# shell: (program, options before the script, idiom family)
REAL_SHELLS = {
    "bash": ("bash", ["--norc"], "posix"),
    "zsh": ("zsh", ["-f"], "posix"),
    "sh": ("sh", [], "posix"),
    "dash": ("dash", [], "posix"),
    "ksh": ("ksh", [], "posix"),
    "ash": ("busybox", [], "posix"),
    "fish": ("fish", ["--no-config"], "fish"),
    "tcsh": ("tcsh", ["-f"], "csh"),
    "csh": ("csh", ["-f"], "csh"),
    "elvish": ("elvish", ["-norc"], "elvish"),
    # With options, xonsh rewrites its process title to one string; detection must see through it.
    "xonsh": ("xonsh", ["--no-rc"], "xonsh"),
    "nu": ("nu", ["-n"], "nu"),
}

SHOW_VARIABLES = """\
#!{python}
import os
for name in ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
    print(name + "=" + os.environ.get(name, "(unset)"))
"""


@pytest.mark.parametrize("shell", list(REAL_SHELLS))
def test_a_real_shell_is_detected_in_substitutions_pipes_and_on_a_terminal(
    shell: str, tmp_path: Path, clean_env: dict[str, str]
) -> None:
    program_name, options, family = REAL_SHELLS[shell]
    program = require_program(program_name)
    if shell == "ash":
        # busybox runs the applet its argv[0] names, as /bin/ash on Alpine does.
        (tmp_path / "ash").symlink_to(program)
        program = str(tmp_path / "ash")
    (tmp_path / "creds.json").write_text(sts_document())
    show = tmp_path / "show-variables"
    show.write_text(SHOW_VARIABLES.format(python=sys.executable))
    show.chmod(0o755)
    apply_import, apply_clear = IDIOMS[family]
    script = tmp_path / "script"
    script.write_text(
        "\n".join([
            apply_import,
            str(show),
            "envgen import creds.json | cat",
            # Not the script's last command, so no shell replaces itself with envgen.
            "envgen import creds.json",
            apply_clear,
            str(show),
        ]) + "\n"
    )
    # A fallback to $SHELL would pick a shell of another family and fail loudly.
    env = {**clean_env, "SHELL": "/bin/bash" if shell == "fish" else "/usr/bin/fish"}
    status, shown, stderr = run_on_a_terminal([program, *options, str(script)], env, tmp_path)
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
