"""The envgen executable as users meet it: streams, exit codes, usage errors, the terminal rule."""

from __future__ import annotations

import json
import platform
import re
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from importlib.metadata import version
from pathlib import Path

import pytest

import envgen
from conftest import ENVGEN, REPOSITORY
from envgen import cli
from envgen.credentials import MANAGED_VARIABLES, Changes
from envgen.dialects import SHELLS
from envgen.durations import describe_expiry
from envgen_in_process import invoke_envgen
from envgen_process import (
    ACCESS_KEY_ID,
    FUTURE,
    SECRET,
    TOKEN,
    assert_failed_cleanly,
    run_envgen,
    run_on_a_terminal,
    sts_document,
)
from refusals import UTF8_LOCALE

POSIX_LINE = re.compile(r"^(export [A-Z_]+='[^']*';|unset [A-Z_]+;)$")


@pytest.fixture
def creds_file(tmp_path: Path) -> Path:
    path = tmp_path / "creds.json"
    path.write_text(sts_document())
    return path


def stderr_lines(result: subprocess.CompletedProcess[bytes]) -> list[str]:
    return result.stderr.decode().splitlines()


# --- success: stdout is shell code and nothing else -----------------------------------------


def test_stdout_holds_only_shell_code_and_stderr_only_envgen_lines(
    creds_file: Path, clean_env: dict[str, str]
) -> None:
    result = invoke_envgen(["import", str(creds_file), "--shell", "bash"], clean_env)
    assert result.returncode == 0
    lines = result.stdout.decode().splitlines()
    assert len(lines) == len(MANAGED_VARIABLES)
    assert all(POSIX_LINE.match(line) for line in lines), lines
    assert result.stdout.endswith(b"\n") and b"\r" not in result.stdout
    assert all(line.startswith("envgen: ") for line in stderr_lines(result))
    # Not a terminal: nothing about terminals, only when the credentials expire.
    [line] = stderr_lines(result)
    assert line.startswith("envgen: these credentials expire in ")
    assert "days (at 2099-01-31 12:00:00" in line


def test_format_json_prints_the_credential_process_document(
    creds_file: Path, clean_env: dict[str, str]
) -> None:
    result = invoke_envgen(["import", str(creds_file), "--format", "json"], clean_env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "Version": 1,
        "AccessKeyId": ACCESS_KEY_ID,
        "SecretAccessKey": SECRET,
        "SessionToken": TOKEN,
        "Expiration": FUTURE,
    }


def test_format_dotenv_prints_only_assignments(creds_file: Path, clean_env: dict[str, str]) -> None:
    result = invoke_envgen(["import", str(creds_file), "--format", "dotenv"], clean_env)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.decode().splitlines()
    assert f"AWS_SECRET_ACCESS_KEY='{SECRET}'" in lines
    assert all(re.match(r"^[A-Z_]+='[^']*'$", line) for line in lines), lines


def test_clear_unsets_every_managed_variable(clean_env: dict[str, str]) -> None:
    result = invoke_envgen(["clear", "--shell", "bash"], clean_env)
    assert (result.returncode, result.stderr) == (0, b"")
    assert result.stdout.decode().splitlines() == [f"unset {name};" for name in MANAGED_VARIABLES]


@pytest.mark.parametrize("shell", list(SHELLS))
def test_clear_names_every_managed_variable_in_every_shell(shell: str) -> None:
    text = SHELLS[shell].render(Changes.clearing(), UTF8_LOCALE)
    positions = [text.find(name) for name in MANAGED_VARIABLES]
    assert -1 not in positions, text
    assert positions == sorted(positions)


@pytest.mark.parametrize("format_name", ["json", "dotenv"])
def test_clear_refuses_a_document_format(format_name: str, clean_env: dict[str, str]) -> None:
    result = invoke_envgen(["clear", "--format", format_name], clean_env)
    message = assert_failed_cleanly(result)
    assert message.startswith(f"--format {format_name}: clear writes shell code")
    assert result.returncode == 2


