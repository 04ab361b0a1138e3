"""The command's copies of the AWS files read, to botocore, exactly as the originals, but for
the default profile's credential settings."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from envgen.serve import aws_files

CONFIG = """\
# a comment
[default]
region = eu-west-1
output = json
aws_access_key_id = AKIAIOSFODNN7DEFAULT
aws_secret_access_key = default-secret
role_arn = arn:aws:iam::123456789012:role/Default
source_profile = base
mfa_serial = arn:aws:iam::123456789012:mfa/alice
s3 =
    addressing_style = path
    max_concurrent_requests = 20

[profile "default"]
region = eu-west-1
sso_session = corp
sso_account_id = 123456789012
sso_role_name = Admin
credential_process = /bin/false
retry_mode = standard

[profile dev]
role_arn = arn:aws:iam::123456789012:role/Dev
source_profile = base
region = us-east-2

[sso-session corp]
sso_start_url = https://example.awsapps.com/start
sso_region = eu-west-1

[services local]
sts =
    endpoint_url = http://127.0.0.1:5000
"""
CREDENTIALS = """\
[default]
aws_access_key_id = AKIAIOSFODNN7DEFAULT
aws_secret_access_key = default-secret
aws_session_token = token
region = eu-west-1

[base]
aws_access_key_id = AKIAIOSFODNN7BASEKEY
aws_secret_access_key = base-secret

[profile default]
aws_access_key_id = AKIAIOSFODNN7SECTION
aws_secret_access_key = a-profile-named-profile-default
"""


def full_config(config: str, credentials: str) -> dict[str, object]:
    import botocore.session

    session = botocore.session.Session()
    session.set_config_variable("config_file", config)
    session.set_config_variable("credentials_file", credentials)
    return session.full_config


def test_the_copies_differ_from_the_files_only_by_the_default_profiles_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    config, credentials = tmp_path / "config", tmp_path / "credentials"
    config.write_text(CONFIG)
    credentials.write_text(CREDENTIALS)
    environ = {"AWS_CONFIG_FILE": str(config), "AWS_SHARED_CREDENTIALS_FILE": str(credentials)}

    with aws_files.private_copies(environ) as copies:
        directory = Path(copies["AWS_CONFIG_FILE"]).parent
        assert directory.stat().st_mode & 0o777 == 0o700
        for path in copies.values():
            assert Path(path).stat().st_mode & 0o777 == 0o600
        copied = full_config(copies["AWS_CONFIG_FILE"], copies["AWS_SHARED_CREDENTIALS_FILE"])

    assert not directory.exists()
    original = full_config(str(config), str(credentials))
    default = original["profiles"].pop("default")  # type: ignore[attr-defined]
    assert copied["profiles"].pop("default") == {  # type: ignore[attr-defined]
        key: value for key, value in default.items() if key not in aws_files.CREDENTIAL_SETTINGS
    }
    assert copied == original
    assert set(default) - aws_files.CREDENTIAL_SETTINGS == {"region", "retry_mode"}


def test_missing_files_give_empty_copies(tmp_path: Path):
    environ = {
        "AWS_CONFIG_FILE": str(tmp_path / "none" / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none" / "credentials"),
    }
    with aws_files.private_copies(environ) as copies:
        assert (
            full_config(copies["AWS_CONFIG_FILE"], copies["AWS_SHARED_CREDENTIALS_FILE"])[
                "profiles"
            ]
            == {}
        )


def test_the_copies_live_in_the_users_runtime_directory(tmp_path: Path):
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    environ = {
        "AWS_CONFIG_FILE": os.devnull + "-missing",
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull + "-missing",
        "XDG_RUNTIME_DIR": str(runtime),
    }
    with aws_files.private_copies(environ) as copies:
        assert Path(copies["AWS_CONFIG_FILE"]).parent.parent == runtime
