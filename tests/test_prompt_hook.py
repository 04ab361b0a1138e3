"""`envgen hook SHELL` in the real shells, interactive at a pseudo-terminal: before each prompt it
renews credentials inside the refresh window from the same source (moto's STS, the fake IAM
Identity Center, over HTTP), warns once when renewal needs a person, unsets expired
credentials, leaves the user's own keys alone, and starts no process while they are fresh."""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from conftest import require_program
from envgen.cli import envgen_command
from envgen.credentials import format_expiration
from envgen_in_process import invoke_envgen
from hostile_endpoints import HostileEndpoint, forwarding_late, trickling
from pty_session import TerminalSession
from renewal_ahead import age_cache_entries, cache_entries, has_proc, renewals_ahead, wait_for
from sso_server import SsoServer, signed_in_as_the_aws_cli
from sts_server import StsServer, role_arn

HOOK_SHELLS = ["bash", "zsh", "fish"]

ROLE_PROFILE = f"""\
[default]
region = eu-west-1

[profile dev]
role_arn = {role_arn("Dev")}
source_profile = default
"""

# What each shell needs to apply envgen's output at its prompt, and to show a variable.
APPLY = {
    "bash": 'eval "$({command})"',
    "zsh": 'eval "$({command})"',
    "fish": "{command} | source",
}
SHOW = {
    "bash": 'echo "{label}=[${name}]"',
    "zsh": 'echo "{label}=[${name}]"',
    "fish": 'echo "{label}=[${name}]"',
}
# A command that fails, then one that shows the status the prompt hook left.
SHOW_STATUS = {"bash": "echo status=$?", "zsh": "echo status=$?", "fish": "echo status=$status"}
# Something of the user's own that runs before each prompt too, and the status it sees.
OWN_PROMPT_HOOK = {
    "bash": "PROMPT_COMMAND='echo \"own-hook-saw-$?\"'",
    "zsh": 'own_precmd() { echo "own-hook-saw-$?"; }; precmd_functions+=(own_precmd)',
    "fish": 'function own_hook --on-event fish_prompt; echo "own-hook-saw-$status"; end',
}


def startup_files(shell: str, env: dict[str, str], tmp_path: Path, hook_line: str) -> list[str]:
    """Write the shell's startup file (the user's own prompt hook, then envgen's line); the argv
    of an interactive shell that reads it and nothing else."""
    lines = f"{OWN_PROMPT_HOOK[shell]}\n{hook_line}\n"
    program = require_program(shell)
    if shell == "bash":
        rc = tmp_path / "bashrc"
        rc.write_text("PS1='$ '\n" + lines)
        return [program, "--noprofile", "--rcfile", str(rc), "-i"]
    if shell == "zsh":
        zdotdir = tmp_path / "zdotdir"
        zdotdir.mkdir()
        (zdotdir / ".zshrc").write_text("PS1='$ '\n" + lines)
        env["ZDOTDIR"] = str(zdotdir)
        return [program, "-i"]
    config = Path(env["XDG_CONFIG_HOME"]) / "fish"
    config.mkdir(parents=True, exist_ok=True)
    (config / "config.fish").write_text("function fish_prompt; echo '$ '; end\n" + lines)
    return [program, "-i"]


def hook_line(shell: str) -> str:
    return APPLY[shell].format(command=f"envgen hook {shell}")


@contextmanager
def interactive(shell: str, env: dict[str, str], tmp_path: Path) -> Iterator[TerminalSession]:
    require_program(shell)
    env = {**env, "TERM": "xterm-256color"}
    argv = startup_files(shell, env, tmp_path, hook_line(shell))
    with TerminalSession.start(argv, env=env, cwd=tmp_path) as session:
        session.wait_until_idle()
        yield session


def shown(session: TerminalSession, shell: str, name: str, label: str) -> str:
    session.type(SHOW[shell].format(name=name, label=label))
    # Not the typed command's echo, which holds a `$`.
    return session.read_until(rf"{label}=\[([^\]\n$]*)\]").group(1)