def test_clear_accepts_the_shell_format(clean_env: dict[str, str]) -> None:
    result = invoke_envgen(["clear", "--format", "shell", "--shell", "fish"], clean_env)
    assert result.returncode == 0
    assert result.stdout.decode().splitlines()[0] == (
        "if set -q -g -- AWS_ACCESS_KEY_ID; set -e -g -- AWS_ACCESS_KEY_ID; end;"
    )


def test_envgen_shell_variable_chooses_the_dialect(clean_env: dict[str, str]) -> None:
    result = invoke_envgen(["clear"], {**clean_env, "ENVGEN_SHELL": "tcsh"})
    assert result.stdout.decode().startswith("unsetenv AWS_ACCESS_KEY_ID")


def test_an_unknown_shell_lists_the_valid_ones(clean_env: dict[str, str]) -> None:
    message = assert_failed_cleanly(invoke_envgen(["clear", "--shell", "bsh"], clean_env))
    assert message == f"--shell: unknown shell 'bsh'; choose one of: {', '.join(SHELLS)}"
    from_variable = invoke_envgen(["clear"], {**clean_env, "ENVGEN_SHELL": "command.com"})
    assert assert_failed_cleanly(from_variable).startswith(
        "ENVGEN_SHELL: unknown shell 'command.com'; choose one of: bash, zsh"
    )


# --- failure: non-zero, empty stdout, one line on stderr ------------------------------------


def test_a_refused_value_leaves_stdout_empty(tmp_path: Path, clean_env: dict[str, str]) -> None:
    path = tmp_path / "creds.json"
    # The token is valid up to the NUL, so a writer that streamed would have printed lines.
    path.write_text(sts_document(SessionToken=TOKEN + "\u0000tail"))
    result = invoke_envgen(["import", str(path), "--shell", "bash"], clean_env)
    message = assert_failed_cleanly(result)
    assert "AWS_SESSION_TOKEN contains a NUL byte" in message
    assert "bash" in message


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["imprt", "creds.json"], "No such command 'imprt'. Did you mean 'import'?"),
        (["claer"], "No such command 'claer'. Did you mean 'clear'?"),
        (
            ["import", "creds.json", "--shel", "bash"],
            "No such option: --shel. Did you mean --shell?",
        ),
        (
            ["import", "--acess-key-id", ACCESS_KEY_ID],
            "No such option: --acess-key-id. Did you mean --access-key-id?",
        ),
        (
            ["import", "creds.json", "--show-secret"],
            "No such option: --show-secret. Did you mean --show-secrets?",
        ),
        (["--verison"], "No such option: --verison. Did you mean --version?"),
        (["import", "creds.json", "-x"], "No such option: -x"),
        (["import", "--shell"], "Option '--shell' requires an argument."),
        (["import", "a.json", "b.json"], "more arguments than the command takes"),
        (
            ["import", "creds.json", "--format", "yaml"],
            "--format: unknown format 'yaml'; choose one of: shell, json, dotenv",
        ),
    ],
)
def test_usage_errors_are_one_line_with_a_suggestion(
    args: list[str], expected: str, clean_env: dict[str, str]
) -> None:
    result = invoke_envgen(args, clean_env)
    assert assert_failed_cleanly(result).startswith(expected)
    assert result.returncode == 2


def test_no_arguments_prints_usage_to_stderr(clean_env: dict[str, str]) -> None:
    result = invoke_envgen([], clean_env)
    assert result.returncode == 2
    assert result.stdout == b""
    assert result.stderr.decode().startswith("Usage: envgen")


def test_debug_variable_adds_the_traceback(clean_env: dict[str, str]) -> None:
    result = invoke_envgen(["import", "nowhere.json"], {**clean_env, "ENVGEN_DEBUG": "1"})
    stderr = result.stderr.decode()
    assert result.returncode == 2
    assert result.stdout == b""
    assert stderr.startswith("Traceback (most recent call last):")
    assert stderr.splitlines()[-1] == (
        "envgen: error: nowhere.json: no such file; give a JSON file, or - to read stdin"
    )


