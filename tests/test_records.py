"""envgen's records beside the credentials it sets (envgen.records): what they hold, how every
shell carries them, and ENVGEN_REFRESH_BEFORE."""

from __future__ import annotations

import base64
import json
import re
import subprocess
from pathlib import Path

import pytest

from envgen.errors import UsageError
from envgen.records import RECORD_VARIABLES, Origin, key_digest, refresh_window
from envgen_in_process import invoke_envgen
from shell_harness import MANAGED, REAL_SHELLS, RealShell, import_command, run_steps
from sts_server import StsServer, role_arn

HOSTILE_PROFILE = "pr\"of'il~e\\ é😀 %!^&|<>$(x)`y` {a,b} *\t\n"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
TOKEN = "IQoJb3JpZ2luX2VjEXAMPLETOKEN"


def decoded(text: str) -> dict[str, object]:
    """ENVGEN_SOURCE read independently of envgen: URL-safe base64 of a JSON document."""
    assert re.fullmatch(r"[A-Za-z0-9_-]+", text), text
    return dict(json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))))


def records(result: subprocess.CompletedProcess[bytes]) -> dict[str, str]:
    assert result.returncode == 0, result.stderr.decode()
    found = dict(re.findall(r"^export (ENVGEN_[A-Z_]+)='([^']*)';$", result.stdout.decode(), re.M))
    return found


def test_an_origin_comes_back_whatever_its_profile_holds() -> None:
    origin = Origin(
        "role",
        key_digest("ASIAEXAMPLE"),
        profile=HOSTILE_PROFILE,
        role_arn="arn:aws:iam::123456789012:role/R",
        duration_seconds=900,
        persisted=True,
    )
    text = origin.text()
    assert decoded(text)["profile"] == HOSTILE_PROFILE
    assert Origin.from_text(text) == origin


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not base64!",
        base64.urlsafe_b64encode(b'{"v":2,"kind":"role","key_digest":"x"}').decode(),
        base64.urlsafe_b64encode(b'{"v":1,"kind":"role"}').decode(),
        base64.urlsafe_b64encode(b'{"v":1,"kind":"role","key_digest":"x","other":1}').decode(),
        base64.urlsafe_b64encode(b'{"v":1,"kind":1,"key_digest":"x"}').decode(),
        base64.urlsafe_b64encode(b'{"v":1,"kind":"r","key_digest":"x","persisted":1}').decode(),
        base64.urlsafe_b64encode(b"[1]").decode(),
        "A" * 20000,
    ],
)
def test_anything_envgen_did_not_write_is_no_origin(text: str) -> None:
    assert Origin.from_text(text) is None


def test_the_refresh_window_is_read_and_checked() -> None:
    assert refresh_window({}) == 300
    assert refresh_window({"ENVGEN_REFRESH_BEFORE": ""}) == 300
    assert refresh_window({"ENVGEN_REFRESH_BEFORE": "3600"}) == 3600
    assert refresh_window({"ENVGEN_REFRESH_BEFORE": "0"}) == 0
    for wrong in ("-1", "5m", "1e3", "３", "$(reboot)", "9" * 30, "604801"):
        with pytest.raises(UsageError, match="ENVGEN_REFRESH_BEFORE"):
            refresh_window({"ENVGEN_REFRESH_BEFORE": wrong})


def test_imported_credentials_are_recorded_without_a_secret(
    creds_file: Path, clean_env: dict[str, str]
) -> None:
    document = json.loads(creds_file.read_text())
    recorded = records(invoke_envgen(["import", str(creds_file), "--shell", "bash"], clean_env))
    expires = int(recorded["ENVGEN_EXPIRATION"])
    assert recorded["ENVGEN_CHECK_AT"] == str(expires - 300)
    source = decoded(recorded["ENVGEN_SOURCE"])
    assert source == {
        "v": 1,
        "kind": "imported",
        "key_digest": key_digest(document["Credentials"]["AccessKeyId"]),
    }
    for secret in document["Credentials"].values():
        if secret != document["Credentials"]["Expiration"]:
            assert secret not in json.dumps(source)


