"""The prompt hook in elvish, xonsh, nushell and tcsh, typed at a real terminal against the local
STS, and PowerShell's, parsed where PowerShell cannot run.

Each shell installs the hook with the line the README gives, applies `envgen assume` with a
refresh window longer than the credentials live (so they are inside it at once), and must renew
them before its next prompt: one more AssumeRole, and the new keys in its environment. With
fresh credentials, strace shows what the hook starts before each prompt: nothing in the shells
that tell the time themselves, only `date` in those that cannot.
"""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_powershell_output import PARSER, syntax_problems

from conftest import require_program
from envgen.dialects import SHELLS
from powershell_eval import evaluate
from pty_session import TerminalSession
from sts_server import StsServer, role_arn

# Longer than any credentials STS issues: whatever `assume` prints is inside the window.
WHOLE_LIFETIME_WINDOW = "100000"

ROLE_CONFIG = f"""\
[default]
region = eu-west-1

[profile hooked]
role_arn = {role_arn("Hooked")}
source_profile = default
duration_seconds = 900
"""


@dataclasses.dataclass(frozen=True)
class HookShell:
    """How a test types at one shell: each command is one line, run by the shell itself."""

    name: str
    program: str
    argv: tuple[str, ...]
    """The interactive shell without the user's start-up files."""
    prelude: tuple[str, ...]
    """A plain prompt that starts nothing (xonsh's default one asks git)."""
    install: str
    """The README's line for the start-up file."""
    apply: str
    """The shell's idiom with `envgen assume hooked`."""
    user_hook: str
    """The user's own code before each prompt, there before envgen's: sets USER_HOOK=ran."""
    show: str
    """Prints LABEL=<the value of VARIABLE>, for {label} and {variable}."""
    forget_window: str
    """Drops ENVGEN_REFRESH_BEFORE, so later checks find the renewed keys fresh."""
    touch: str
    """Opens the file {path} for writing without starting a process: a mark in strace's log."""
    idle: tuple[str, ...]
    """Commands that start no process."""
    make_due: str
    """Sets ENVGEN_CHECK_AT to a moment long past, as the clock would after a while."""
    clock: frozenset[str]
    """The argv (as strace shows it) of what the hook may start to tell the time: nothing
    where the shell has a clock."""
    failure: str
    """What the shell shows when code it runs fails."""


HOOK_SHELLS = {
    shell.name: shell
    for shell in (
        HookShell(
            name="elvish",
            program="elvish",
            argv=("elvish", "-norc"),
            prelude=("set edit:prompt = { put 'elvish> ' }", "set edit:rprompt = { put '' }"),
            install="eval (envgen hook elvish | slurp)",
            apply="eval (envgen assume hooked | slurp)",
            user_hook="set edit:before-readline = [$nop~ { set-env USER_HOOK ran }]",
            show="echo '{label}='$E:{variable}",
            forget_window="unset-env ENVGEN_REFRESH_BEFORE",
            touch="echo > {path}",
            idle=("var x = 1", "nop"),
            make_due="set-env ENVGEN_CHECK_AT 1",
            clock=frozenset({"date +%s"}),
            failure=r"Exception|\[eval",
        ),
        HookShell(
            name="xonsh",
            program="xonsh",
            argv=("xonsh", "--no-rc", "-i"),
            prelude=("$PROMPT = 'xonsh> '",),
            install="execx($(envgen hook xonsh))",
            apply="execx($(envgen assume hooked))",
            user_hook="events.on_pre_prompt(lambda **_: ${...}.__setitem__('USER_HOOK', 'ran'))",
            show="print('{label}=' + ${variable})",
            forget_window="del $ENVGEN_REFRESH_BEFORE",
            touch="open({path!r}, 'w').close()",
            idle=("x = 1", "y = x + 1"),
            make_due="$ENVGEN_CHECK_AT = '1'",
            clock=frozenset(),
            failure=r"Traceback|Error",
        ),
        HookShell(
            name="nu",
            program="nu",
            argv=("nu", "--no-config-file"),
            prelude=("$env.PROMPT_COMMAND = {|| 'nu> ' }; $env.PROMPT_COMMAND_RIGHT = ''",),
            install="$env.config.hooks.pre_prompt ++= [(^envgen hook nu)]",
            apply="envgen assume hooked | from json | load-env",
            user_hook="$env.config.hooks.pre_prompt = [{|| $env.USER_HOOK = 'ran' }]",
            show="print $'{label}=($env.{variable})'",
            forget_window="hide-env ENVGEN_REFRESH_BEFORE",
            touch="'' | save -f {path!r}",
            idle=("let x = 1", "$env.UNRELATED = 'x'"),
            make_due="$env.ENVGEN_CHECK_AT = '1'",
            clock=frozenset(),
            failure=r"Error|×",
        ),
        HookShell(
            name="tcsh",
            program="tcsh",
            argv=("tcsh", "-f", "-i"),
            prelude=("set prompt = 'tcsh> '",),
            install='eval "`envgen hook tcsh`"',
            apply='eval "`envgen assume hooked`"',
            user_hook="alias precmd 'setenv USER_HOOK ran'",
            show="echo {label}=${variable}",
            forget_window="unsetenv ENVGEN_REFRESH_BEFORE",
            touch="echo > {path}",
            idle=("set x = 1", "@ y = 2"),
            make_due="setenv ENVGEN_CHECK_AT 1",
            clock=frozenset({"date +%s"}),
            failure=r"[Uu]ndefined|[Ss]yntax|Faulty|rror|[Bb]adly",
        ),
    )
}