def test_an_unexpected_failure_is_one_line_naming_only_its_type(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], creds_file: Path
) -> None:
    from envgen.sources import imported

    def broken(source: str, region: str | None = None) -> None:
        raise RuntimeError(f"failed while holding {SECRET}")

    monkeypatch.setattr(imported, "from_source", broken)
    monkeypatch.delenv("ENVGEN_DEBUG", raising=False)
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["import", str(creds_file), "--shell", "bash"])
    assert exit_info.value.code == 70
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        "envgen: error: unexpected RuntimeError; run again with ENVGEN_DEBUG=1 for the traceback\n"
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


# --- the terminal rule ----------------------------------------------------------------------


def run_with_terminal_stdout(args: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    return run_on_a_terminal([ENVGEN, *args], env)


def test_a_terminal_gets_no_secrets_but_the_idiom_to_apply_them(
    creds_file: Path, clean_env: dict[str, str]
) -> None:
    status, shown, stderr = run_with_terminal_stdout(
        ["import", str(creds_file), "--shell", "bash"], clean_env
    )
    # Nothing failed: the user is told how to apply the output, so the status stays 0.
    assert status == 0
    assert shown == ""
    lines = stderr.splitlines()
    assert lines[0] == (
        "envgen: not printing credentials to a terminal; apply them in bash with: "
        f'eval "$(envgen import {creds_file} --shell bash)"   '
        "(or add --show-secrets to print them here)"
    )
    assert lines[1].startswith("envgen: these credentials expire in ")
    assert SECRET not in stderr and TOKEN not in stderr


def test_show_secrets_prints_them_on_a_terminal(
    creds_file: Path, clean_env: dict[str, str]
) -> None:
    status, shown, stderr = run_with_terminal_stdout(
        ["import", str(creds_file), "--shell", "bash", "--show-secrets"], clean_env
    )
    assert status == 0
    assert shown.splitlines()[:3] == [
        f"export AWS_ACCESS_KEY_ID='{ACCESS_KEY_ID}';",
        f"export AWS_SECRET_ACCESS_KEY='{SECRET}';",
        f"export AWS_SESSION_TOKEN='{TOKEN}';",
    ]
    assert "not printing" not in stderr


def test_the_terminal_hint_masks_secrets_given_as_flags(clean_env: dict[str, str]) -> None:
    status, shown, stderr = run_with_terminal_stdout(
        [
            "import",
            "--access-key-id",
            ACCESS_KEY_ID,
            "--secret-access-key",
            SECRET,
            f"--session-token={TOKEN}",
            "--shell",
            "fish",
        ],
        clean_env,
    )
    assert (status, shown) == (0, "")
    assert SECRET not in stderr and TOKEN not in stderr
    assert stderr.splitlines()[0] == (
        "envgen: not printing credentials to a terminal; apply them in fish with: "
        f"envgen import --access-key-id {ACCESS_KEY_ID} --secret-access-key ... "
        "--session-token=... --shell fish | source   (or add --show-secrets to print them here)"
    )


def test_the_terminal_hint_keeps_secret_sources_so_it_runs_as_shown(
    tmp_path: Path, clean_env: dict[str, str]
) -> None:
    (tmp_path / "secret").write_text(SECRET)
    (tmp_path / "token").write_text(TOKEN)
    status, shown, stderr = run_on_a_terminal(
        [
            ENVGEN,
            "import",
            "--access-key-id",
            ACCESS_KEY_ID,
            "--secret-access-key",
            "file://secret",
            "--session-token=file://token",
            "--shell",
            "bash",
        ],
        clean_env,
        cwd=tmp_path,
    )
    assert (status, shown) == (0, "")
    command = (
        f"envgen import --access-key-id {ACCESS_KEY_ID} --secret-access-key file://secret "
        "--session-token=file://token --shell bash"
    )
    assert stderr.splitlines()[0] == (
        "envgen: not printing credentials to a terminal; apply them in bash with: "
        f'eval "$({command})"   (or add --show-secrets to print them here)'
    )
    # Run as shown, it gives the credentials.
    script = f'eval "$({command})" && printf %s "$AWS_SESSION_TOKEN"'
    applied = subprocess.run(
        ["bash", "-c", script], capture_output=True, env=clean_env, cwd=tmp_path, timeout=60
    )
    assert applied.stdout.decode() == TOKEN


def test_the_terminal_hint_for_a_document_format_redirects_to_a_file(
    creds_file: Path, clean_env: dict[str, str]
) -> None:
    status, shown, stderr = run_with_terminal_stdout(
        ["import", str(creds_file), "--format", "json"], clean_env
    )
    assert (status, shown) == (0, "")
    assert f"save them with: envgen import {creds_file} --format json > FILE" in stderr


def test_clear_at_a_terminal_says_how_to_apply_it_instead_of_unset_lines(
    clean_env: dict[str, str],
) -> None:
    # Bare `unset` lines on a terminal would look as if something had been cleared.
    status, shown, stderr = run_with_terminal_stdout(["clear", "--shell", "bash"], clean_env)
    assert (status, shown) == (0, "")
    assert stderr == (
        "envgen: nothing done: shell code shown on a terminal changes nothing; apply it in "
        'bash with: eval "$(envgen clear --shell bash)"\n'
    )


def test_clear_persist_at_a_terminal_removes_nothing(clean_env: dict[str, str]) -> None:
    kept = invoke_envgen(
        [
            "import",
            "--access-key-id",
            ACCESS_KEY_ID,
            "--secret-access-key",
            SECRET,
            "--shell",
            "bash",
            "--persist",
        ],
        clean_env,
    )
    assert kept.returncode == 0, kept.stderr
    home = Path(clean_env["HOME"])
    files = {path: path.read_bytes() for path in home.rglob("*") if path.is_file()}
    assert any(path.name == "persist.sh" for path in files)
    status, shown, stderr = run_with_terminal_stdout(
        ["clear", "--persist", "--shell", "bash"], clean_env
    )
    assert (status, shown) == (0, "")
    assert stderr.startswith("envgen: nothing done: ")
    assert {path: path.read_bytes() for path in home.rglob("*") if path.is_file()} == files


def test_save_profile_at_a_terminal_writes_nothing(
    creds_file: Path, clean_env: dict[str, str]
) -> None:
    status, shown, stderr = run_with_terminal_stdout(
        ["import", str(creds_file), "--shell", "bash", "--save-profile", "temp"], clean_env
    )
    assert (status, shown) == (0, "")
    assert stderr.startswith("envgen: not printing credentials to a terminal; apply them in bash")
    assert not Path(clean_env["AWS_SHARED_CREDENTIALS_FILE"]).exists()


# --- the expiry line --------------------------------------------------------------------------

NOW = datetime(2030, 1, 1, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("left", "expected"),
    [
        (timedelta(seconds=42), "42 s"),
        (timedelta(minutes=59, seconds=59), "59 min"),
        (timedelta(hours=1), "1 h"),
        (timedelta(hours=11, minutes=59, seconds=30), "11 h 59 min"),
        (timedelta(days=1), "1 day"),
        (timedelta(days=1, hours=12, minutes=30), "1 day 12 h"),
        (timedelta(days=6, hours=23), "6 days 23 h"),
        (timedelta(days=36, hours=5), "36 days"),
        (timedelta(days=26329, hours=11), "26329 days"),
    ],
)
def test_the_expiry_line_says_how_long_in_the_two_largest_units(
    left: timedelta, expected: str
) -> None:
    text = describe_expiry(NOW + left, now=NOW)
    assert text.startswith(f"expire in {expected} (at ")
    local = (NOW + left).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    assert f"(at {local}" in text


def test_the_expiry_line_for_a_past_time() -> None:
    assert describe_expiry(NOW - timedelta(seconds=1), now=NOW).startswith("expired at ")


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


def test_with_stderr_closed_no_message_reaches_the_evaluated_stream(
    clean_env: dict[str, str], tmp_path: Path
) -> None:
    # Python sends text for a missing stderr to stdout; eval would then run it.
    marker = tmp_path / "ran"
    failing = f"envgen import --shell bash 'creds$(touch {marker}).json' 2>&-"
    result = subprocess.run(["bash", "-c", failing], capture_output=True, env=clean_env)
    assert result.returncode != 0
    assert result.stdout == b""
    expiring = (
        "envgen import --shell bash --access-key-id AKIDEXAMPLE --secret-access-key s "
        "--expiration 2099-01-01T00:00:00Z 2>&-"
    )
    result = subprocess.run(["bash", "-c", expiring], capture_output=True, env=clean_env)
    assert result.returncode == 0
    assert all(
        line.startswith(("export ", "unset ")) for line in result.stdout.decode().splitlines()
    )
    assert not marker.exists()


def test_with_stdout_closed_nothing_is_kept_and_the_failure_is_said(
    clean_env: dict[str, str],
) -> None:
    command = (
        "envgen import --shell bash --access-key-id AKIDEXAMPLE --secret-access-key s --persist >&-"
    )
    result = subprocess.run(["bash", "-c", command], capture_output=True, env=clean_env)
    assert result.returncode == 2
    assert result.stderr.decode() == (
        "envgen: error: stdout is closed: there is nowhere to write the output to\n"
    )
    assert not (Path(clean_env["XDG_CONFIG_HOME"]) / "envgen").exists()
    assert not (Path(clean_env["HOME"]) / ".bashrc").exists()


def test_an_expiry_beyond_the_calendar_is_a_usage_error(clean_env: dict[str, str]) -> None:
    result = invoke_envgen(
        [
            "import",
            "--shell",
            "bash",
            "--access-key-id",
            "AKIDEXAMPLE",
            "--secret-access-key",
            "s",
            "--expiration",
            "0001-01-01T00:00:00+01:00",
        ],
        clean_env,
    )
    assert result.returncode == 2
    assert "outside the years 1 to 9999" in assert_failed_cleanly(result)


# --- a word typed in the wrong place is never repeated --------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        # A secret typed without its option lands as an extra argument...
        (
            ["import", "creds.json", SECRET],
            "more arguments than the command takes; the extra ones are not repeated here, "
            "as they may be a secret typed without its option (see envgen import --help)",
        ),
        (
            ["assume", "prod", TOKEN],
            "more arguments than the command takes; the extra ones are not repeated here, "
            "as they may be a secret typed without its option (see envgen assume --help)",
        ),
        # ...or where the command belongs...
        (
            [SECRET, "import"],
            "no such command; the word given is not repeated here, as it may be a secret "
            "typed without its option (see envgen --help)",
        ),
        (
            ["123456"],
            "no such command; the word given is not repeated here, as it may be a secret "
            "typed without its option (see envgen --help)",
        ),
        # ...or glued to its option without the space.
        (
            ["import", "--access-key-id", ACCESS_KEY_ID, f"--secret-access-key{SECRET}"],
            "no such option: it begins with --secret-access-key; put a space or = between the "
            "option and its value (the value is not repeated here) (see envgen import --help)",
        ),
        (
            ["import", f"--session-tokens={TOKEN}"],
            "No such option: --session-tokens. Did you mean --session-token? "
            "(see envgen import --help)",
        ),
        (["assume", f"--unknown={SECRET}"], "No such option: --unknown (see envgen assume --help)"),
        (
            ["assume", f"--show-secrets={SECRET}"],
            "Option '--show-secrets' does not take a value. (see envgen assume --help)",
        ),
    ],
)
def test_usage_errors_never_repeat_a_stray_word(
    args: list[str], expected: str, clean_env: dict[str, str]
) -> None:
    result = invoke_envgen(args, clean_env)
    assert result.returncode == 2
    assert assert_failed_cleanly(result, "123456") == expected