def document(tmp_path: Path, seconds: float, key: str = "ASIAIMPORTEDKEY00001") -> Path:
    path = tmp_path / "creds.json"
    expiration = datetime.now(timezone.utc) + timedelta(seconds=seconds)
    path.write_text(
        json.dumps(
            {
                "AccessKeyId": key,
                "SecretAccessKey": "imported-secret",
                "SessionToken": "imported-token",
                "Expiration": format_expiration(expiration),
            }
        )
    )
    return path


@pytest.mark.parametrize("shell", HOOK_SHELLS)
def test_the_hook_renews_a_role_inside_the_window_with_one_request(
    shell: str, sts_env: dict[str, str], sts: StsServer, tmp_path: Path
) -> None:
    Path(sts_env["AWS_CONFIG_FILE"]).write_text(ROLE_PROFILE)
    # A window longer than the role's hour: the first prompt after assume is inside it.
    env = {**sts_env, "ENVGEN_REFRESH_BEFORE": "7200"}
    with interactive(shell, env, tmp_path) as session:
        separator = "; " if shell != "fish" else "; and "
        session.type(APPLY[shell].format(command="envgen assume dev") + separator + "false")
        session.read_until(r"envgen: renewed the credentials for .*Dev.*\n")
        session.wait_until_idle()
        # The user's own hook ran too (before envgen's in fish, after it elsewhere), and both
        # kept the failed command's status.
        assert (
            "own-hook-saw-1" in session.screen.split("| source; and false")[-1].split("false\n")[-1]
        )
        session.type(SHOW_STATUS[shell])
        session.read_until("status=1")
        assert sts.log.counts()["AssumeRole"] == 2  # assume, then one renewal
        renewed = shown(session, shell, "AWS_ACCESS_KEY_ID", "renewed")
        assert renewed.startswith("ASIA")
        # The renewed keys are the ones envgen recorded, and no prompt within the minute
        # renews again.
        for _ in range(3):
            session.type("true")
        assert shown(session, shell, "AWS_ACCESS_KEY_ID", "later") == renewed
        assert sts.log.counts()["AssumeRole"] == 2
        check_at = int(shown(session, shell, "ENVGEN_CHECK_AT", "check"))
        assert check_at >= time.time() + 30
    assert "rror" not in session.screen, session.screen


def fetched_half_an_hour_ago(env: dict[str, str]) -> str:
    """The role of profile dev in the AWS CLI cache, as an hour's credentials fetched half an
    hour ago (one AssumeRole); the access key id the cache holds."""
    Path(env["AWS_CONFIG_FILE"]).write_text(ROLE_PROFILE)
    assert invoke_envgen(["assume", "dev", "--format", "json"], env).returncode == 0
    age_cache_entries(env, 1800)
    [entry] = cache_entries(env).values()
    return str(entry["Credentials"]["AccessKeyId"])


def fetched_key(env: dict[str, str]) -> str:
    [entry] = cache_entries(env).values()
    return str(entry["Credentials"]["AccessKeyId"])


def after_assume(screen: str) -> str:
    """The screen after the line `envgen assume dev` says."""
    return screen.split("(profile dev) expire in", 1)[1].split("\n", 1)[1]


# In the shell: the refresh window moved over the credentials' remaining half hour, the check
# due now, as if the clock had reached the window.
INTO_THE_WINDOW = {
    "bash": "export ENVGEN_REFRESH_BEFORE=3000 ENVGEN_CHECK_AT=0",
    "zsh": "export ENVGEN_REFRESH_BEFORE=3000 ENVGEN_CHECK_AT=0",
    "fish": "set -gx ENVGEN_REFRESH_BEFORE 3000; set -gx ENVGEN_CHECK_AT 0",
}

needs_proc = pytest.mark.skipif(not has_proc(), reason="finds processes in /proc")