def test_the_window_moves_the_check(creds_file: Path, clean_env: dict[str, str]) -> None:
    env = {**clean_env, "ENVGEN_REFRESH_BEFORE": "3600"}
    recorded = records(invoke_envgen(["import", str(creds_file), "--shell", "bash"], env))
    assert int(recorded["ENVGEN_CHECK_AT"]) == int(recorded["ENVGEN_EXPIRATION"]) - 3600


def test_a_malformed_window_stops_before_anything_is_read(
    creds_file: Path, clean_env: dict[str, str]
) -> None:
    env = {**clean_env, "ENVGEN_REFRESH_BEFORE": "5 minutes"}
    result = invoke_envgen(["import", "-", "--shell", "bash"], env, stdin=creds_file.read_text())
    assert result.returncode == 2 and result.stdout == b""
    [line] = result.stderr.decode().splitlines()
    assert line.startswith("envgen: error: ENVGEN_REFRESH_BEFORE '5 minutes' is not a number")
    # clear sets no credentials: it works whatever the window says.
    cleared = invoke_envgen(["clear", "--shell", "bash"], env)
    assert cleared.returncode == 0 and b"unset ENVGEN_SOURCE;" in cleared.stdout


def test_formats_carry_no_records(creds_file: Path, clean_env: dict[str, str]) -> None:
    for output in ("json", "dotenv"):
        result = invoke_envgen(["import", str(creds_file), "--format", output], clean_env)
        assert result.returncode == 0 and b"ENVGEN_" not in result.stdout


def test_an_assumed_role_records_its_profile_and_options(
    sts_env: dict[str, str], sts: StsServer
) -> None:
    # A name with a dollar and a non-ASCII letter.
    profile = "dév$HOME"
    Path(sts_env["AWS_CONFIG_FILE"]).write_text(
        f"[default]\nregion = eu-west-1\n\n[profile {profile}]\n"
        f"role_arn = {role_arn('Dev')}\nsource_profile = default\n",
        encoding="utf-8",
    )
    result = invoke_envgen(
        [
            "assume",
            "--profile",
            profile,
            "--role-session-name",
            "me",
            "--external-id",
            "ext-1",
            "--duration-seconds",
            "900",
            "--region",
            "us-west-2",
            "--shell",
            "bash",
        ],
        sts_env,
    )
    source = decoded(records(result)["ENVGEN_SOURCE"])
    assert source["profile"] == profile
    assert source["kind"] == "role"
    assert (source["session_name"], source["external_id"]) == ("me", "ext-1")
    assert (source["duration_seconds"], source["region"]) == (900, "us-west-2")


SHELLS = [
    pytest.param(shell, id=shell.name, marks=pytest.mark.shell(shell.name)) for shell in REAL_SHELLS
]


@pytest.mark.parametrize("shell", SHELLS)
def test_every_shell_carries_the_records_and_clear_removes_them(
    shell: RealShell, creds_file: Path, clean_env: dict[str, str], tmp_path: Path
) -> None:
    steps = [import_command(shell, creds_file), f"envgen clear --shell {shell.name}"]
    run = run_steps(shell, steps, tmp_path, clean_env, names=(*MANAGED, *RECORD_VARIABLES))
    applied, cleared = run.dumps
    assert applied is not None and cleared is not None, run.stderr
    source = Origin.from_text(applied["ENVGEN_SOURCE"] or "")
    assert source is not None and source.kind == "imported"
    assert int(applied["ENVGEN_CHECK_AT"] or "") == int(applied["ENVGEN_EXPIRATION"] or "") - 300
    assert all(cleared[name] is None for name in RECORD_VARIABLES)


def test_only_what_lands_in_the_shared_cache_and_can_be_signed_again_renews_ahead() -> None:
    from envgen.records import renews_ahead
    from envgen.sources.request import PASSED_THROUGH

    assert renews_ahead(Origin("role", "digest", base="shared-credentials-file"))
    assert renews_ahead(Origin("sso", "digest", profile="dev"))
    for kind in ("session-token", "imported", "saml", "web-identity", "federation-token"):
        assert not renews_ahead(Origin(kind, "digest"))
    # Signed by the keys the shell now holds as temporary ones, or temporary already.
    for base in ("env", PASSED_THROUGH):
        assert not renews_ahead(Origin("role", "digest", base=base))