@pytest.mark.parametrize(
    ("args", "pointer"),
    [
        (["assume", "--shel", "bash"], "(see envgen assume --help)"),
        (["exec", "--role-arn"], "(see envgen exec --help)"),
        (["whoami", "--json=yes"], "(see envgen whoami --help)"),
        (
            ["web-identity", "--web-identity-token", "file://token"],
            "(see envgen web-identity --help)",
        ),
        (["--verison"], "(see envgen --help)"),
    ],
)
def test_usage_errors_point_at_the_commands_own_help(
    args: list[str], pointer: str, clean_env: dict[str, str]
) -> None:
    assert assert_failed_cleanly(invoke_envgen(args, clean_env)).endswith(pointer)


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


# --- how much envgen says: -q, -v, ENVGEN_DEBUG ---------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["-q", "import", "CREDS", "--shell", "bash"],
        ["import", "CREDS", "--shell", "bash", "-q"],
        ["--quiet", "import", "CREDS", "--shell", "bash", "--persist"],
        ["import", "CREDS", "--quiet", "--save-profile", "temp", "--shell", "bash"],
    ],
)
def test_quiet_leaves_no_summary(
    args: list[str], creds_file: Path, clean_env: dict[str, str]
) -> None:
    args = [str(creds_file) if arg == "CREDS" else arg for arg in args]
    result = invoke_envgen(args, clean_env)
    assert result.returncode == 0
    assert result.stderr == b""
    assert result.stdout.startswith(b"export AWS_")
    loud = invoke_envgen([arg for arg in args if arg not in ("-q", "--quiet")], clean_env)
    assert loud.stderr.startswith(b"envgen: ")