CASES = [
    pytest.param(shell, id=name, marks=pytest.mark.shell(name))
    for name, shell in HOOK_SHELLS.items()
]


def _terminal_env(sts_env: dict[str, str], **extra: str) -> dict[str, str]:
    Path(sts_env["AWS_CONFIG_FILE"]).write_text(ROLE_CONFIG)
    home = Path(sts_env["HOME"])
    (home / ".config" / "nushell").mkdir(parents=True, exist_ok=True)
    return {**sts_env, "TERM": "xterm", **extra}


def _run(session: TerminalSession, *lines: str) -> None:
    for line in lines:
        session.type(line)
        session.wait_until_idle()


@pytest.mark.parametrize("shell", CASES)
def test_inside_the_window_the_hook_renews_before_the_next_prompt(
    shell: HookShell, sts_env: dict[str, str], sts: StsServer, tmp_path: Path
) -> None:
    require_program(shell.program)
    env = _terminal_env(sts_env, ENVGEN_REFRESH_BEFORE=WHOLE_LIFETIME_WINDOW)
    with TerminalSession.start(shell.argv, env=env, cwd=tmp_path) as session:
        session.wait_until_idle()
        _run(session, *shell.prelude, shell.user_hook, shell.install)
        key = "AWS_ACCESS_KEY_ID"
        # On one line, so the first keys are shown before the hook's next check.
        session.type(f"{shell.apply}; {shell.show.format(label='FIRST', variable=key)}")
        first = session.read_until(r"FIRST=(ASIA[A-Z0-9]+)\n").group(1)
        session.wait_until_idle()
        session.type(f"{shell.forget_window}; {shell.show.format(label='NOW', variable=key)}")
        renewed = session.read_until(r"NOW=(ASIA[A-Z0-9]+)\n").group(1)
        session.wait_until_idle()
        # The user's own hook still runs beside envgen's.
        session.type(shell.show.format(label="USER", variable="USER_HOOK"))
        session.read_until(r"USER=ran\n")
        session.wait_until_idle()
        screen = session.screen
    assert renewed != first, screen
    # One AssumeRole for `assume`, one for the renewal: no other request, no second renewal.
    assert sts.log.counts() == {"AssumeRole": 2}, screen
    assert re.search(shell.failure, screen) is None, screen


FORKS = ("clone", "clone3", "fork", "vfork")


def _wait_for(path: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.1)


