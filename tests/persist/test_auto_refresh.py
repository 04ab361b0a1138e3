"""--save-profile NAME --auto-refresh against a real STS endpoint: the AWS CLI and botocore get
their credentials through the saved profile's credential_process, which runs envgen again."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import BIN_DIR, ENVGEN, HARNESS, require_javascript_sdk, require_program
from envgen_in_process import invoke_envgen
from envgen_process import assert_failed_cleanly
from sso_server import SsoServer, signed_in_as_the_aws_cli
from sts_server import ACCOUNT, StsServer, converse_on_terminal, role_arn

# awscli's own script, run by the interpreter: on Windows too, where it has no launcher.
AWS_CLI = [sys.executable, str(BIN_DIR / "aws")]

ROLE_PROFILE = (
    "[default]\nregion = eu-west-1\n\n"
    f"[profile admin]\nrole_arn = {role_arn('Admin')}\nsource_profile = default\n"
    "region = ap-southeast-2\n"
)

# What a user's config file tends to hold around the profile envgen adds.
USERS_CONFIG = (
    "# my settings; keep them\r\n"
    "[default]\r\n"
    "region = eu-west-1\r\n"
    "; a comment of mine\r\n"
    "\r\n"
    f"[profile admin]\r\nrole_arn = {role_arn('Admin')}\r\nsource_profile = default\r\n"
)


def _config(env: dict[str, str]) -> Path:
    return Path(env["AWS_CONFIG_FILE"])


def _credentials(env: dict[str, str]) -> Path:
    return Path(env["AWS_SHARED_CREDENTIALS_FILE"])


def _profiles(path: Path) -> dict[str, dict[str, str]]:
    """The profiles of a config or credentials file, as botocore reads them."""
    from botocore.configloader import load_config, raw_config_parse

    if path.name == "credentials":
        return raw_config_parse(str(path))
    return load_config(str(path))["profiles"]


def _save(
    env: dict[str, str], name: str, *args: str, source: str = "admin"
) -> subprocess.CompletedProcess[bytes]:
    head = ["assume", source] if source else ["assume"]
    return invoke_envgen(
        [*head, *args, "--shell", "bash", "--save-profile", name, "--auto-refresh"], env
    )


def _saved(env: dict[str, str], name: str, *args: str, source: str = "admin") -> None:
    result = _save(env, name, *args, source=source)
    assert result.returncode == 0, result.stderr.decode()


def fresh_environment(env: dict[str, str]) -> dict[str, str]:
    """A new login's environment: where the files and the endpoints are, nothing of envgen on
    PATH, no credentials and no envgen records."""
    kept = ("HOME", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE")
    fresh = {name: env[name] for name in kept}
    fresh.update({name: value for name, value in env.items() if name.startswith("AWS_ENDPOINT")})
    fresh.update(PATH=os.defpath, LANG="C.UTF-8", AWS_EC2_METADATA_DISABLED="true")
    if os.name == "nt":
        fresh.update(USERPROFILE=env["USERPROFILE"], SYSTEMROOT=os.environ["SYSTEMROOT"])
    return fresh


def botocore_identity(env: dict[str, str], profile: str) -> str:
    script = (
        "import boto3, sys\n"
        "print(boto3.Session(profile_name=sys.argv[1]).client('sts')"
        ".get_caller_identity()['Arn'])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, profile],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=env["HOME"],
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def aws_cli_identity(env: dict[str, str], profile: str) -> str:
    done = subprocess.run(
        [*AWS_CLI, "sts", "get-caller-identity", "--profile", profile, "--output", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=env["HOME"],
    )
    assert done.returncode == 0, done.stderr
    return str(json.loads(done.stdout)["Arn"])


def test_the_aws_cli_and_botocore_renew_through_the_profile_from_the_cache(
    sts_env: dict[str, str], sts: StsServer
) -> None:
    _config(sts_env).write_text(ROLE_PROFILE)
    # A plain --save-profile of earlier: its keys would win over credential_process.
    with _credentials(sts_env).open("a") as credentials:
        credentials.write(
            "\n[admin-auto]\naws_access_key_id = ASIASTALE\naws_secret_access_key = stale\n"
            "aws_session_token = stale\n"
        )
    result = _save(sts_env, "admin-auto")
    assert result.returncode == 0, result.stderr.decode()
    assert b"export AWS_PROFILE='admin-auto';" in result.stdout
    assert b"AWS_SECRET_ACCESS_KEY=" not in result.stdout
    assert sts.log.counts()["AssumeRole"] == 1
    saved = _profiles(_config(sts_env))["admin-auto"]
    assert saved["region"] == "ap-southeast-2"
    assert "admin-auto" not in _profiles(_credentials(sts_env))

    # A new login, without envgen on PATH: the profile names envgen by its absolute path.
    fresh = fresh_environment(sts_env)
    assert shutil.which("envgen", path=fresh["PATH"]) is None
    sts.log.reset()
    assert ":assumed-role/Admin/" in aws_cli_identity(fresh, "admin-auto")
    assert ":assumed-role/Admin/" in botocore_identity(fresh, "admin-auto")
    # Within the credentials' lifetime every renewal is a cache hit: no AssumeRole at all.
    assert sts.log.counts() == {"GetCallerIdentity": 2}
    assert ":assumed-role/Admin/" in aws_cli_identity(fresh, "admin-auto")
    assert sts.log.counts() == {"GetCallerIdentity": 3}


def test_the_profile_the_output_names_renews_without_being_named_again(
    sts_env: dict[str, str], sts: StsServer
) -> None:
    # The output sets AWS_PROFILE to the saved profile, which the renewing envgen inherits.
    _config(sts_env).write_text(ROLE_PROFILE)
    _saved(sts_env, "admin-auto")
    fresh = dict(fresh_environment(sts_env), AWS_PROFILE="admin-auto")
    done = subprocess.run(
        [*AWS_CLI, "sts", "get-caller-identity", "--output", "json"],
        env=fresh,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert ":assumed-role/Admin/" in json.loads(done.stdout)["Arn"]


BOTOCORE_KEYS = (
    "import botocore.session, sys\n"
    "print(botocore.session.Session(profile=sys.argv[1]).get_credentials()"
    ".get_frozen_credentials().access_key)\n"
)


def test_an_identity_center_profile_renews_from_the_cached_role_credentials(
    sso_env: dict[str, str], sso_server: SsoServer
) -> None:
    signed_in_as_the_aws_cli(sso_env, sso_server)
    result = invoke_envgen(
        ["assume", "dev", "--shell", "bash", "--save-profile", "dev-auto", "--auto-refresh"],
        sso_env,
    )
    assert result.returncode == 0, result.stderr.decode()
    line = _profiles(_config(sso_env))["dev-auto"]["credential_process"]
    assert line.endswith(" assume --profile=dev --format=json")
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-c", BOTOCORE_KEYS, "dev-auto"],
            env=fresh_environment(sso_env),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == sso_server.issued[-1]["accessKeyId"]
    assert len(sso_server.calls_of("GetRoleCredentials")) == 1


def test_a_role_arn_renews_over_the_default_profile(
    sts_env: dict[str, str], sts: StsServer
) -> None:
    _saved(sts_env, "deploy", "--role-arn", role_arn("Deploy"), source="")
    line = _profiles(_config(sts_env))["deploy"]["credential_process"]
    assert line.endswith(f" assume --profile=default --role-arn={role_arn('Deploy')} --format=json")
    sts.log.reset()
    assert ":assumed-role/Deploy/" in botocore_identity(fresh_environment(sts_env), "deploy")
    assert sts.log.counts() == {"GetCallerIdentity": 1}


# Paths and names with what splits or ends a word: spaces, both quotes, a backslash, `$`.
AWKWARD = 'it\'s a "quoted" $dir\\'


@pytest.mark.posix("a symlink to the console script")
def test_awkward_paths_and_names_reach_botocore_word_for_word(
    sts_env: dict[str, str], sts: StsServer, tmp_path: Path
) -> None:
    import shlex

    place = tmp_path / AWKWARD
    place.mkdir()
    (place / "envgen").symlink_to(ENVGEN)
    source, name = f"ops {AWKWARD}", f"auto {AWKWARD}"
    _config(sts_env).write_text(
        f"[profile {shlex.quote(source)}]\nrole_arn = {role_arn('Ops')}\n"
        "source_profile = default\nregion = eu-west-1\n"
    )
    # The JavaScript SDK reads no quoted section name: it gets a plain one to look up.
    for saved_as in (name, "plain"):
        result = subprocess.run(
            [str(place / "envgen"), "assume", source, "--shell", "bash"]
            + ["--save-profile", saved_as, "--auto-refresh"],
            env=sts_env,
            capture_output=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr.decode()
    from botocore.compat import compat_shell_split

    line = _profiles(_config(sts_env))[name]["credential_process"]
    assert compat_shell_split(line) == [
        str(place / "envgen"),
        "assume",
        f"--profile={source}",
        "--format=json",
    ]
    fresh = fresh_environment(sts_env)
    assert ":assumed-role/Ops/" in aws_cli_identity(fresh, name)
    assert ":assumed-role/Ops/" in botocore_identity(fresh, name)
    # The JavaScript SDK runs the line through `sh -c`, not a splitter of its own.
    answer = tmp_path / "javascript.json"
    done = subprocess.run(
        [require_program("node"), str(HARNESS / "sdk_identity.cjs"), str(answer)],
        env=dict(
            fresh,
            AWS_PROFILE="plain",
            ENVGEN_TEST_NODE_MODULES=str(require_javascript_sdk()),
            PATH=os.defpath,
        ),
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr.decode()
    found = json.loads(answer.read_text())
    assert found.get("accessKeyId", "").startswith("ASIA"), found


def test_run_as_a_module_the_profile_runs_the_module(
    sts_env: dict[str, str], sts: StsServer
) -> None:
    _config(sts_env).write_text(ROLE_PROFILE)
    result = subprocess.run(
        [sys.executable, "-m", "envgen", "assume", "admin", "--shell", "bash"]
        + ["--save-profile", "by-module", "--auto-refresh"],
        env=sts_env,
        capture_output=True,
        timeout=60,
        cwd=sts_env["HOME"],
    )
    assert result.returncode == 0, result.stderr.decode()
    from botocore.compat import compat_shell_split

    line = _profiles(_config(sts_env))["by-module"]["credential_process"]
    assert compat_shell_split(line)[:3] == [sys.executable, "-m", "envgen"]
    assert ":assumed-role/Admin/" in botocore_identity(fresh_environment(sts_env), "by-module")


MFA_PROFILE = (
    "[default]\nregion = eu-west-1\n\n"
    f"[profile guarded]\nrole_arn = {role_arn('Guarded')}\nsource_profile = default\n"
    f"mfa_serial = arn:aws:iam::{ACCOUNT}:mfa/alice\nregion = eu-west-1\n"
)


@pytest.mark.posix("a pseudo-terminal")
def test_an_mfa_code_is_asked_on_the_terminal_while_stdout_is_the_sdks_pipe(
    sts_env: dict[str, str], sts: StsServer
) -> None:
    _config(sts_env).write_text(MFA_PROFILE)
    _saved(sts_env, "guarded-auto", "--token-code", "908172", source="guarded")
    assert "908172" not in _config(sts_env).read_text()
    # Gone from the cache, the role must be assumed again, with a new code.
    shutil.rmtree(Path(sts_env["HOME"]) / ".aws" / "cli" / "cache")
    sts.log.reset()
    script = (
        "import boto3\n"
        "print(boto3.Session(profile_name='guarded-auto').client('sts')"
        ".get_caller_identity()['Arn'])\n"
    )
    done, shown = converse_on_terminal(
        ["-c", script],
        fresh_environment(sts_env),
        [(b"MFA code for arn:aws:iam::123456789012:mfa/alice: ", b"654321\n")],
        program=[sys.executable],
    )
    assert done.returncode == 0, done.stderr.decode()
    assert b"MFA code" in shown
    assert b"MFA code" not in done.stdout
    assert b":assumed-role/Guarded/" in done.stdout
    (assumed,) = sts.log.requests("AssumeRole")
    assert assumed["TokenCode"] == "654321"
    assert assumed["SerialNumber"] == f"arn:aws:iam::{ACCOUNT}:mfa/alice"


def test_clear_profile_right_after_a_save_restores_both_files(
    sts_env: dict[str, str], sts: StsServer
) -> None:
    _config(sts_env).write_bytes(USERS_CONFIG.encode())
    config_before = _config(sts_env).read_bytes()
    credentials_before = _credentials(sts_env).read_bytes()
    _saved(sts_env, "admin-auto", "--region", "eu-central-1")
    saved = _config(sts_env).read_bytes()
    assert saved.startswith(config_before)
    assert b"\n" not in saved.replace(b"\r\n", b"")
    # A second save replaces envgen's lines in place.
    _saved(sts_env, "admin-auto", "--region", "eu-central-1")
    assert _config(sts_env).read_bytes() == saved
    result = invoke_envgen(["clear", "--shell", "bash", "--profile", "admin-auto"], sts_env)
    assert result.returncode == 0, result.stderr.decode()
    assert _config(sts_env).read_bytes() == config_before
    assert _credentials(sts_env).read_bytes() == credentials_before


def _unchanged_after(env: dict[str, str], sts: StsServer, args: list[str]) -> str:
    """The error of a refused save, checked to have changed no file and asked STS nothing."""
    before = (_config(env).read_bytes(), _credentials(env).read_bytes())
    sts.log.reset()
    result = invoke_envgen(args, env)
    message = assert_failed_cleanly(result)
    assert (_config(env).read_bytes(), _credentials(env).read_bytes()) == before
    assert sts.log.counts() == {}
    return message


SAVE = ["--shell", "bash", "--save-profile", "auto", "--auto-refresh"]


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["saml", "--saml-assertion", "PHNhbWw+"], "SAML assertion"),
        (
            ["web-identity", "--role-arn", role_arn("W"), "--web-identity-token", "eyJx.eyJ.x"],
            "web identity token",
        ),
        (["import", "--access-key-id", "ASIAX", "--secret-access-key", "s"], "imported keys"),
        (["assume", "default"], "names neither"),
        (["assume", "admin", "--save-profile", "default", "--auto-refresh"], "choose another"),
        (["assume", "nowhere"], "no profile nowhere"),
    ],
)
def test_a_source_envgen_cannot_renew_is_refused_before_anything(
    sts_env: dict[str, str], sts: StsServer, args: list[str], said: str
) -> None:
    _config(sts_env).write_text(ROLE_PROFILE)
    tail = ["--shell", "bash"] if "--save-profile" in args else SAVE
    message = _unchanged_after(sts_env, sts, [*args, *tail])
    assert "--auto-refresh" in message or "--save-profile" in message
    assert said in message


def test_keys_in_the_environment_are_not_a_source_to_renew_from(
    sts_env: dict[str, str], sts: StsServer
) -> None:
    env = dict(sts_env, AWS_ACCESS_KEY_ID="AKIAENVIRONMENT00000", AWS_SECRET_ACCESS_KEY="s")
    message = _unchanged_after(env, sts, ["assume", "--role-arn", role_arn("Deploy"), *SAVE])
    assert "name the profile" in message


def test_auto_refresh_goes_with_save_profile(sts_env: dict[str, str], sts: StsServer) -> None:
    message = _unchanged_after(sts_env, sts, ["assume", "admin", "--auto-refresh"])
    assert "--auto-refresh goes with --save-profile" in message


def test_a_config_profile_envgen_did_not_write_needs_force(
    sts_env: dict[str, str], sts: StsServer
) -> None:
    mine = "[profile auto]\n# mine\nregion = us-west-2\noutput = json\n"
    _config(sts_env).write_text(ROLE_PROFILE + "\n" + mine)
    message = _unchanged_after(sts_env, sts, ["assume", "admin", *SAVE])
    assert "--force" in message and "region, output" in message
    _saved(sts_env, "auto", "--force")
    text = _config(sts_env).read_text()
    assert "# mine\nregion = ap-southeast-2\noutput = json\n" in text
    assert _profiles(_config(sts_env))["auto"]["output"] == "json"
    assert ":assumed-role/Admin/" in botocore_identity(fresh_environment(sts_env), "auto")


def test_long_term_keys_under_the_name_are_removed_only_with_force(
    sts_env: dict[str, str], sts: StsServer
) -> None:
    _config(sts_env).write_text(ROLE_PROFILE)
    with _credentials(sts_env).open("a") as credentials:
        credentials.write("[auto]\naws_access_key_id = AKIAMINE\naws_secret_access_key = mine\n")
    message = _unchanged_after(sts_env, sts, ["assume", "admin", *SAVE])
    assert "long-term keys" in message and "--force" in message
    result = _save(sts_env, "auto", "--force")
    assert result.returncode == 0, result.stderr.decode()
    assert "removed the long-term keys of [auto]" in result.stderr.decode()
    assert "auto" not in _profiles(_credentials(sts_env))
    assert ":assumed-role/Admin/" in botocore_identity(fresh_environment(sts_env), "auto")


@pytest.mark.posix("file owners by user id")
def test_a_config_file_of_another_user_is_not_replaced(
    sts_env: dict[str, str], sts: StsServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    _config(sts_env).write_text(ROLE_PROFILE)
    # Seen from another user, the files of this one are someone else's.
    monkeypatch.setattr(os, "geteuid", lambda: os.stat(_config(sts_env)).st_uid + 1)
    message = _unchanged_after(sts_env, sts, ["assume", "admin", *SAVE])
    assert str(_config(sts_env)) in message and "another user" in message


@pytest.mark.posix("FIFOs")
def test_a_config_file_that_is_a_fifo_is_refused_without_blocking(
    sts_env: dict[str, str], sts: StsServer
) -> None:
    _config(sts_env).unlink()
    os.mkfifo(_config(sts_env))
    result = invoke_envgen(
        ["assume", "--profile", "default", "--role-arn", role_arn("D"), *SAVE], sts_env
    )
    message = assert_failed_cleanly(result)
    assert str(_config(sts_env)) in message


@pytest.mark.posix("symlinks")
def test_a_symlinked_config_file_stays_a_symlink(
    sts_env: dict[str, str], sts: StsServer, tmp_path: Path
) -> None:
    real = tmp_path / "dotfiles" / "aws-config"
    real.parent.mkdir()
    real.write_text(ROLE_PROFILE)
    _config(sts_env).unlink()
    _config(sts_env).symlink_to(real)
    _saved(sts_env, "auto")
    assert _config(sts_env).is_symlink()
    assert "credential_process" in _profiles(real)["auto"]


@pytest.mark.posix("file names of any bytes")
def test_an_envgen_path_that_is_not_utf8_writes_nothing(
    sts_env: dict[str, str], sts: StsServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    place = Path(os.fsdecode(bytes(tmp_path) + b"/caf\xe9"))
    place.mkdir()
    (place / "envgen").symlink_to(ENVGEN)
    monkeypatch.setattr(sys, "argv", [str(place / "envgen")])
    _config(sts_env).write_text(ROLE_PROFILE)
    before = (_config(sts_env).read_bytes(), _credentials(sts_env).read_bytes())
    message = assert_failed_cleanly(_save(sts_env, "auto"))
    assert "not valid UTF-8" in message
    assert (_config(sts_env).read_bytes(), _credentials(sts_env).read_bytes()) == before


def test_a_plain_save_under_the_name_takes_the_renewal_out(
    sts_env: dict[str, str], sts: StsServer
) -> None:
    _config(sts_env).write_text(ROLE_PROFILE)
    config_before = _config(sts_env).read_bytes()
    _saved(sts_env, "admin-auto")
    result = invoke_envgen(
        ["assume", "admin", "--shell", "bash", "--save-profile", "admin-auto"], sts_env
    )
    assert result.returncode == 0, result.stderr.decode()
    saved = _profiles(_config(sts_env))["admin-auto"]
    assert "credential_process" not in saved
    assert saved["region"] == "ap-southeast-2"
    assert _profiles(_credentials(sts_env))["admin-auto"]["aws_session_token"]
    result = invoke_envgen(["clear", "--shell", "bash", "--profile", "admin-auto"], sts_env)
    assert result.returncode == 0, result.stderr.decode()
    assert _config(sts_env).read_bytes() == config_before


def test_aws_profile_naming_the_saved_profile_itself_is_said(
    sts_env: dict[str, str], sts: StsServer
) -> None:
    # The shell an earlier save left AWS_PROFILE=deploy in, saving the same role again.
    _saved(sts_env, "deploy", "--role-arn", role_arn("Deploy"), source="")
    env = dict(sts_env, AWS_PROFILE="deploy")
    message = _unchanged_after(
        env,
        sts,
        [
            "assume",
            "--role-arn",
            role_arn("Deploy"),
            "--shell",
            "bash",
            "--save-profile",
            "deploy",
            "--auto-refresh",
        ],
    )
    assert "(named by AWS_PROFILE)" in message and "name the profile to start from" in message
    _saved(env, "deploy", "--profile", "default", "--role-arn", role_arn("Deploy"), source="")


def test_kept_for_later_sessions_the_profile_is_said_to_renew(
    sts_env: dict[str, str], sts: StsServer
) -> None:
    _config(sts_env).write_text(ROLE_PROFILE)
    result = _save(sts_env, "admin-auto", "--persist")
    assert result.returncode == 0, result.stderr.decode()
    (kept,) = [line for line in result.stderr.decode().splitlines() if " kept " in line]
    assert kept.endswith("; profile admin-auto renews the credentials before they expire")
