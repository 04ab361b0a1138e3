"""Shell completion through typer's own mechanism: `envgen assume <TAB>` offers the AWS profiles.

The protocol tests drive the environment variables typer's completion scripts set
(bash, zsh, fish, PowerShell); the shell tests load the script the way a user does
(`--show-completion`, `--install-completion`) in real bash, zsh and fish.
"""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

import pytest

from conftest import ENVGEN, require_program
from envgen_in_process import invoke_envgen

CONFIG = """\
[default]
region = eu-west-1
[profile prod]
role_arn = arn:aws:iam::123456789012:role/prod
source_profile = base
[profile "team a"]
region = us-east-1
[sso-session corp]
sso_region = eu-west-1
[services local]
sts =
  endpoint_url = http://localhost
[preview]
cloudfront = true
"""
CREDENTIALS = """\
[base]
aws_access_key_id = AKIAIOSFODNN7EXAMPLE
aws_secret_access_key = not-a-real-secret
[prod]
region = eu-central-1
"""
ALL_PROFILES = ["base", "default", "prod", "team a"]


@pytest.fixture
def profiles_env(clean_env: dict[str, str]) -> dict[str, str]:
    """A user whose profiles live in non-default files named by the AWS variables."""
    home = Path(clean_env["HOME"])
    (home / "elsewhere").mkdir()
    (home / "elsewhere" / "config").write_text(CONFIG)
    (home / "elsewhere" / "credentials").write_text(CREDENTIALS)
    env = dict(clean_env)
    env["AWS_CONFIG_FILE"] = str(home / "elsewhere" / "config")
    env["AWS_SHARED_CREDENTIALS_FILE"] = str(home / "elsewhere" / "credentials")
    return env


def complete(env: dict[str, str], shell: str, words: str, **extra: str) -> str:
    """Ask envgen for completions the way typer's script for `shell` does."""
    protocol = {"_ENVGEN_COMPLETE": f"complete_{shell}", **extra}
    if shell == "bash":
        protocol.update(COMP_WORDS=words, COMP_CWORD=str(len(words.split(" ")) - 1))
    else:
        protocol["_TYPER_COMPLETE_ARGS"] = words
    result = invoke_envgen([], {**env, **protocol})
    assert result.returncode == 0, result.stderr
    assert result.stderr == b""
    return result.stdout.decode()


def test_bash_protocol_offers_every_profile_of_both_files(profiles_env) -> None:
    assert complete(profiles_env, "bash", "envgen assume ").splitlines() == ALL_PROFILES


def test_bash_protocol_filters_by_the_typed_prefix(profiles_env) -> None:
    assert complete(profiles_env, "bash", "envgen assume p").splitlines() == ["prod"]
    assert complete(profiles_env, "bash", "envgen assume nothing-like-it") == "\n"


def test_zsh_protocol(profiles_env) -> None:
    output = complete(profiles_env, "zsh", "envgen assume ")
    assert (
        output.strip()
        == "_arguments '*: :((" + "\n".join(f'"{name}"' for name in ALL_PROFILES) + "))'"
    )


def test_fish_protocol(profiles_env) -> None:
    output = complete(
        profiles_env, "fish", "envgen assume t", _TYPER_COMPLETE_FISH_ACTION="get-args"
    )
    assert output.splitlines() == ["team a"]


def test_powershell_protocol(profiles_env) -> None:
    output = complete(
        profiles_env, "powershell", "envgen assume d", _TYPER_COMPLETE_WORD_TO_COMPLETE="d"
    )
    assert output.splitlines() == ["default::: "]


def test_default_file_locations(clean_env: dict[str, str]) -> None:
    env = {
        k: v
        for k, v in clean_env.items()
        if k not in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE")
    }
    aws = Path(env["HOME"]) / ".aws"
    aws.mkdir()
    (aws / "config").write_text("[profile from-config]\n")
    (aws / "credentials").write_text("[from-credentials]\n")
    assert complete(env, "bash", "envgen assume ").splitlines() == [
        "from-config",
        "from-credentials",
    ]


