"""What the tests of the STS commands share: reading what envgen issued, applying it as a shell
would, and the profile chains they assume (run against tests/harness/sts_server.py)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from envgen_in_process import invoke_envgen
from sts_server import (
    role_arn,
)

OTHER_ACCOUNT = "210987654321"
MFA_DEVICE = "arn:aws:iam::123456789012:mfa/alice"


def issued(result: subprocess.CompletedProcess[bytes]) -> dict[str, str]:
    """The credential_process document envgen printed (--format json)."""
    assert result.returncode == 0, result.stderr.decode()
    document = json.loads(result.stdout)
    assert document["Version"] == 1
    return document


def lifetime(document: dict[str, str]) -> float:
    expiration = datetime.fromisoformat(document["Expiration"].replace("Z", "+00:00"))
    return (expiration - datetime.now(timezone.utc)).total_seconds()


def with_keys(env: dict[str, str], document: dict[str, str]) -> dict[str, str]:
    """The environment of a shell that applied the credentials."""
    child = dict(env)
    child.update(
        AWS_ACCESS_KEY_ID=document["AccessKeyId"],
        AWS_SECRET_ACCESS_KEY=document["SecretAccessKey"],
        AWS_SESSION_TOKEN=document["SessionToken"],
    )
    return child


def identity(env: dict[str, str]) -> dict[str, str]:
    result = invoke_envgen(["whoami", "--json"], env)
    assert result.returncode == 0, result.stderr.decode()
    return json.loads(result.stdout)


def write_config(env: dict[str, str], text: str) -> None:
    Path(env["AWS_CONFIG_FILE"]).write_text(text)


CHAIN_CONFIG = f"""\
[default]
region = eu-west-1

[profile hop]
role_arn = {role_arn("Hop")}
source_profile = default

[profile prod]
role_arn = {role_arn("Prod", OTHER_ACCOUNT)}
source_profile = hop
mfa_serial = {MFA_DEVICE}
region = eu-central-1
"""


def cache_key(arguments: dict[str, object]) -> str:
    """botocore's key for assumed-role credentials: the SHA-1 of the AssumeRole arguments."""
    return hashlib.sha1(json.dumps(arguments, sort_keys=True).encode()).hexdigest()


def cached_keys(env: dict[str, str]) -> set[str]:
    return {path.stem for path in (Path(env["HOME"]) / ".aws" / "cli" / "cache").glob("*.json")}


# The helper gives the child a controlling terminal the Linux way (open after setsid).
on_linux = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="controlling terminals are set up the Linux way"
)


# The same chain, with no MFA device for prod.
CHAIN_WITHOUT_MFA = CHAIN_CONFIG.replace(f"mfa_serial = {MFA_DEVICE}\n", "")
