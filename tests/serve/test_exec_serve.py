"""`envgen exec PROFILE --serve -- CMD`, run for real: the command's SDK reads its credentials
from envgen's endpoint on 127.0.0.1, sees them renewed, and nothing else gets them."""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path

import pytest

from conftest import BIN_DIR, HARNESS
from envgen_process import assert_failed_cleanly, run_envgen
from sts_server import BASE_ACCESS_KEY_ID, BASE_SECRET, StsServer, role_arn

pytestmark = pytest.mark.posix("a POSIX process model for the command and its signals")

CHILD = str(HARNESS / "served_child.py")


def with_role_profile(env: dict[str, str], duration: int = 900) -> dict[str, str]:
    config = Path(env["AWS_CONFIG_FILE"])
    config.write_text(
        config.read_text()
        + f"[profile dev]\nrole_arn = {role_arn('Dev')}\nsource_profile = default\n"
        f"duration_seconds = {duration}\n"
    )
    return env


def test_a_boto3_command_sees_the_credentials_renewed_during_one_run(
    sts_env, sts: StsServer, tmp_path: Path
):
    # 900 s credentials renewed 890 s before they expire: a renewal 10 s into the run.
    # Records of credentials the shell holds: the command's are the endpoint's, not those.
    env = dict(
        with_role_profile(sts_env),
        ENVGEN_REFRESH_BEFORE="890",
        ENVGEN_CHECK_AT="1",
        ENVGEN_EXPIRATION="2",
    )
    out = tmp_path / "seen.json"
    result = run_envgen(
        ["exec", "dev", "--serve", "--", sys.executable, CHILD, str(out), "renewal"], env
    )

    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout == b""
    seen = json.loads(out.read_text())
    assert seen["method"] == "container-role"
    assert len(seen["keys"]) == 2, seen
    assert BASE_ACCESS_KEY_ID not in seen["keys"]
    assert all(":assumed-role/Dev/" in arn for arn in seen["arns"]), seen["arns"]
    assert seen["environment"]["AWS_ACCESS_KEY_ID"] is None
    assert seen["environment"]["AWS_SECRET_ACCESS_KEY"] is None
    assert seen["environment"]["AWS_SESSION_TOKEN"] is None
    assert seen["environment"]["ENVGEN_CHECK_AT"] is None
    assert seen["environment"]["ENVGEN_EXPIRATION"] is None
    # The first credentials and one renewal; the command's own calls go to GetCallerIdentity.
    assert sts.log.counts()["AssumeRole"] == 2
    assert "renewed the credentials" in result.stderr.decode()


def test_the_endpoint_answers_only_the_token_on_loopback_and_ends_with_the_command(
    sts_env, sts: StsServer, tmp_path: Path
):
    env = with_role_profile(sts_env)
    out = tmp_path / "seen.json"
    result = run_envgen(
        ["exec", "dev", "--serve", "-v", "--", sys.executable, CHILD, str(out), "probe"], env
    )

    assert result.returncode == 0, result.stderr.decode()
    seen = json.loads(out.read_text())
    assert seen["host"] == "127.0.0.1"
    assert seen["without_token"] == 401
    assert seen["wrong_token"] == 403
    assert seen["token_twice"] == "403"
    assert seen["with_token"] == 200
    assert seen["document_keys"] == ["AccessKeyId", "Expiration", "SecretAccessKey", "Token"]
    assert seen["access_key_id"].startswith("ASIA")
    # Neither the silent client nor the trickling one held the answer up.
    assert seen["answer_seconds"] < 2, seen
    assert seen["trickler_answer"] == ["408"], seen
    assert seen["huge_header"] in ("431", "closed"), seen
    assert seen["huge_header_seconds"] < 5, seen
    assert seen["after_huge_header"] == 200, seen
    assert seen["other_loopback"] == "refused"
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", seen["port"]), timeout=5).close()
    # Never a secret on stderr: not the token, not the keys.
    stderr = result.stderr.decode()
    assert seen["access_key_id"] not in stderr
    assert seen["token"] not in stderr
    assert len(seen["token"]) >= 40


def test_the_aws_cli_reads_its_credentials_from_the_endpoint(sts_env, sts: StsServer):
    env = with_role_profile(sts_env)
    result = run_envgen(
        ["exec", "dev", "--serve", "--", str(BIN_DIR / "aws"), "sts", "get-caller-identity"],
        env,
    )

    assert result.returncode == 0, result.stderr.decode()
    identity = json.loads(result.stdout)
    assert ":assumed-role/Dev/" in identity["Arn"]
    assert sts.log.counts()["AssumeRole"] == 1


def test_credentials_that_cannot_be_renewed_are_served_until_they_expire_and_said_once(
    sts_env, sts: StsServer, tmp_path: Path
):
    import boto3

    issued = boto3.client(
        "sts",
        endpoint_url=sts.url,
        region_name="eu-west-1",
        aws_access_key_id=BASE_ACCESS_KEY_ID,
        aws_secret_access_key=BASE_SECRET,
    ).assume_role(RoleArn=role_arn("Dev"), RoleSessionName="caller", DurationSeconds=900)
    credentials = issued["Credentials"]
    sts.log.reset()
    # Temporary keys in the caller's environment are served as they are: nothing can renew
    # them, and the renewal 10 s into the run must not turn into a request every few seconds.
    env = dict(
        sts_env,
        ENVGEN_REFRESH_BEFORE="890",
        AWS_ACCESS_KEY_ID=credentials["AccessKeyId"],
        AWS_SECRET_ACCESS_KEY=credentials["SecretAccessKey"],
        AWS_SESSION_TOKEN=credentials["SessionToken"],
        AWS_CREDENTIAL_EXPIRATION=credentials["Expiration"].isoformat(),
    )
    out = tmp_path / "seen.json"
    result = run_envgen(
        [
            "exec",
            "--serve",
            "--",
            "sh",
            "-c",
            'sleep 13 && "$0" "$1" "$2"',
            sys.executable,
            str(HARNESS / "sdk_identity.py"),
            str(out),
        ],
        env,
    )

    assert result.returncode == 0, result.stderr.decode()
    assert json.loads(out.read_text())["accessKeyId"] == credentials["AccessKeyId"]
    said = [line for line in result.stderr.decode().splitlines() if "no newer" in line]
    assert len(said) == 1, result.stderr.decode()
    assert sum(sts.log.counts().values()) == 0


@pytest.mark.parametrize("window", ["soon", "-5", "1e3", "99999999"])
def test_a_malformed_refresh_window_is_refused_before_sts_is_asked(
    sts_env, sts: StsServer, window: str
):
    env = dict(with_role_profile(sts_env), ENVGEN_REFRESH_BEFORE=window)
    result = run_envgen(["exec", "dev", "--serve", "--", "true"], env)

    message = assert_failed_cleanly(result)
    assert message.startswith("ENVGEN_REFRESH_BEFORE"), message
    assert result.returncode == 2
    assert sum(sts.log.counts().values()) == 0
