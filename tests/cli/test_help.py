"""envgen's help and version: every command's options, how each shell applies the output,
and the module entry point."""

from __future__ import annotations

import platform
import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

import envgen
from conftest import REPOSITORY
from envgen.dialects import SHELLS
from envgen_in_process import invoke_envgen
from envgen_process import (
    assert_failed_cleanly,
    run_envgen,
)

# --- help, version, module entry point ------------------------------------------------------


def test_help_lists_the_commands(clean_env: dict[str, str]) -> None:
    result = invoke_envgen(["--help"], clean_env)
    assert result.returncode == 0
    text = result.stdout.decode()
    assert text.startswith("Usage: envgen")
    assert "import" in text and "clear" in text


def test_import_help_names_every_shell_and_the_idioms(clean_env: dict[str, str]) -> None:
    result = invoke_envgen(["import", "-h"], clean_env)
    assert result.returncode == 0
    text = " ".join(result.stdout.decode().split())
    for name in SHELLS:
        assert name in text
    assert 'eval "$(envgen import creds.json)"' in text
    assert "envgen import creds.json | source" in text


def test_version_names_envgen_python_and_botocore(clean_env: dict[str, str]) -> None:
    result = invoke_envgen(["--version"], clean_env)
    expected = f"envgen {envgen.__version__} (Python {platform.python_version()}, botocore {version('botocore')})\n"
    assert (result.returncode, result.stdout, result.stderr) == (0, expected.encode(), b"")


def test_python_dash_m_envgen_runs_the_same_cli(
    creds_file: Path, clean_env: dict[str, str]
) -> None:
    module = subprocess.run(
        [sys.executable, "-m", "envgen", "import", str(creds_file), "--shell", "fish"],
        capture_output=True,
        env=clean_env,
        timeout=60,
    )
    script = run_envgen(["import", str(creds_file), "--shell", "fish"], clean_env)
    assert module.returncode == 0, module.stderr
    assert module.stdout == script.stdout
    assert module.stdout.startswith(b"set -gx -- AWS_ACCESS_KEY_ID ")
    failing = subprocess.run(
        [sys.executable, "-m", "envgen", "imprt"], capture_output=True, env=clean_env, timeout=60
    )
    assert_failed_cleanly(failing)


@pytest.mark.parametrize(
    ("command", "example"),
    [
        ("import", "import creds.json"),
        ("clear", "clear"),
        ("assume", "assume PROFILE"),
        ("saml", "saml --saml-assertion file://saml.b64"),
        ("web-identity", "web-identity --role-arn ARN --web-identity-token file://token"),
    ],
)
def test_help_shows_how_every_shell_applies_the_output(
    command: str, example: str, clean_env: dict[str, str]
) -> None:
    result = invoke_envgen([command, "--help"], clean_env)
    assert result.returncode == 0
    help_text = result.stdout.decode()
    for name, dialect in SHELLS.items():
        idiom = dialect.apply_hint(f"envgen {example}")
        line = next((line for line in help_text.splitlines() if line.endswith(idiom)), None)
        assert line is not None, f"{name}: {idiom}"
        assert name in line.split(":")[0].strip().split(", ")


@pytest.mark.parametrize(
    ("command", "example"),
    [("import", "import creds.json"), ("assume", "assume PROFILE"), ("clear", "clear")],
)
def test_help_shows_every_shell_a_form_that_stops_a_script_when_envgen_fails(
    command: str, example: str, clean_env: dict[str, str]
) -> None:
    result = invoke_envgen([command, "--help"], clean_env)
    assert result.returncode == 0
    help_text = result.stdout.decode()
    script_part = help_text[help_text.index("In a script, a form that stops it") :]
    for name, dialect in SHELLS.items():
        idiom = dialect.script_hint(f"envgen {example}")
        line = next((line for line in script_part.splitlines() if line.endswith(idiom)), None)
        assert line is not None, f"{name}: {idiom}"
        assert name in line.split(":")[0].strip().split(", ")


# --- help text ------------------------------------------------------------------------------

COMMANDS = ["import", "clear", "assume", "saml", "web-identity", "whoami", "exec"]


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_help_shows_no_type_labels_or_doubled_brackets(
    command: str, clean_env: dict[str, str]
) -> None:
    result = invoke_envgen([command, "--help"] if command else ["--help"], clean_env)
    assert result.returncode == 0
    text = result.stdout.decode()
    assert "[[" not in text and "]]" not in text
    assert not re.search(r"<(str|int|bool|list\[str\]|float)>", text), text


def test_help_usage_lines_read_as_written(clean_env: dict[str, str]) -> None:
    usage = {
        command: invoke_envgen([command, "--help"], clean_env).stdout.decode().splitlines()[0]
        for command in ("import", "assume", "exec")
    }
    assert usage == {
        "import": "Usage: envgen import [OPTIONS] [SOURCE]",
        "assume": "Usage: envgen assume [OPTIONS] [PROFILE]",
        "exec": "Usage: envgen exec [OPTIONS] [PROFILE] -- CMD [ARGS]...",
    }