def test_quiet_still_shows_errors_and_the_terminal_hint(
    creds_file: Path, clean_env: dict[str, str]
) -> None:
    message = assert_failed_cleanly(invoke_envgen(["-q", "import", "nowhere.json"], clean_env))
    assert message.startswith("nowhere.json: no such file")
    status, shown, stderr = run_with_terminal_stdout(
        ["import", str(creds_file), "--shell", "bash", "-q"], clean_env
    )
    assert (status, shown) == (0, "")
    assert stderr.startswith("envgen: not printing credentials to a terminal; ")
    assert "expire" not in stderr


def test_quiet_and_verbose_contradict(clean_env: dict[str, str]) -> None:
    result = invoke_envgen(["-q", "clear", "--shell", "bash", "-v"], clean_env)
    assert assert_failed_cleanly(result) == (
        "-q/--quiet and -v/--verbose contradict each other; give one of them"
    )
    assert result.returncode == 2


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


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["import", SECRET, "--shell", "bash"],
            "SOURCE looks like a key, token or MFA code "
            "rather than a file, and is not repeated here; give secrets with --secret-access-key "
            "and --session-token (file://PATH or - keeps them off the command line)",
        ),
        (["import", TOKEN, "--shell", "bash"], "SOURCE looks like a key"),
        (
            ["assume", "123456", "--shell", "bash"],
            "PROFILE looks like a key, token or MFA code "
            "rather than a profile name, and is not repeated here; give an MFA code with "
            "--token-code, and keys with envgen import",
        ),
        (["assume", SECRET, "--shell", "bash"], "PROFILE looks like a key"),
        (["assume", ACCESS_KEY_ID, "--shell", "bash"], "PROFILE looks like a key"),
        (["exec", "123456", "--", "true"], "PROFILE looks like a key"),
        (["import", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJjaSJ9.c2lnbmF0dXJl"], "SOURCE looks like"),
    ],
)
def test_a_secret_in_the_place_of_a_file_or_profile_is_not_repeated(
    args: list[str], expected: str, clean_env: dict[str, str]
) -> None:
    result = invoke_envgen(args, clean_env)
    assert assert_failed_cleanly(result, "123456", ACCESS_KEY_ID).startswith(expected)
    assert result.returncode == 2


def test_a_file_or_profile_named_like_a_secret_is_still_used(
    tmp_path: Path, clean_env: dict[str, str]
) -> None:
    (tmp_path / "123456").write_text(sts_document())
    result = invoke_envgen(["import", "123456", "--shell", "bash"], clean_env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    # Long paths and file names are no secrets: a missing one is named as usual.
    for path in (
        "/srv/broker/exports/credentials-for-the-production-account-2024.json",
        "exports/" + "a" * 70,
        "creds.json",
    ):
        missing = invoke_envgen(["import", path, "--shell", "bash"], clean_env)
        assert assert_failed_cleanly(missing).startswith(f"{path}: no such file")
    Path(clean_env["AWS_CONFIG_FILE"]).parent.mkdir()
    Path(clean_env["AWS_CONFIG_FILE"]).write_text("[profile 123456]\nregion = eu-west-1\n")
    named = invoke_envgen(["assume", "123456", "--shell", "bash"], clean_env)
    assert b"looks like a key" not in named.stderr


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