@needs_proc
@pytest.mark.parametrize("shell", HOOK_SHELLS)
def test_the_hook_renews_ahead_in_the_background_and_the_window_renews_from_the_cache(
    shell: str, sts_env: dict[str, str], sts: StsServer, tmp_path: Path
) -> None:
    old_key = fetched_half_an_hour_ago(sts_env)
    # Half an hour left: past the window of 1600 s and the lead before it.
    env = {**sts_env, "ENVGEN_REFRESH_BEFORE": "1600"}
    with interactive(shell, env, tmp_path) as session:
        session.type(APPLY[shell].format(command="envgen assume dev"))
        # The prompt after it starts the renewal ahead: one request, off the prompt.
        wait_for(lambda: sts.log.counts()["AssumeRole"] == 2, 30, "renewed ahead")
        wait_for(lambda: not renewals_ahead(env["HOME"]), 30, "ended")
        assert fetched_key(env) != old_key
        session.wait_until_idle()
        assert "envgen:" not in after_assume(session.screen), session.screen
        assert shown(session, shell, "AWS_ACCESS_KEY_ID", "kept") == old_key
        expires = int(shown(session, shell, "ENVGEN_EXPIRATION", "expires"))
        assert int(shown(session, shell, "ENVGEN_CHECK_AT", "check")) == expires - 1600
        # At the window, the renewal is a cache hit: the keys fetched ahead, no request.
        session.type(INTO_THE_WINDOW[shell])
        session.read_until(r"envgen: renewed the credentials for .*Dev.*\n")
        assert shown(session, shell, "AWS_ACCESS_KEY_ID", "renewed") == fetched_key(env)
        assert sts.log.counts()["AssumeRole"] == 2
    assert sts.log.counts()["AssumeRole"] == 2
    assert "rror" not in session.screen, session.screen


@needs_proc
def test_a_slow_endpoint_ahead_holds_no_prompt_shows_nothing_and_the_window_renews(
    sts_env: dict[str, str], sts: StsServer, tmp_path: Path
) -> None:
    old_key = fetched_half_an_hour_ago(sts_env)
    with HostileEndpoint(trickling(1.0)) as slow:
        env = {**sts_env, "ENVGEN_REFRESH_BEFORE": "1600", "AWS_ENDPOINT_URL_STS": slow.url}
        with interactive("bash", env, tmp_path) as session:
            session.type(APPLY["bash"].format(command="envgen assume dev") + "; echo applied")
            session.read_until(r"\napplied\r?\n")
            started = time.monotonic()
            # The prompt after `applied` started the renewal ahead, which the endpoint holds
            # until envgen's deadline: the shell does not wait for it.
            session.type("echo next-$((40 + 2))")
            session.read_until("next-42")
            assert time.monotonic() - started < 5
            wait_for(lambda: slow.requests >= 1, 30, "asked")
            wait_for(lambda: not renewals_ahead(env["HOME"]), 30, "ended at its deadline")
            session.wait_until_idle()
            # What it had to say (an error) went nowhere near the terminal.
            assert "envgen:" not in after_assume(session.screen), session.screen
            assert shown(session, "bash", "AWS_ACCESS_KEY_ID", "kept") == old_key
            # At the window, renewed at the prompt as if nothing had been tried ahead.
            session.type(f"export AWS_ENDPOINT_URL_STS={sts.url}; {INTO_THE_WINDOW['bash']}")
            session.read_until(r"envgen: renewed the credentials for .*Dev.*\n")
            assert sts.log.counts()["AssumeRole"] == 2
            assert shown(session, "bash", "AWS_ACCESS_KEY_ID", "renewed") == fetched_key(env)
    assert "rror" not in session.screen, session.screen


@needs_proc
def test_the_renewal_ahead_outlives_the_shell_harmlessly(
    sts_env: dict[str, str], sts: StsServer, tmp_path: Path
) -> None:
    old_key = fetched_half_an_hour_ago(sts_env)
    with HostileEndpoint(forwarding_late(sts.url, 3.0)) as late:
        env = {**sts_env, "ENVGEN_REFRESH_BEFORE": "1600", "AWS_ENDPOINT_URL_STS": late.url}
        with interactive("bash", env, tmp_path) as session:
            session.type(APPLY["bash"].format(command="envgen assume dev"))
            session.read_until(r"\(profile dev\) expire in .*\n")
            wait_for(lambda: late.requests == 1, 30, "asked")
            session.type("exit")
            assert session.process.wait(10) == 0
        # The shell is gone, its terminal closed; the renewal it started goes on.
        assert renewals_ahead(env["HOME"])
        wait_for(lambda: not renewals_ahead(env["HOME"]), 30, "ended")
    assert sts.log.counts()["AssumeRole"] == 2
    assert fetched_key(env) != old_key