def option_help(command: str, option: str, env: dict[str, str]) -> str:
    """The help of one option, its wrapped lines joined."""
    lines = invoke_envgen([command, "--help"], env).stdout.decode().splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith(option + " "))
    text = [lines[start].strip()]
    for line in lines[start + 1 :]:
        if not line.startswith(" " * 8) or line.strip().startswith("-"):
            break
        text.append(line.strip())
    return " ".join(text)


def test_whoami_region_help_says_where_it_asks_not_what_it_exports(
    clean_env: dict[str, str],
) -> None:
    text = option_help("whoami", "--region", clean_env)
    assert "export" not in text.lower()
    assert "Region of the STS endpoint to ask" in text


def test_web_identity_help_speaks_of_neither_profiles_nor_the_cache(
    clean_env: dict[str, str],
) -> None:
    text = invoke_envgen(["web-identity", "--help"], clean_env).stdout.decode()
    options = text.split("Options:")[1].split("Apply the output")[0]
    assert "profile's" not in options and "cache" not in options, options
    assert "duration_seconds" not in options and "role_session_name" not in options


@pytest.mark.parametrize(
    ("command", "option"),
    [
        ("web-identity", "--web-identity-token"),
        ("web-identity", "--role-arn"),
        ("saml", "--saml-assertion"),
    ],
)
def test_required_options_are_marked(command: str, option: str, clean_env: dict[str, str]) -> None:
    assert option_help(command, option, clean_env).endswith("[required]")


def test_web_identity_without_role_arn_names_the_missing_option(clean_env: dict[str, str]) -> None:
    message = assert_failed_cleanly(
        invoke_envgen(["web-identity", "--web-identity-token", "x"], clean_env)
    )
    assert message == "Missing option '--role-arn'. (see envgen web-identity --help)"


@pytest.mark.parametrize(
    ("program", "options"),
    [("bash", ["-c"]), ("fish", ["--no-config", "-c"]), ("tcsh", ["-f", "-c"])],
)
def test_top_level_help_shows_the_idiom_of_the_shell_it_is_asked_from(
    program: str, options: list[str], clean_env: dict[str, str]
) -> None:
    from conftest import require_program

    path = require_program(program)
    # Not the shell's last command, so it does not replace itself with envgen.
    result = subprocess.run(
        [path, *options, "envgen --help; echo done"],
        capture_output=True,
        env=clean_env,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    dialect = SHELLS[program]
    text = result.stdout.decode()
    assert f"Apply the output in {program} (detected; --shell NAME writes for another):" in text
    assert f"    {dialect.apply_hint('envgen assume PROFILE')}\n" in text
    others = {d.apply_hint("envgen assume PROFILE") for d in SHELLS.values()} - {
        dialect.apply_hint("envgen assume PROFILE")
    }
    assert not any(idiom in text for idiom in others)


@pytest.mark.parametrize(
    "command",
    ["", *COMMANDS, "completion install", "completion uninstall", "completion show"],
)
def test_help_documents_quiet_verbose_and_debug(command: str, clean_env: dict[str, str]) -> None:
    text = invoke_envgen([*command.split(), "--help"], clean_env).stdout.decode()
    assert "-q, --quiet" in text and "-v, --verbose" in text
    if not command:
        assert "ENVGEN_DEBUG=1" in text and "traceback" in text
        assert "ENVGEN_SHELL" in text


@pytest.mark.parametrize(
    ("command", "option"),
    [("saml", "--saml-assertion"), ("web-identity", "--web-identity-token")],
)
def test_help_warns_that_a_literal_assertion_or_token_is_seen_by_others(
    command: str, option: str, clean_env: dict[str, str]
) -> None:
    text = option_help(command, option, clean_env)
    assert "visible to other local users" in text and "shell history" in text


def test_top_level_help_lists_each_command_in_full(clean_env: dict[str, str]) -> None:
    text = invoke_envgen(["--help"], clean_env).stdout.decode()
    listed = text.split("Commands:\n")[1].split("\n\n")[0].splitlines()
    assert set(COMMANDS) <= {line.split()[0] for line in listed}
    assert not any(line.endswith("...") for line in listed), listed


def test_the_readme_shows_every_shell_s_script_form_as_the_registry_has_it() -> None:
    readme = (REPOSITORY / "README.md").read_text(encoding="utf-8")
    start = readme.index("### In scripts")
    section = readme[start : readme.index("\n## ", start)]
    for name, dialect in SHELLS.items():
        # Inside a Markdown table a `|` is written `\|`.
        form = dialect.script_hint("envgen assume prod").replace("|", "\\|")
        assert form in section, f"{name}: {form}"


def test_only_envgens_own_help_ends_with_the_idiom(clean_env: dict[str, str]) -> None:
    text = invoke_envgen(["completion", "--help"], clean_env).stdout.decode()
    assert "Apply the output" not in text
    assert text.rstrip().endswith(
        "show       Print the completion script, to load or install it yourself."
    )