def _started_between(log: str, first_mark: str, second_mark: str) -> list[str]:
    """What strace saw start between the two marks: for each program run, its argv as strace
    shows it; for each new process (a fork, not a thread), the call that made it."""
    begin = log.index(first_mark)
    end = log.index(second_mark, begin)
    started = []
    for line in log[begin:end].splitlines():
        call = re.match(r"\d+ +(execve|clone3?|v?fork)\((.*)", line)
        if call is not None and call.group(2).endswith("ENOENT (No such file or directory)"):
            continue  # a PATH search
        if call is None:
            continue
        name, arguments = call.groups()
        if name == "execve":
            # argv as strace shows it, the program by its name (elvish runs it by its path).
            listed = arguments[arguments.index("[") : arguments.index("]")]
            argv = re.findall(r'"((?:[^"\\]|\\.)*)"', listed)
            started.append(" ".join([Path(argv[0]).name, *argv[1:]]))
        elif "CLONE_THREAD" not in arguments:
            started.append(name)
    return started


@pytest.mark.parametrize("shell", CASES)
def test_with_fresh_credentials_the_hook_starts_nothing_but_a_clock(
    shell: HookShell, sts_env: dict[str, str], sts: StsServer, tmp_path: Path
) -> None:
    require_program(shell.program)
    strace = require_program("strace")
    env = _terminal_env(sts_env)
    log = tmp_path / "strace.log"
    marks = [tmp_path / f"mark-{number}" for number in range(3)]
    argv = (
        strace,
        "-f",
        "-qq",
        "-v",
        "-s",
        "4096",
        "-e",
        "signal=none",
        "-e",
        "trace=execve,fork,vfork,clone,clone3,open,openat,creat",
        "-o",
        str(log),
        *shell.argv,
    )
    with TerminalSession.start(argv, env=env, cwd=tmp_path) as session:
        session.wait_until_idle()
        _run(session, *shell.prelude, shell.install)
        session.type(shell.apply)
        session.read_until(r"envgen: credentials for .* expire in")
        session.wait_until_idle()
        _run(session, shell.touch.format(path=str(marks[0])), *shell.idle, "")
        _run(session, *shell.idle, shell.touch.format(path=str(marks[1])))
        # Once the clock passes ENVGEN_CHECK_AT, the same hook runs envgen, which finds
        # the credentials fresh and only moves the check on.
        _run(session, shell.make_due, shell.touch.format(path=str(marks[2])))
        screen = session.screen
        # strace writes its log through a buffer: it must end by itself, not be killed.
        _wait_for(marks[2])
        session.type("exit")
        session.process.wait(timeout=60)
    trace = log.read_text()
    fresh = _started_between(trace, str(marks[0]), str(marks[1]))
    programs = [started for started in fresh if started not in FORKS]
    # Before each prompt the check starts at most the clock, and never envgen.
    assert all(program in shell.clock for program in programs), fresh
    if not shell.clock:
        assert fresh == [], fresh
    due = _started_between(trace, str(marks[1]), str(marks[2]))
    assert any("refresh --hook" in started for started in due), due
    assert sts.log.counts() == {"AssumeRole": 1}, screen


# --- PowerShell, which cannot run here: its hook parsed as PowerShell parses it --------------

# A path with every kind of character PowerShell's quoting must keep: spaces, both single
# quotes PowerShell knows (ASCII and U+2019), `$`, a backtick and non-ASCII text.
ODD_ENVGEN = ["C:\\Users\\Zoë O'Neil\u2019s $HOME `x\\Scripts\\envgen.exe"]


def _statements(line: str) -> list[str]:
    root = PARSER.parse(line.encode("utf-8")).root_node
    return [
        child.type
        for statements in root.named_children
        for child in statements.named_children
        if child.type != "empty_statement"
    ]


def _refresh_call(hook: str) -> re.Match[str]:
    call = re.search(r"& (\(.*?\)) refresh --hook --shell (\w+) \| Invoke-Expression", hook)
    assert call is not None, hook
    return call


@pytest.mark.parametrize("name", ["powershell", "pwsh"])
def test_the_powershell_hook_is_one_statement_per_line(name: str) -> None:
    hook = SHELLS[name].render_hook(ODD_ENVGEN)
    assert hook.isascii()
    # `| Invoke-Expression` runs each line alone; the joined form (Invoke-Expression of the
    # lines as one string) must parse too.
    for line in hook.splitlines():
        assert syntax_problems(line) == [], line
        assert len(_statements(line)) == 1, line
        assert line.endswith(";"), line
    assert syntax_problems(" ".join(hook.splitlines())) == []
    call = _refresh_call(hook)
    assert call.group(2) == name
    # The parenthesised word is envgen's path, exactly.
    assert evaluate(f"$env:ENVGEN_PATH = {call.group(1)[1:-1]}")["ENVGEN_PATH"] == ODD_ENVGEN[0]