@pytest.mark.parametrize("shell", HOOK_SHELLS)
def test_imported_keys_are_warned_about_once_then_unset_at_expiry(
    shell: str, clean_env: dict[str, str], tmp_path: Path
) -> None:
    with interactive(shell, clean_env, tmp_path) as session:
        # Inside the default window of 5 minutes from the start.
        creds = document(tmp_path, seconds=15)
        expires = time.time() + 15
        session.type(APPLY[shell].format(command=f"envgen import {creds}"))
        warning = session.read_until(r"envgen: the credentials in this shell expire in .*\n")
        assert "renew them with: envgen import ..." in warning.group(0)
        for _ in range(2):
            session.type("true")
        assert shown(session, shell, "AWS_ACCESS_KEY_ID", "kept") == "ASIAIMPORTEDKEY00001"
        time.sleep(max(0, expires - time.time()) + 1.5)
        session.type("true")
        session.read_until(r"envgen: the credentials in this shell expired at .* and are unset")
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SESSION_TOKEN", "ENVGEN_SOURCE", "ENVGEN_CHECK_AT"):
            assert shown(session, shell, name, f"after-{name}") == ""
        session.type("true")
        session.wait_until_idle()
    assert len(re.findall("renew them with", session.screen)) == 1, session.screen
    assert len(re.findall("are unset", session.screen)) == 1, session.screen


@pytest.mark.parametrize("shell", HOOK_SHELLS)
def test_keys_the_user_set_since_are_left_alone(
    shell: str, clean_env: dict[str, str], tmp_path: Path
) -> None:
    own = {
        "bash": "export AWS_ACCESS_KEY_ID=AKIAMYOWNKEY",
        "zsh": "export AWS_ACCESS_KEY_ID=AKIAMYOWNKEY",
        "fish": "set -gx AWS_ACCESS_KEY_ID AKIAMYOWNKEY",
    }
    with interactive(shell, clean_env, tmp_path) as session:
        creds = document(tmp_path, seconds=15)
        expires = time.time() + 15
        session.type(APPLY[shell].format(command=f"envgen import {creds}"))
        session.read_until(r"envgen: the credentials in this shell expire in .*\n")
        session.type(own[shell])
        session.wait_until_idle()
        time.sleep(max(0, expires - time.time()) + 1.5)
        session.type("true")
        session.wait_until_idle()
        assert shown(session, shell, "AWS_ACCESS_KEY_ID", "own") == "AKIAMYOWNKEY"
        assert shown(session, shell, "AWS_SESSION_TOKEN", "token") == "imported-token"
        assert shown(session, shell, "ENVGEN_SOURCE", "record") == ""
    assert "are unset" not in session.screen


@pytest.mark.parametrize("shell", HOOK_SHELLS)
def test_the_hook_renews_from_iam_identity_center(
    shell: str, sso_env: dict[str, str], sso_server: SsoServer, tmp_path: Path
) -> None:
    signed_in_as_the_aws_cli(sso_env, sso_server)
    env = {**sso_env, "ENVGEN_REFRESH_BEFORE": "86400"}
    with interactive(shell, env, tmp_path) as session:
        session.type(APPLY[shell].format(command="envgen assume dev"))
        session.read_until(r"envgen: renewed the credentials for role .*\n")
        renewed = shown(session, shell, "AWS_ACCESS_KEY_ID", "renewed")
    issued = [credentials["accessKeyId"] for credentials in sso_server.issued]
    assert len(issued) == 2 and renewed == issued[1]


RECORDER = """\
#!/bin/sh
echo "{name} $*" >> {log}
exec {real} "$@"
"""


