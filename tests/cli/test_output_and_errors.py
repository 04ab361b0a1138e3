"""What envgen prints: only shell code on stdout when it succeeds; when it fails, nothing there,
one line on stderr, a non-zero status, and never a word that may be a secret."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from envgen import cli
from envgen.credentials import MANAGED_VARIABLES, Changes
from envgen.dialects import SHELLS
from envgen_in_process import invoke_envgen
from envgen_process import (
    ACCESS_KEY_ID,
    FUTURE,
    SECRET,
    TOKEN,
    assert_failed_cleanly,
    sts_document,
)
from refusals import UTF8_LOCALE

POSIX_LINE = re.compile(r"^(export [A-Z_]+='[^']*';|unset [A-Z_]+;)$")


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
