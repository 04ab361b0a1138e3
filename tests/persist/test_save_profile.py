"""--save-profile against a real shared credentials file, read back as the AWS SDKs read it."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ENVGEN, require_program
from envgen_process import (
    ACCESS_KEY_ID,
    FUTURE,
    SECRET,
    TOKEN,
    assert_failed_cleanly,
    run_envgen,
    sts_document,
)

LONG_TERM_SECRET = "LongTermSecretKeyNeverToBeLost000000000000"

# What a user's file tends to hold: comments everywhere, odd spacing, blank runs,
# a section with a profile-only key, and no newline at the very end.
PRECIOUS = (
    "# my credentials; do not lose\n"
    "[default]\n"
    "aws_access_key_id = AKIALONGTERMEXAMPLE\n"
    f"aws_secret_access_key={LONG_TERM_SECRET}\n"
    "; an old comment\n"
    "\n"
    "\n"
    "[work]\n"
    "# saved by hand once\n"
    "aws_access_key_id = ASIAOLD\n"
    "aws_secret_access_key = old\n"
    "aws_session_token = oldtoken\n"
    "region=eu-west-1\n"
    "\n"
    "[other]   \n"
    "aws_access_key_id   =   AKIAOTHER\n"
    "aws_secret_access_key = other # not a comment to botocore\n"
    "  ; indented comment"
)


def _save(env: dict[str, str], name: str, *extra: str, umask: int | None = None,
          secret: str = SECRET) -> subprocess.CompletedProcess[bytes]:
    args = ["import", "--access-key-id", ACCESS_KEY_ID, "--secret-access-key", secret,
            "--session-token", TOKEN, "--expiration", FUTURE, "--shell", "bash",
            "--save-profile", name, *extra]
    if umask is None:
        return run_envgen(args, env)
    return subprocess.run(
        [ENVGEN, *args], env=env, capture_output=True, timeout=60,
        preexec_fn=lambda: os.umask(umask),
    )


def _botocore_profiles(path: Path) -> dict[str, dict[str, str]]:
    from botocore.configloader import raw_config_parse

    return raw_config_parse(str(path))


def _credentials_file(env: dict[str, str]) -> Path:
    return Path(env["AWS_SHARED_CREDENTIALS_FILE"])


def _write(path: Path, data: bytes, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    path.chmod(mode)


def _lines_other_than(data: bytes, keys: tuple[bytes, ...]) -> list[bytes]:
    return [line for line in data.splitlines(keepends=True)
            if not line.split(b"=")[0].strip().lower() in keys]


SAVED_KEYS = (b"aws_access_key_id", b"aws_secret_access_key", b"aws_session_token",
              b"x_security_token_expires")


def test_new_profile_is_appended_and_nothing_else_changes(clean_env: dict[str, str]) -> None:
    path = _credentials_file(clean_env)
    _write(path, PRECIOUS.encode())
    result = _save(clean_env, "fresh")
    assert result.returncode == 0, result.stderr.decode()
    after = path.read_bytes()
    assert after.startswith(PRECIOUS.encode())
    profiles = _botocore_profiles(path)
    assert profiles["fresh"] == {
        "aws_access_key_id": ACCESS_KEY_ID,
        "aws_secret_access_key": SECRET,
        "aws_session_token": TOKEN,
        "x_security_token_expires": FUTURE,
    }
    assert profiles["default"]["aws_secret_access_key"] == LONG_TERM_SECRET
    stderr = result.stderr.decode()
    assert f"saved profile fresh in {path}" in stderr and "expire" in stderr


def test_existing_temporary_profile_is_updated_in_place(clean_env: dict[str, str]) -> None:
    path = _credentials_file(clean_env)
    _write(path, PRECIOUS.encode())
    result = _save(clean_env, "work")
    assert result.returncode == 0, result.stderr.decode()
    before, after = PRECIOUS.encode(), path.read_bytes()
    # Every line but the saved keys' is the same, in the same order.
    assert _lines_other_than(after, SAVED_KEYS) == _lines_other_than(before, SAVED_KEYS)
    profiles = _botocore_profiles(path)
    assert profiles["work"]["aws_session_token"] == TOKEN
    assert profiles["work"]["x_security_token_expires"] == FUTURE
    assert profiles["work"]["region"] == "eu-west-1"
    assert profiles["other"]["aws_secret_access_key"] == "other # not a comment to botocore"


def test_crlf_file_and_foreign_bytes_survive(clean_env: dict[str, str]) -> None:
    path = _credentials_file(clean_env)
    original = PRECIOUS.replace("\n", "\r\n").encode() + b"\r\n# caf\xe9 \xff\r\n"
    _write(path, original)
    assert _save(clean_env, "work").returncode == 0
    after = path.read_bytes()
    assert b"\n" not in after.replace(b"\r\n", b"")
    assert _lines_other_than(after, SAVED_KEYS) == _lines_other_than(original, SAVED_KEYS)
    assert _save(clean_env, "added").returncode == 0
    assert path.read_bytes().startswith(after)


@pytest.mark.parametrize("umask", [0o000, 0o022, 0o277])
def test_file_is_private_whatever_the_umask(clean_env: dict[str, str], umask: int) -> None:
    path = _credentials_file(clean_env)
    result = _save(clean_env, "work", umask=umask)
    assert result.returncode == 0, result.stderr.decode()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    _write(path, PRECIOUS.encode(), mode=0o644)
    result = _save(clean_env, "work", umask=umask)
    assert result.returncode == 0, result.stderr.decode()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_symlink_stays_a_symlink(clean_env: dict[str, str], tmp_path: Path) -> None:
    path = _credentials_file(clean_env)
    target = tmp_path / "dotfiles" / "aws-credentials"
    _write(target, PRECIOUS.encode(), mode=0o600)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(target)
    assert _save(clean_env, "fresh").returncode == 0
    assert path.is_symlink() and path.resolve() == target
    assert "fresh" in _botocore_profiles(target)
    assert target.read_bytes().startswith(PRECIOUS.encode())
    # Nothing was left beside the link: the temporary file went where the target is.
    assert sorted(p.name for p in path.parent.iterdir()) == ["credentials"]


def test_long_term_keys_need_force(clean_env: dict[str, str]) -> None:
    path = _credentials_file(clean_env)
    _write(path, PRECIOUS.encode())
    message = assert_failed_cleanly(_save(clean_env, "default"), LONG_TERM_SECRET)
    assert "--force" in message and "default" in message
    assert path.read_bytes() == PRECIOUS.encode()
    result = _save(clean_env, "default", "--force")
    assert result.returncode == 0, result.stderr.decode()
    assert _botocore_profiles(path)["default"]["aws_session_token"] == TOKEN
    assert _botocore_profiles(path)["default"]["aws_secret_access_key"] == SECRET


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("[default]\naws_access_key_id = A\nthis is not ini\n", 3),
        ("aws_access_key_id = before any section\n[default]\n", 1),
        ("[default]\nk = 1\n\n[default]\nk = 2\n", 4),
        ("[default]\nk = 1\nk = 2\n", 3),
        (f"[default]\naws_secret_access_key = {LONG_TERM_SECRET}\n[broken\n", 3),
    ],
    ids=["garbage-line", "no-section", "duplicate-section", "duplicate-key", "open-header"],
)
def test_unparsable_file_is_left_untouched(
    clean_env: dict[str, str], text: str, line: int
) -> None:
    path = _credentials_file(clean_env)
    _write(path, text.encode())
    message = assert_failed_cleanly(_save(clean_env, "work"), LONG_TERM_SECRET)
    assert f"line {line}" in message and str(path) in message
    assert path.read_bytes() == text.encode()


def test_output_names_the_profile_and_unsets_the_keys(clean_env: dict[str, str]) -> None:
    require_program("bash")
    result = _save(clean_env, "work")
    assert result.returncode == 0
    stdout = result.stdout.decode()
    assert SECRET not in stdout and TOKEN not in stdout
    shown = subprocess.run(
        ["bash", "-c", 'eval "$1"; printf "%s|%s|%s" "$AWS_PROFILE" "${AWS_ACCESS_KEY_ID-unset}" '
         '"${AWS_SESSION_TOKEN-unset}"', "bash", stdout],
        env={**clean_env, "AWS_ACCESS_KEY_ID": "stale", "AWS_SESSION_TOKEN": "stale"},
        capture_output=True, text=True, timeout=60,
    )
    assert shown.stdout == "work|unset|unset"


def test_sdk_reads_the_saved_profile(clean_env: dict[str, str]) -> None:
    assert _save(clean_env, "work").returncode == 0
    script = (
        "import botocore.session, json\n"
        "c = botocore.session.Session(profile='work').get_credentials()\n"
        "print(json.dumps([c.access_key, c.secret_key, c.token]))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], env=clean_env, capture_output=True,
                          text=True, timeout=60)
    assert json.loads(done.stdout) == [ACCESS_KEY_ID, SECRET, TOKEN], done.stderr


def test_shared_credentials_file_variable_is_honoured(
    clean_env: dict[str, str], tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere" / "creds"
    env = {**clean_env, "AWS_SHARED_CREDENTIALS_FILE": str(elsewhere)}
    assert _save(env, "work").returncode == 0
    assert "work" in _botocore_profiles(elsewhere)
    assert not (Path(clean_env["HOME"]) / ".aws" / "credentials").exists()


@pytest.mark.parametrize("name", ["", " work", "a]b", "a\nb", "DEFAULT"])
def test_bad_profile_names_are_refused(clean_env: dict[str, str], name: str) -> None:
    assert_failed_cleanly(_save(clean_env, name))
    assert not _credentials_file(clean_env).exists()


def test_value_a_credentials_file_cannot_hold_is_refused(clean_env: dict[str, str]) -> None:
    path = _credentials_file(clean_env)
    _write(path, PRECIOUS.encode())
    assert_failed_cleanly(_save(clean_env, "work", secret="two\nlines"), "two\nlines")
    assert path.read_bytes() == PRECIOUS.encode()


def test_profile_name_the_shell_cannot_carry_writes_nothing(clean_env: dict[str, str]) -> None:
    # The output is rendered first; cmd refuses `%`, so the file must stay untouched.
    result = run_envgen(
        ["import", "--access-key-id", ACCESS_KEY_ID, "--secret-access-key", SECRET,
         "--shell", "cmd", "--save-profile", "100%"],
        clean_env,
    )
    assert_failed_cleanly(result)
    assert not _credentials_file(clean_env).exists()


def test_force_without_save_profile_is_a_usage_error(clean_env: dict[str, str]) -> None:
    result = run_envgen(
        ["import", "--access-key-id", ACCESS_KEY_ID, "--secret-access-key", SECRET, "--force"],
        clean_env,
    )
    assert result.returncode == 2
    assert "--save-profile" in assert_failed_cleanly(result)


def test_twenty_concurrent_saves_lose_nothing(clean_env: dict[str, str]) -> None:
    path = _credentials_file(clean_env)
    _write(path, PRECIOUS.encode())
    names = [f"parallel-{n}" for n in range(20)]
    args = ["import", "--access-key-id", ACCESS_KEY_ID, "--secret-access-key", SECRET,
            "--session-token", TOKEN, "--shell", "bash"]
    processes = [
        subprocess.Popen([ENVGEN, *args, "--save-profile", name], env=clean_env,
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for name in names
    ]
    for process in processes:
        _out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err.decode()
    profiles = _botocore_profiles(path)
    for name in names:
        assert profiles[name]["aws_session_token"] == TOKEN
    assert path.read_bytes().startswith(PRECIOUS.encode())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_file_is_the_one_botocore_reads_variables_expanded(
    clean_env: dict[str, str], tmp_path: Path
) -> None:
    # botocore expands $VARIABLES as well as ~ in AWS_SHARED_CREDENTIALS_FILE.
    place = tmp_path / "elsewhere"
    env = dict(clean_env, CREDS_DIR=str(place),
               AWS_SHARED_CREDENTIALS_FILE="$CREDS_DIR/credentials")
    result = _save(env, "fresh")
    assert result.returncode == 0, result.stderr.decode()
    assert _botocore_profiles(place / "credentials")["fresh"]["aws_session_token"] == TOKEN


def test_an_empty_session_token_does_not_make_long_term_keys_replaceable(
    clean_env: dict[str, str]
) -> None:
    # botocore reads an empty token as none: the profile holds long-term keys.
    path = _credentials_file(clean_env)
    before = (
        "[work]\naws_access_key_id = AKIALONGTERMEXAMPLE\n"
        f"aws_secret_access_key = {LONG_TERM_SECRET}\naws_session_token =\n"
    ).encode()
    _write(path, before, 0o600)
    message = assert_failed_cleanly(_save(clean_env, "work"))
    assert "holds long-term keys" in message
    assert path.read_bytes() == before


@pytest.mark.parametrize("surrogate", ["\\udcff", "\\ud800"])
def test_a_lone_surrogate_is_refused_before_the_file_is_touched(
    clean_env: dict[str, str], surrogate: str
) -> None:
    # JSON may spell a lone surrogate as an escape; written out, it would be a byte
    # that is not UTF-8, and botocore could then read no profile of the file at all.
    path = _credentials_file(clean_env)
    _write(path, PRECIOUS.encode(), mode=0o600)
    document = sts_document().replace(ACCESS_KEY_ID, ACCESS_KEY_ID[:4] + surrogate)
    result = run_envgen(
        ["import", "-", "--shell", "bash", "--save-profile", "work"], clean_env, stdin=document
    )
    message = assert_failed_cleanly(result)
    assert result.returncode in (1, 2)
    assert "lone surrogate" in message and "AWS_ACCESS_KEY_ID" in message
    assert path.read_bytes() == PRECIOUS.encode()
    assert _botocore_profiles(path)["default"]["aws_secret_access_key"] == LONG_TERM_SECRET


@pytest.mark.parametrize("value", [b"ASIA\xff", b"\xed\xa0\x80"])
def test_undecodable_command_line_values_are_refused_for_every_output(
    clean_env: dict[str, str], value: bytes
) -> None:
    # Bytes that are not UTF-8 reach Python as lone surrogates too.
    for output in (["--format", "json"], ["--shell", "bash", "--save-profile", "work"]):
        result = subprocess.run(
            [ENVGEN.encode(), b"import", b"--access-key-id", value, b"--secret-access-key",
             SECRET.encode(), *(word.encode() for word in output)],
            env=clean_env, capture_output=True, timeout=60,
        )
        assert "lone surrogate" in assert_failed_cleanly(result)
    assert not _credentials_file(clean_env).exists()


def test_a_profile_name_that_is_not_utf8_is_refused(clean_env: dict[str, str]) -> None:
    result = subprocess.run(
        [ENVGEN.encode(), b"import", b"--access-key-id", ACCESS_KEY_ID.encode(),
         b"--secret-access-key", SECRET.encode(), b"--shell", b"bash", b"--save-profile",
         b"w\xffrk"],
        env=clean_env, capture_output=True, timeout=60,
    )
    assert "lone surrogate" in assert_failed_cleanly(result)
    assert not _credentials_file(clean_env).exists()