@pytest.mark.parametrize(
    ("shell", "clock"),
    [("bash", "EPOCHSECONDS"), ("bash", "printf"), ("zsh", "EPOCHSECONDS")],
)
def test_with_fresh_credentials_the_hook_starts_no_process(
    shell: str, clock: str, clean_env: dict[str, str], tmp_path: Path
) -> None:
    require_program(shell)
    log = tmp_path / "started.log"
    recording = tmp_path / "recording-bin"
    recording.mkdir()
    # The only programs on PATH record that they ran; envgen, which the hook runs by its
    # absolute path, is a recording script named envgen too.
    for name in ("date", "envgen"):
        real = require_program(name) if name == "date" else " ".join(envgen_command(None))
        script = recording / name
        script.write_text(RECORDER.format(name=name, log=log, real=real))
        script.chmod(0o755)
    creds = document(tmp_path, seconds=3600)
    env = {**clean_env, "PATH": str(recording), "TERM": "xterm-256color"}
    hook = f'eval "$({recording / "envgen"} hook {shell})"'
    if clock == "printf":
        # bash 4.2 to 4.4 have no EPOCHSECONDS: unset, bash 5's loses its meaning too.
        hook = "unset EPOCHSECONDS\n" + hook
    argv = startup_files(shell, env, tmp_path, hook)
    with TerminalSession.start(argv, env=env, cwd=tmp_path) as session:
        session.wait_until_idle()
        session.type(f'eval "$({recording / "envgen"} import {creds})"')
        session.wait_until_idle()
        log.write_text("")
        for _ in range(5):
            session.type("true")
            session.wait_until_idle(quiet=0.2)
        session.type("echo check=[$ENVGEN_CHECK_AT]")
        session.read_until(r"check=\[\d+\]")
    assert log.read_text() == "", log.read_text()


def test_the_hook_runs_this_envgen_by_its_absolute_path(clean_env: dict[str, str]) -> None:
    from envgen_process import run_envgen

    result = run_envgen(["hook", "bash"], clean_env)
    assert result.returncode == 0, result.stderr
    [called] = {
        line.split("$(")[1].split(")")[0]
        for line in result.stdout.decode().splitlines()
        if "refresh --hook" in line
    }
    program = called.split()[0].strip("'")
    assert Path(program).is_absolute() and Path(program).name == "envgen"
    assert called.endswith("refresh --hook --shell bash")


@pytest.mark.parametrize("shell", ["sh", "dash", "ksh", "csh", "cmd"])
def test_a_shell_without_a_prompt_hook_is_told_what_to_do(
    shell: str, clean_env: dict[str, str]
) -> None:
    from envgen_in_process import invoke_envgen

    result = invoke_envgen(["hook", shell], clean_env)
    assert result.returncode == 2 and result.stdout == b""
    [line] = result.stderr.decode().splitlines()
    assert line.startswith(f"envgen: error: {shell} runs nothing before its prompt")
    assert "envgen refresh" in line


def test_python_dash_m_is_isolated_from_the_working_directory() -> None:
    assert envgen_command(None) == [sys.executable, "-I", "-m", "envgen"]


def test_fish_universal_variables_are_cleared_at_the_first_prompt_after_the_expiry(
    clean_env: dict[str, str], tmp_path: Path
) -> None:
    with interactive("fish", clean_env, tmp_path) as session:
        creds = document(tmp_path, seconds=10)
        expires = time.time() + 10
        session.type(f"envgen import {creds} --persist | source")
        session.read_until(r"keeps .* fish's universal variables")
        session.wait_until_idle()
        session.type("exit")
    time.sleep(max(0, expires - time.time()) + 1)
    # A fish started after the expiry finds the keys in its universal variables.
    (tmp_path / "later").mkdir()
    with interactive("fish", clean_env, tmp_path / "later") as later:
        later.read_until(r"envgen: the credentials in this shell expired at .* and are unset")
        later.type("set -U | string match -q -r '^AWS_|^ENVGEN_'; and echo kept; or echo gone")
        later.read_until(r"\ngone\n")
    assert "kept" not in later.screen.split("echo gone")[-1]