def test_a_broken_config_file_still_leaves_the_credentials_profiles(profiles_env) -> None:
    Path(profiles_env["AWS_CONFIG_FILE"]).write_text("[profile x]\nno equals sign here\n")
    assert complete(profiles_env, "bash", "envgen assume ").splitlines() == ["base", "prod"]


def test_no_files_no_profiles(clean_env: dict[str, str]) -> None:
    assert complete(clean_env, "bash", "envgen assume ") == "\n"


def test_commands_still_complete(profiles_env) -> None:
    assert complete(profiles_env, "bash", "envgen as").splitlines() == ["assume"]


def run_shell(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, env=env, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL
    )


def test_bash_show_completion_script_completes_profiles(profiles_env) -> None:
    bash = require_program("bash")
    script = (
        'eval "$(envgen --show-completion)"\n'
        'COMP_WORDS=(envgen assume "")\nCOMP_CWORD=2\n_envgen_completion envgen\n'
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    result = run_shell([bash, "-c", script], profiles_env)
    assert result.stdout.splitlines() == ALL_PROFILES, result.stderr


def test_bash_install_completion_reaches_new_interactive_shells(profiles_env) -> None:
    bash = require_program("bash")
    # `; true` keeps bash from exec'ing envgen, so envgen finds bash as its parent.
    installed = run_shell([bash, "-c", "envgen --install-completion; true"], profiles_env)
    assert installed.returncode == 0, installed.stderr
    script = (
        "COMP_WORDS=(envgen assume te)\nCOMP_CWORD=2\n_envgen_completion envgen\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    result = run_shell([bash, "-i", "-c", script], profiles_env)
    assert result.stdout.splitlines() == ["team a"], result.stderr


def test_fish_completes_profiles_after_show_and_after_install(profiles_env) -> None:
    fish = require_program("fish")
    shown = run_shell(
        [fish, "-c", 'envgen --show-completion | source; complete -C "envgen assume "'],
        profiles_env,
    )
    assert shown.stdout.splitlines() == ALL_PROFILES, shown.stderr
    installed = run_shell([fish, "-c", "envgen --install-completion; true"], profiles_env)
    assert installed.returncode == 0, installed.stderr
    assert (Path(profiles_env["HOME"]) / ".config/fish/completions/envgen.fish").is_file()
    result = run_shell([fish, "-c", 'complete -C "envgen assume pr"'], profiles_env)
    assert result.stdout.splitlines() == ["prod"], result.stderr


def test_zsh_install_completion_registers_the_completer(profiles_env) -> None:
    zsh = require_program("zsh")
    installed = run_shell([zsh, "-c", "envgen --install-completion; true"], profiles_env)
    assert installed.returncode == 0, installed.stderr
    # A new interactive zsh reads ~/.zshrc; ask compinit which function completes envgen.
    result = run_shell([zsh, "-i", "-c", 'print -r -- "${_comps[envgen]}"'], profiles_env)
    assert result.stdout.strip() == "_envgen_completion", result.stderr
    result = run_shell([zsh, "-i", "-c", "whence -f _envgen_completion"], profiles_env)
    assert "_ENVGEN_COMPLETE=complete_zsh" in result.stdout, result.stderr


def test_powershell_completion_script(profiles_env) -> None:
    # PowerShell cannot run here: check the script registers envgen's completer with the
    # protocol the tests above exercise.
    env = profiles_env
    for shell in ("powershell", "pwsh"):
        result = subprocess.run(
            [ENVGEN, "completion", "show", "--shell", shell],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert result.returncode == 0, result.stderr
        script = result.stdout
        assert "Register-ArgumentCompleter -Native -CommandName envgen" in script
        assert '$Env:_ENVGEN_COMPLETE = "complete_powershell"' in script
        assert "$Env:_TYPER_COMPLETE_WORD_TO_COMPLETE = $wordToComplete" in script


# A home directory whose name a shell would run if envgen wrote it unquoted.
HOSTILE_HOME = 'o\'brien $(touch PWNED-dollar) `touch PWNED-tick` "q" ;touch PWNED-semi'
INTERACTIVE = {
    "bash": lambda program, script: [program, "-i", "-c", script],
    "zsh": lambda program, script: [program, "-i", "-c", script],
    "fish": lambda program, script: [program, "-i", "-c", script],
}
COMPLETE_TEAM = {
    "bash": "COMP_WORDS=(envgen assume te)\nCOMP_CWORD=2\n_envgen_completion envgen\n"
    'printf "%s\\n" "${COMPREPLY[@]}"\n',
    "zsh": 'print -r -- "${_comps[envgen]}"',
    "fish": 'complete -C "envgen assume te"',
}
EXPECTED_TEAM = {"bash": ["team a"], "zsh": ["_envgen_completion"], "fish": ["team a"]}


def _hostile_env(profiles_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    home = tmp_path / HOSTILE_HOME
    home.mkdir()
    for name in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        moved = home / Path(profiles_env[name]).name
        moved.write_bytes(Path(profiles_env[name]).read_bytes())
        profiles_env = {**profiles_env, name: str(moved)}
    return {**profiles_env, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config")}


def _no_code_ran(tmp_path: Path) -> None:
    assert [p for p in tmp_path.rglob("PWNED*")] == []


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
@pytest.mark.parametrize(
    "how",
    [["--install-completion"], ["completion", "install"]],
    ids=["--install-completion", "completion-install"],
)
def test_install_in_a_home_with_quotes_runs_no_code(
    profiles_env, tmp_path: Path, shell: str, how: list[str]
) -> None:
    program = require_program(shell)
    env = _hostile_env(profiles_env, tmp_path)
    home = Path(env["HOME"])
    # The parent shell is the one detected; `; true` keeps it from exec'ing envgen.
    installed = run_shell(
        [program, "-c", f"{shlex.join(['envgen', *how])}; true"], {**env, "PWD": str(tmp_path)}
    )
    assert installed.returncode == 0, installed.stderr
    result = subprocess.run(
        INTERACTIVE[shell](program, COMPLETE_TEAM[shell]),
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert result.stdout.splitlines() == EXPECTED_TEAM[shell], result.stderr
    _no_code_ran(tmp_path)
    assert [p for p in home.rglob("*") if p.name.endswith((".lock", ".envgen-tmp"))] == []


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_install_twice_then_uninstall_leaves_the_startup_file_as_it_was(
    profiles_env, shell: str
) -> None:
    require_program(shell)
    home = Path(profiles_env["HOME"])
    startup = {
        "bash": home / ".bashrc",
        "zsh": home / ".zshrc",
        "fish": home / ".config" / "fish" / "config.fish",
    }[shell]
    startup.parent.mkdir(parents=True, exist_ok=True)
    (home / ".config").mkdir(exist_ok=True)
    original = b"# mine\nalias ll='ls -l'"  # no newline at the end
    startup.write_bytes(original)
    before = sorted(str(p) for p in home.rglob("*"))
    first = invoke_envgen(["completion", "install", "--shell", shell], profiles_env)
    assert first.returncode == 0 and first.stdout == b"", first.stderr
    installed = {p: p.read_bytes() for p in home.rglob("*") if p.is_file()}
    second = invoke_envgen(["completion", "install", "--shell", shell], profiles_env)
    assert second.returncode == 0, second.stderr
    # Idempotent: the second install changes no byte.
    assert {p: p.read_bytes() for p in home.rglob("*") if p.is_file()} == installed
    if shell != "fish":
        assert startup.read_bytes().count(b"# >>> envgen completion >>>") == 1
    removed = invoke_envgen(["completion", "uninstall", "--shell", shell], profiles_env)
    assert removed.returncode == 0 and removed.stdout == b"", removed.stderr
    assert startup.read_bytes() == original
    assert sorted(str(p) for p in home.rglob("*")) == before


def test_completion_for_a_shell_without_it_is_refused(profiles_env) -> None:
    result = invoke_envgen(["completion", "install", "--shell", "tcsh"], profiles_env)
    assert result.returncode == 2 and result.stdout == b""
    assert result.stderr.count(b"\n") == 1 and b"tcsh" in result.stderr
