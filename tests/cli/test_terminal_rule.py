"""The terminal rule: credentials are not printed on a terminal stdout; the hint says how to
apply them instead, and nothing is kept or saved. stdout is a real pseudo-terminal here."""

from __future__ import annotations

import subprocess
from pathlib import Path

from conftest import ENVGEN
from envgen_in_process import invoke_envgen
from envgen_process import (
    ACCESS_KEY_ID,
    SECRET,
    TOKEN,
    run_on_a_terminal,
)

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