@pytest.mark.parametrize("name", ["powershell", "pwsh"])
def test_the_powershell_hook_reads_the_clock_and_keeps_the_users_prompt(name: str) -> None:
    hook = SHELLS[name].render_hook(ODD_ENVGEN)
    prompt = next(line for line in hook.splitlines() if line.startswith("function global:prompt"))
    # The time comes from .NET, not from a process; the record is checked to be plain digits
    # before it is a number.
    assert "[DateTimeOffset]::UtcNow.ToUnixTimeSeconds()" in prompt
    check = prompt.index("-match '^[0-9]{1,18}\\z'")
    assert check < prompt.index("[long]$envgenCheckAt")
    # $? and $LASTEXITCODE are taken before anything runs, and given back before the user's
    # prompt, which is called in either branch (an `if` in between would reset $?).
    assert prompt.index("$envgenSucceeded = $?") < check
    assert prompt.index("$envgenExitCode = $global:LASTEXITCODE") < check
    assert prompt.rindex("$global:LASTEXITCODE = $envgenExitCode") > _refresh_call(prompt).end()
    assert prompt.endswith(
        "if ($envgenSucceeded) { & $global:EnvgenPromptBeforeHook } else "
        "{ Write-Error '' -ErrorAction Ignore; & $global:EnvgenPromptBeforeHook } };"
    )
    # The user's prompt is taken once: evaluating the snippet again does not wrap the wrapper.
    assert hook.splitlines()[0] == (
        "if ($null -eq $global:EnvgenPromptBeforeHook) "
        "{ $global:EnvgenPromptBeforeHook = $function:prompt };"
    )


# What the hook does when PowerShell shows its prompt, run where PowerShell is installed
# (Windows and macOS CI): the script calls the prompt function as the host does.
POWERSHELL_PROMPTS = """\
function global:prompt {{ "USER-PROMPT exit=$LASTEXITCODE ok=$? " }}
envgen hook {name} | Invoke-Expression
envgen assume hooked | Invoke-Expression
"FIRST=$env:AWS_ACCESS_KEY_ID"
& {python} -c 'import sys; sys.exit(3)'
prompt
"NOW=$env:AWS_ACCESS_KEY_ID"
"EXIT=$LASTEXITCODE"
"""


@pytest.mark.parametrize("name", ["pwsh", "powershell"])
def test_the_powershell_hook_renews_when_the_prompt_is_shown(
    name: str, sts_env: dict[str, str], sts: StsServer, tmp_path: Path
) -> None:
    program = require_program(name)
    env = _terminal_env(sts_env, ENVGEN_REFRESH_BEFORE=WHOLE_LIFETIME_WINDOW)
    script = tmp_path / "prompts.ps1"
    python = SHELLS[name].quote(sys.executable)
    script.write_text(POWERSHELL_PROMPTS.format(name=name, python=python), encoding="utf-8")
    done = subprocess.run(
        [program, "-NoProfile", "-NonInteractive", "-File", str(script)],
        capture_output=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    shown = done.stdout.decode()
    assert done.returncode == 0, (shown, done.stderr.decode())
    first = re.search(r"^FIRST=(ASIA[A-Z0-9]+)$", shown, re.MULTILINE)
    renewed = re.search(r"^NOW=(ASIA[A-Z0-9]+)$", shown, re.MULTILINE)
    assert first is not None and renewed is not None, shown
    assert renewed.group(1) != first.group(1)
    assert sts.log.counts() == {"AssumeRole": 2}, shown
    # The user's prompt ran after the check, seeing what the last command left.
    assert "USER-PROMPT exit=3 ok=False" in shown
    assert re.search(r"^EXIT=3$", shown, re.MULTILINE), shown
