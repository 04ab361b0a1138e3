"""`envgen exec` hands its child the new identity only: a profile or legacy token left in the
caller's environment would win over the new keys in the JavaScript SDK or in botocore."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from conftest import HARNESS, require_javascript_sdk
from envgen_process import run_envgen
from sts_server import BASE_ACCESS_KEY_ID, StsServer, role_arn

SHELLS_DIR = HARNESS


def test_exec_child_sees_only_the_new_identity(sts_env, sts: StsServer, tmp_path: Path):
    modules = require_javascript_sdk()
    # AWS_PROFILE names the profile exec starts from; it must not reach the child.
    env = dict(
        sts_env,
        AWS_PROFILE="default",
        AWS_DEFAULT_PROFILE="default",
        AWS_SECURITY_TOKEN="stale-security-token",
        ENVGEN_TEST_NODE_MODULES=str(modules),
    )
    javascript, botocore = tmp_path / "javascript.json", tmp_path / "botocore.json"
    result = run_envgen(
        [
            "exec",
            "--role-arn",
            role_arn("Dev"),
            "--",
            "sh",
            "-c",
            '"$1" "$2" "$3" && "$4" "$5" "$6" && printf "%s|%s|%s|%s" "$AWS_ACCESS_KEY_ID" '
            '"${AWS_PROFILE-unset}" "${AWS_DEFAULT_PROFILE-unset}" "${AWS_SECURITY_TOKEN-unset}"',
            "sh",
            shutil.which("node") or "node",
            str(SHELLS_DIR / "sdk_identity.cjs"),
            str(javascript),
            sys.executable,
            str(SHELLS_DIR / "sdk_identity.py"),
            str(botocore),
        ],
        env,
    )

    assert result.returncode == 0, result.stderr.decode()
    key, *selectors = result.stdout.decode().split("|")
    assert selectors == ["unset", "unset", "unset"]
    assert key != BASE_ACCESS_KEY_ID
    for path in (javascript, botocore):
        seen = json.loads(path.read_text())
        assert seen["accessKeyId"] == key, (path.name, seen)
        assert seen["sessionToken"] not in (None, "stale-security-token"), (path.name, seen)
