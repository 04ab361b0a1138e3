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
from envgen_in_process import invoke_envgen
from envgen_process import (
    ACCESS_KEY_ID,
    FUTURE,
    KEY_FLAGS,
    SECRET,
    TOKEN,
    assert_failed_cleanly,
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


def _save(
    env: dict[str, str], name: str, *extra: str, umask: int | None = None, secret: str = SECRET
) -> subprocess.CompletedProcess[bytes]:
    args = [
        "import",
        "--access-key-id",
        ACCESS_KEY_ID,
        "--secret-access-key",
        secret,
        "--session-token",
        TOKEN,
        "--expiration",
        FUTURE,
        "--shell",
        "bash",
        "--save-profile",
        name,
        *extra,
    ]
    if umask is None:
        return invoke_envgen(args, env)
    return subprocess.run(
        [ENVGEN, *args],
        env=env,
        capture_output=True,
        timeout=60,
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
    return [
        line
        for line in data.splitlines(keepends=True)
        if line.split(b"=")[0].strip().lower() not in keys
    ]


SAVED_KEYS = (
    b"aws_access_key_id",
    b"aws_secret_access_key",
    b"aws_session_token",
    b"x_security_token_expires",
)


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
@pytest.mark.posix("a umask and file modes")
def test_file_is_private_whatever_the_umask(clean_env: dict[str, str], umask: int) -> None:
    path = _credentials_file(clean_env)
    result = _save(clean_env, "work", umask=umask)
    assert result.returncode == 0, result.stderr.decode()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    _write(path, PRECIOUS.encode(), mode=0o644)
    result = _save(clean_env, "work", umask=umask)
    assert result.returncode == 0, result.stderr.decode()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.posix("symlinks without privileges")
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
def test_unparsable_file_is_left_untouched(clean_env: dict[str, str], text: str, line: int) -> None:
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
        [
            "bash",
            "-c",
            'eval "$1"; printf "%s|%s|%s" "$AWS_PROFILE" "${AWS_ACCESS_KEY_ID-unset}" '
            '"${AWS_SESSION_TOKEN-unset}"',
            "bash",
            stdout,
        ],
        env={**clean_env, "AWS_ACCESS_KEY_ID": "stale", "AWS_SESSION_TOKEN": "stale"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert shown.stdout == "work|unset|unset"


def test_sdk_reads_the_saved_profile(clean_env: dict[str, str]) -> None:
    assert _save(clean_env, "work").returncode == 0
    script = (
        "import botocore.session, json\n"
        "c = botocore.session.Session(profile='work').get_credentials()\n"
        "print(json.dumps([c.access_key, c.secret_key, c.token]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], env=clean_env, capture_output=True, text=True, timeout=60
    )
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
    result = invoke_envgen(
        [
            "import",
            "--access-key-id",
            ACCESS_KEY_ID,
            "--secret-access-key",
            SECRET,
            "--shell",
            "cmd",
            "--save-profile",
            "100%",
        ],
        clean_env,
    )
    assert_failed_cleanly(result)
    assert not _credentials_file(clean_env).exists()


def test_force_without_save_profile_is_a_usage_error(clean_env: dict[str, str]) -> None:
    result = invoke_envgen(
        ["import", "--access-key-id", ACCESS_KEY_ID, "--secret-access-key", SECRET, "--force"],
        clean_env,
    )
    assert result.returncode == 2
    assert "--save-profile" in assert_failed_cleanly(result)


@pytest.mark.posix("file modes")
def test_twenty_concurrent_saves_lose_nothing(clean_env: dict[str, str]) -> None:
    path = _credentials_file(clean_env)
    _write(path, PRECIOUS.encode())
    names = [f"parallel-{n}" for n in range(20)]
    args = [
        "import",
        *KEY_FLAGS,
        "--shell",
        "bash",
    ]
    processes = [
        subprocess.Popen(
            [ENVGEN, *args, "--save-profile", name],
            env=clean_env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
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
    env = dict(
        clean_env, CREDS_DIR=str(place), AWS_SHARED_CREDENTIALS_FILE="$CREDS_DIR/credentials"
    )
    result = _save(env, "fresh")
    assert result.returncode == 0, result.stderr.decode()
    assert _botocore_profiles(place / "credentials")["fresh"]["aws_session_token"] == TOKEN


def test_an_empty_session_token_does_not_make_long_term_keys_replaceable(
    clean_env: dict[str, str],
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
    result = invoke_envgen(
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
            [
                ENVGEN.encode(),
                b"import",
                b"--access-key-id",
                value,
                b"--secret-access-key",
                SECRET.encode(),
                *(word.encode() for word in output),
            ],
            env=clean_env,
            capture_output=True,
            timeout=60,
        )
        assert "lone surrogate" in assert_failed_cleanly(result)
    assert not _credentials_file(clean_env).exists()


def test_a_profile_name_that_is_not_utf8_is_refused(clean_env: dict[str, str]) -> None:
    result = subprocess.run(
        [
            ENVGEN.encode(),
            b"import",
            b"--access-key-id",
            ACCESS_KEY_ID.encode(),
            b"--secret-access-key",
            SECRET.encode(),
            b"--shell",
            b"bash",
            b"--save-profile",
            b"w\xffrk",
        ],
        env=clean_env,
        capture_output=True,
        timeout=60,
    )
    assert "lone surrogate" in assert_failed_cleanly(result)
    assert not _credentials_file(clean_env).exists()


# A config file as users keep it: comments, a role profile, an SSO profile, CRLF-free.
CONFIG = (
    "# my settings\n"
    "[default]\n"
    "region = eu-west-1\n"
    "\n"
    "[profile work]\n"
    "# output as I like it\n"
    "output = json\n"
    "\n"
    "[profile admin]\n"
    "role_arn = arn:aws:iam::123456789012:role/Admin\n"
    "source_profile = default\n"
    "\n"
    "[profile portal]\n"
    "sso_session = corp\n"
    "sso_account_id = 123456789012\n"
    "sso_role_name = Dev\n"
    "\n"
    "[profile legacy-sso]\n"
    "sso_start_url = https://corp.awsapps.com/start\n"
    "\n"
    "[profile federated]\n"
    "web_identity_token_file = /var/run/token\n"
    "\n"
    "[sso-session corp]\n"
    "sso_start_url = https://corp.awsapps.com/start\n"
)


def _config_file(env: dict[str, str]) -> Path:
    return Path(env["AWS_CONFIG_FILE"])


def _botocore_view(env: dict[str, str], profile: str) -> dict[str, str | None]:
    """What a new process's botocore makes of profile `profile`: its region and keys."""
    script = (
        "import botocore.session, json, sys\n"
        "s = botocore.session.Session(profile=sys.argv[1])\n"
        "c = s.get_credentials()\n"
        "print(json.dumps({'region': s.get_config_variable('region'),\n"
        "  'key': c and c.access_key, 'token': c and c.token, 'method': c and c.method}))\n"
    )
    fresh = {
        k: v
        for k, v in env.items()
        if not k.startswith(("AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION"))
    }
    done = subprocess.run(
        [sys.executable, "-c", script, profile],
        env=fresh,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("admin", "role_arn"),
        ("portal", "sso_"),
        ("legacy-sso", "sso_start_url"),
        ("federated", "web_identity_token_file"),
    ],
)
@pytest.mark.parametrize("force", [False, True])
def test_a_profile_botocore_reads_no_keys_for_is_refused(
    clean_env: dict[str, str], name: str, key: str, force: bool
) -> None:
    # botocore tries a profile's role and SSO settings before its keys: saved keys
    # would be ignored while envgen reported success.
    path, config = _credentials_file(clean_env), _config_file(clean_env)
    _write(path, PRECIOUS.encode(), mode=0o600)
    _write(config, CONFIG.encode())
    result = _save(clean_env, name, "--region", "us-east-2", *(["--force"] if force else []))
    message = assert_failed_cleanly(result, LONG_TERM_SECRET)
    assert f"profile {name} in {config}" in message and key in message
    assert path.read_bytes() == PRECIOUS.encode()
    assert config.read_bytes() == CONFIG.encode()


def test_a_role_in_the_credentials_file_is_refused_too(clean_env: dict[str, str]) -> None:
    path = _credentials_file(clean_env)
    text = "[hop]\nrole_arn = arn:aws:iam::123456789012:role/Hop\nsource_profile = default\n"
    _write(path, text.encode(), mode=0o600)
    message = assert_failed_cleanly(_save(clean_env, "hop"))
    assert f"profile hop in {path}" in message and "role_arn" in message
    assert path.read_bytes() == text.encode()


@pytest.mark.posix("file modes")
def test_the_region_is_saved_in_the_config_file_for_a_new_shell(clean_env: dict[str, str]) -> None:
    path, config = _credentials_file(clean_env), _config_file(clean_env)
    _write(path, PRECIOUS.encode(), mode=0o600)
    _write(config, CONFIG.encode(), mode=0o640)
    for name in ("work", "fresh"):
        result = _save(clean_env, name, "--region", "ap-south-1")
        assert result.returncode == 0, result.stderr.decode()
        assert f"region ap-south-1 in {config}" in result.stderr.decode()
        assert _botocore_view(clean_env, name) == {
            "region": "ap-south-1",
            "key": ACCESS_KEY_ID,
            "token": TOKEN,
            "method": "shared-credentials-file",
        }
    # Two lines where the profile had none, a section at the end; nothing else changed.
    saved = "# region saved by envgen --save-profile\nregion = ap-south-1\n"
    assert config.read_text() == (
        CONFIG.replace("output = json\n", "output = json\n" + saved) + "\n[profile fresh]\n" + saved
    )
    assert stat.S_IMODE(config.stat().st_mode) == 0o640


@pytest.mark.posix("a umask and file modes")
def test_a_new_config_file_is_private_and_the_default_profile_uses_default(
    clean_env: dict[str, str],
) -> None:
    config = _config_file(clean_env)
    result = _save(clean_env, "default", "--region", "eu-north-1", umask=0o000)
    assert result.returncode == 0, result.stderr.decode()
    assert config.read_text() == (
        "[default]\n# region saved by envgen --save-profile\nregion = eu-north-1\n"
    )
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert _botocore_view(clean_env, "default")["region"] == "eu-north-1"


def test_a_profile_name_with_a_space_is_quoted_as_botocore_reads_it(
    clean_env: dict[str, str],
) -> None:
    result = _save(clean_env, "team a's", "--region", "sa-east-1")
    assert result.returncode == 0, result.stderr.decode()
    view = _botocore_view(clean_env, "team a's")
    assert view["region"] == "sa-east-1" and view["key"] == ACCESS_KEY_ID


def test_an_existing_region_is_updated_in_place(clean_env: dict[str, str]) -> None:
    config = _config_file(clean_env)
    text = "[profile work]\r\nregion = eu-west-1\r\n; keep me\r\n"
    _write(config, text.encode())
    assert _save(clean_env, "work", "--region", "us-west-2").returncode == 0
    assert config.read_bytes() == text.replace("eu-west-1", "us-west-2").encode()


def test_without_a_region_the_config_file_is_not_touched(clean_env: dict[str, str]) -> None:
    config = _config_file(clean_env)
    _write(config, CONFIG.encode())
    assert _save(clean_env, "fresh").returncode == 0
    assert config.read_bytes() == CONFIG.encode()


def _clear(env: dict[str, str], name: str, *extra: str) -> subprocess.CompletedProcess[bytes]:
    return invoke_envgen(["clear", "--shell", "bash", "--profile", name, *extra], env)


def test_clear_profile_takes_out_exactly_what_the_save_wrote(clean_env: dict[str, str]) -> None:
    path, config = _credentials_file(clean_env), _config_file(clean_env)
    _write(path, PRECIOUS.encode(), mode=0o600)
    _write(config, CONFIG.encode())
    for name in ("fresh", "work", "team a's"):
        assert _save(clean_env, name, "--region", "ap-south-1").returncode == 0
    for name in ("fresh", "team a's"):
        result = _clear(clean_env, name)
        assert result.returncode == 0, result.stderr.decode()
        assert f"removed profile {name} from {path} and {config}" in result.stderr.decode()
        assert b"unset AWS_ACCESS_KEY_ID" in result.stdout
    # A temporary profile that was there before loses its keys, nothing else.
    result = _clear(clean_env, "work")
    assert result.returncode == 0, result.stderr.decode()
    assert config.read_bytes() == CONFIG.encode()
    # The region the section held was updated by the save, since botocore reads it first.
    assert _botocore_profiles(path)["work"] == {"region": "ap-south-1"}
    assert path.read_bytes().startswith(PRECIOUS.encode()[: PRECIOUS.index("[work]")])
    assert "fresh" not in _botocore_profiles(path)
    assert "profile fresh" not in _botocore_profiles(config)


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_clear_profile_right_after_a_save_restores_both_files(
    clean_env: dict[str, str], newline: str
) -> None:
    # Byte for byte, for files that end in a line break (a save must add one otherwise).
    path, config = _credentials_file(clean_env), _config_file(clean_env)
    credentials_before = (PRECIOUS + "\n").replace("\n", newline).encode()
    config_before = CONFIG.replace("\n", newline).encode()
    _write(path, credentials_before, mode=0o600)
    _write(config, config_before)
    assert _save(clean_env, "fresh", "--region", "ap-south-1").returncode == 0
    assert _clear(clean_env, "fresh").returncode == 0
    assert path.read_bytes() == credentials_before
    assert config.read_bytes() == config_before
    # No lock file or temporary file stays behind either.
    assert sorted(p.name for p in path.parent.iterdir()) == ["config", "credentials"]


def test_clear_profile_refuses_long_term_keys_without_force(clean_env: dict[str, str]) -> None:
    path, config = _credentials_file(clean_env), _config_file(clean_env)
    _write(path, PRECIOUS.encode(), mode=0o600)
    _write(config, CONFIG.encode())
    message = assert_failed_cleanly(_clear(clean_env, "default"), LONG_TERM_SECRET)
    assert "long-term keys" in message and "--force" in message
    assert path.read_bytes() == PRECIOUS.encode()
    result = _clear(clean_env, "other", "--force")
    assert result.returncode == 0, result.stderr.decode()
    assert "other" not in _botocore_profiles(path)
    assert _botocore_profiles(path)["default"]["aws_secret_access_key"] == LONG_TERM_SECRET
    assert config.read_bytes() == CONFIG.encode()


def test_clear_profile_leaves_what_envgen_did_not_write(clean_env: dict[str, str]) -> None:
    path, config = _credentials_file(clean_env), _config_file(clean_env)
    _write(path, PRECIOUS.encode(), mode=0o600)
    _write(config, CONFIG.encode())
    for name in ("admin", "nosuch"):
        message = assert_failed_cleanly(_clear(clean_env, name))
        assert f"profile {name}" in message and "nothing to remove" in message
    assert path.read_bytes() == PRECIOUS.encode()
    assert config.read_bytes() == CONFIG.encode()
    assert _clear(clean_env, "fresh", "--force").returncode != 0
    result = invoke_envgen(["clear", "--shell", "bash", "--force"], clean_env)
    assert result.returncode == 2 and "--profile" in assert_failed_cleanly(result)


def test_a_save_without_an_expiry_drops_the_old_one(clean_env: dict[str, str]) -> None:
    path = _credentials_file(clean_env)
    assert _save(clean_env, "work").returncode == 0
    _write(path, path.read_bytes().replace(b"aws_session_token", b"aws_security_token"), 0o600)
    result = invoke_envgen(
        [
            "import",
            *KEY_FLAGS,
            "--shell",
            "bash",
            "--save-profile",
            "work",
        ],
        clean_env,
    )
    assert result.returncode == 0, result.stderr.decode()
    assert _botocore_profiles(path)["work"] == {
        "aws_access_key_id": ACCESS_KEY_ID,
        "aws_secret_access_key": SECRET,
        "aws_session_token": TOKEN,
    }


@pytest.mark.parametrize("which", ["credentials", "config"])
@pytest.mark.parametrize("kind", ["fifo", "device", "oversized"])
@pytest.mark.posix("FIFOs and /dev/zero")
def test_a_file_that_is_no_small_regular_file_is_refused_at_once(
    clean_env: dict[str, str], tmp_path: Path, which: str, kind: str
) -> None:
    path = _credentials_file(clean_env) if which == "credentials" else _config_file(clean_env)
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "fifo":
        os.mkfifo(path)  # no writer ever comes: reading it would block for good
    elif kind == "device":
        path.symlink_to("/dev/zero")
    else:
        with path.open("wb") as big:
            big.write(b"[default]\n" + b"# padding\n" * (500 * 1024))
    result = _save(clean_env, "fresh", "--region", "eu-west-1")
    message = assert_failed_cleanly(result)
    assert str(path) in message
    assert "regular file" in message or "MiB" in message
