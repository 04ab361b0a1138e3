"""Under `exec --serve`, nothing the SDKs read before the container endpoint wins over it in the
command: not a `[default]` with long-term keys or a role in either AWS file, not keys or a
profile in the caller's environment. The command keeps the default region and the other
profiles."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from conftest import BIN_DIR, HARNESS, require_javascript_sdk
from envgen_process import run_envgen
from sts_server import BASE_ACCESS_KEY_ID, BASE_SECRET, StsServer, role_arn

pytestmark = pytest.mark.posix("a POSIX shell to run the SDKs one after the other")

OTHER_KEY = "AKIAIOSFODNN7OTHERKY"
OTHER_SECRET = "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"
KEYS = f"aws_access_key_id = {BASE_ACCESS_KEY_ID}\naws_secret_access_key = {BASE_SECRET}\n"

_ASKED = (
    "import json, sys, botocore.session\n"
    "default = botocore.session.Session()\n"
    "other = botocore.session.Session(profile='other').get_credentials()\n"
    "json.dump({'region': default.get_config_variable('region'),"
    " 'other': other.access_key}, open(sys.argv[1], 'w'))\n"
)

# What the default profile holds in each file, and what the caller's environment adds.
CASES = {
    "long-term keys in the credentials file": ("region = eu-west-1\n", KEYS, {}),
    "long-term keys in the config file": ("region = eu-west-1\n" + KEYS, "", {}),
    "a role in the config file": (
        f"region = eu-west-1\nrole_arn = {role_arn('Default')}\nsource_profile = base\n",
        "",
        {},
    ),
    "a credential_process in the config file": (
        "region = eu-west-1\ncredential_process = /bin/false\n",
        KEYS,
        {},
    ),
    "keys and profiles in the environment": (
        "region = eu-west-1\n",
        KEYS,
        {
            "AWS_ACCESS_KEY_ID": BASE_ACCESS_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": BASE_SECRET,
            "AWS_PROFILE": "default",
            "AWS_DEFAULT_PROFILE": "default",
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/elsewhere",
        },
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_endpoint_wins_in_the_command(sts_env, sts: StsServer, tmp_path: Path, case: str):
    modules = require_javascript_sdk()
    default_config, default_credentials, environment = CASES[case]
    home = Path(sts_env["HOME"])
    Path(sts_env["AWS_CONFIG_FILE"]).write_text(
        f"[default]\n{default_config}"
        f"[profile dev]\nrole_arn = {role_arn('Dev')}\nsource_profile = base\n"
        "[profile other]\nregion = us-east-2\n"
    )
    Path(sts_env["AWS_SHARED_CREDENTIALS_FILE"]).write_text(
        (f"[default]\n{default_credentials}" if default_credentials else "")
        + f"[base]\n{KEYS}"
        + f"[other]\naws_access_key_id = {OTHER_KEY}\naws_secret_access_key = {OTHER_SECRET}\n"
    )
    originals = {
        name: Path(sts_env[name]).read_bytes()
        for name in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE")
    }
    env = dict(sts_env, ENVGEN_TEST_NODE_MODULES=str(modules), **environment)
    outputs = {
        name: tmp_path / f"{name}.json" for name in ("botocore", "javascript", "cli", "asked")
    }
    script = (
        '"$1" "$2" "$3" && "$4" "$5" "$6" && "$7" sts get-caller-identity --output json > "$8"'
        ' && "$1" -c "$9" "${10}"'
    )
    result = run_envgen(
        [
            "exec",
            "dev",
            "--serve",
            "--",
            "sh",
            "-c",
            script,
            "sh",
            sys.executable,
            str(HARNESS / "sdk_identity.py"),
            str(outputs["botocore"]),
            shutil.which("node") or "node",
            str(HARNESS / "sdk_identity.cjs"),
            str(outputs["javascript"]),
            str(BIN_DIR / "aws"),
            str(outputs["cli"]),
            _ASKED,
            str(outputs["asked"]),
        ],
        env,
    )

    assert result.returncode == 0, result.stderr.decode()
    botocore = json.loads(outputs["botocore"].read_text())
    javascript = json.loads(outputs["javascript"].read_text())
    assert botocore["accessKeyId"].startswith("ASIA"), botocore
    assert javascript == botocore
    assert ":assumed-role/Dev/" in json.loads(outputs["cli"].read_text())["Arn"]
    asked = json.loads(outputs["asked"].read_text())
    assert asked == {"region": "eu-west-1", "other": OTHER_KEY}
    # Only the Dev role was assumed: the default profile's role was never asked for.
    assert [call["RoleArn"] for call in sts.log.requests("AssumeRole")] == [role_arn("Dev")]
    # The user's own files are as they were, and the command's copies are gone.
    for name, content in originals.items():
        assert Path(sts_env[name]).read_bytes() == content
    assert not list(home.glob("**/envgen-serve-*"))


def test_keys_in_a_boto_config_file_do_not_win_and_its_other_settings_stay(
    sts_env, sts: StsServer, tmp_path: Path
):
    home = Path(sts_env["HOME"])
    boto = home / ".boto"
    boto.write_text(
        f"[Credentials]\n{KEYS}gs_oauth2_refresh_token = kept\n[GSUtil]\ndefault_project_id = p\n"
    )
    config = Path(sts_env["AWS_CONFIG_FILE"])
    config.write_text(
        config.read_text()
        + f"[profile dev]\nrole_arn = {role_arn('Dev')}\nsource_profile = default\n"
    )
    out = tmp_path / "botocore.json"
    result = run_envgen(
        [
            "exec",
            "dev",
            "--serve",
            "--",
            "sh",
            "-c",
            '"$0" "$1" "$2"; cat "${BOTO_CONFIG:-/dev/null}"',
            sys.executable,
            str(HARNESS / "sdk_identity.py"),
            str(out),
        ],
        sts_env,
    )

    assert json.loads(out.read_text())["accessKeyId"].startswith("ASIA")
    assert result.returncode == 0, result.stderr.decode()
    copy = result.stdout.decode()
    assert "gs_oauth2_refresh_token = kept" in copy and "default_project_id = p" in copy
    assert BASE_ACCESS_KEY_ID not in copy and BASE_SECRET not in copy
