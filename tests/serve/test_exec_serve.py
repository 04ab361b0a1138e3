"""`envgen exec PROFILE --serve -- CMD`, run for real: the command's SDK reads its credentials
from envgen's endpoint on 127.0.0.1, sees them renewed, and nothing else gets them."""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path

import pytest

from conftest import BIN_DIR, HARNESS
from sts_server import BASE_ACCESS_KEY_ID, StsServer, role_arn, run_envgen

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
    env = dict(with_role_profile(sts_env), ENVGEN_REFRESH_BEFORE="890")
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
    # The first credentials and one renewal; the command's own calls go to GetCallerIdentity.
    assert sts.log.counts()["AssumeRole"] == 2
    assert "renewed the credentials" in result.stderr.decode()


def test_the_endpoint_answers_only_the_token_on_loopback_and_ends_with_the_command(
    sts_env, sts: StsServer, tmp_path: Path
):
    env = with_role_profile(sts_env)
    out = tmp_path / "seen.json"
    result = run_envgen(
        ["exec", "dev", "--serve", "--", sys.executable, CHILD, str(out), "probe"], env
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
