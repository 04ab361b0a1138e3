"""`envgen refresh` and `envgen refresh --hook` (envgen.refresh), against moto's STS over HTTP:
what each outcome prints, how many requests it makes, and that the hook never fails."""

from __future__ import annotations

import re
import shlex
import subprocess
import time
from pathlib import Path

import pytest

from conftest import require_program
from envgen.places import UserPlaces
from envgen.records import LEAD_SECONDS, Origin, key_digest
from envgen_in_process import invoke_envgen
from envgen_process import run_envgen
from hostile_endpoints import ACCESS_DENIED, HostileEndpoint, answering
from renewal_ahead import age_cache_entries, cache_entries, renewals_ahead, wait_for
from sso_server import SsoServer, signed_in_as_the_aws_cli
from sts_server import StsServer, role_arn

ROLE_PROFILE = f"""\
[default]
region = eu-west-1

[profile dev]
role_arn = {role_arn("Dev")}
source_profile = default

[profile guarded]
role_arn = {role_arn("Guarded")}
source_profile = default
mfa_serial = arn:aws:iam::123456789012:mfa/alice
"""


def applied(env: dict[str, str], result: subprocess.CompletedProcess[bytes]) -> dict[str, str]:
    """The environment once a POSIX shell has applied envgen's output (the test values hold
    no quote)."""
    assert result.returncode == 0, result.stderr.decode()
    after = dict(env)
    for line in result.stdout.decode().splitlines():
        if line.startswith("unset "):
            after.pop(line[len("unset ") :].rstrip(";"), None)
            continue
        match = re.fullmatch(r"export ([A-Z_]+)=(.*);", line)
        assert match, line
        after[match[1]] = shlex.split(match[2])[0]
    return after


def assumed(env: dict[str, str], *args: str) -> dict[str, str]:
    return applied(env, invoke_envgen(["assume", *args, "--shell", "bash"], env))


def hook(env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    return invoke_envgen(["refresh", "--hook", "--shell", "bash"], env)


@pytest.fixture
def role_env(sts_env: dict[str, str]) -> dict[str, str]:
    Path(sts_env["AWS_CONFIG_FILE"]).write_text(ROLE_PROFILE)
    return sts_env


def test_a_cache_entry_inside_the_window_is_not_served_as_renewed(
    role_env: dict[str, str], sts: StsServer
) -> None:
    shell = assumed(role_env, "dev")
    assert sts.log.counts()["AssumeRole"] == 1
    # The entry the first call cached has an hour left: inside a window of two.
    result = hook({**shell, "ENVGEN_REFRESH_BEFORE": "7200"})
    renewed = applied(shell, result)
    assert sts.log.counts()["AssumeRole"] == 2
    assert renewed["AWS_ACCESS_KEY_ID"] != shell["AWS_ACCESS_KEY_ID"]
    source = Origin.from_text(renewed["ENVGEN_SOURCE"])
    assert source is not None and source.key_digest == key_digest(renewed["AWS_ACCESS_KEY_ID"])
    # Credentials shorter than the window are not renewed again at the next prompt.
    assert int(renewed["ENVGEN_CHECK_AT"]) >= time.time() + 55
    [line] = result.stderr.decode().splitlines()
    assert line.startswith("envgen: renewed the credentials for arn:aws:iam::123456789012:role/Dev")


def test_with_more_than_the_window_left_only_the_check_moves(
    role_env: dict[str, str], sts: StsServer
) -> None:
    shell = assumed(role_env, "dev")
    result = hook({**shell, "ENVGEN_CHECK_AT": "0"})
    # A cached role: the hook runs envgen again at the lead before the window.
    assert (
        result.stdout.decode()
        == f"export ENVGEN_CHECK_AT='{int(shell['ENVGEN_EXPIRATION']) - 300 - LEAD_SECONDS}';\n"
    )
    assert result.stderr == b""
    assert sts.log.counts()["AssumeRole"] == 1


def test_a_cached_role_is_checked_the_lead_before_the_window_and_a_session_token_is_not(
    role_env: dict[str, str], sts: StsServer
) -> None:
    role = assumed(role_env, "dev")
    assert int(role["ENVGEN_CHECK_AT"]) == int(role["ENVGEN_EXPIRATION"]) - 300 - LEAD_SECONDS
    # GetSessionToken has no cache to renew into ahead.
    session = assumed(role_env)
    assert sts.log.counts()["GetSessionToken"] == 1
    assert int(session["ENVGEN_CHECK_AT"]) == int(session["ENVGEN_EXPIRATION"]) - 300


def test_in_the_lead_the_hook_renews_in_the_background_and_the_window_takes_it_from_the_cache(
    role_env: dict[str, str], sts: StsServer
) -> None:
    assumed(role_env, "dev")
    # Credentials fetched half an hour ago: an hour's entry with half an hour left.
    age_cache_entries(role_env, 1800)
    [old_entry] = cache_entries(role_env).values()
    shell = assumed(role_env, "dev")
    assert shell["AWS_ACCESS_KEY_ID"] == old_entry["Credentials"]["AccessKeyId"]
    assert sts.log.counts()["AssumeRole"] == 1
    expires = int(shell["ENVGEN_EXPIRATION"])
    # Less than the window and the lead left, more than the window.
    started = time.monotonic()
    result = hook({**shell, "ENVGEN_REFRESH_BEFORE": "1600", "ENVGEN_CHECK_AT": "0"})
    assert time.monotonic() - started < 5
    assert result.returncode == 0 and result.stderr == b""
    assert result.stdout.decode() == f"export ENVGEN_CHECK_AT='{expires - 1600}';\n"
    wait_for(lambda: sts.log.counts()["AssumeRole"] == 2, 30, "renewed ahead")
    wait_for(lambda: not renewals_ahead(role_env["HOME"]), 30, "ended")
    [new_entry] = cache_entries(role_env).values()
    fetched = new_entry["Credentials"]["AccessKeyId"]
    assert fetched != shell["AWS_ACCESS_KEY_ID"]
    # At the window: the renewal is the entry fetched ahead, without a request.
    result = hook({**shell, "ENVGEN_REFRESH_BEFORE": "3000", "ENVGEN_CHECK_AT": "0"})
    renewed = applied(shell, result)
    assert renewed["AWS_ACCESS_KEY_ID"] == fetched
    assert sts.log.counts()["AssumeRole"] == 2
    [line] = result.stderr.decode().splitlines()
    assert line.startswith("envgen: renewed the credentials for arn:aws:iam::123456789012:role/Dev")


def test_the_renewal_ahead_prints_nothing_and_fails_as_a_command_does(
    role_env: dict[str, str], sts: StsServer
) -> None:
    shell = assumed(role_env, "dev")
    age_cache_entries(role_env, 1800)
    lead = {**shell, "ENVGEN_REFRESH_BEFORE": "1600"}
    with HostileEndpoint(answering(ACCESS_DENIED)) as endpoint:
        refused = run_envgen(["refresh", "--ahead"], {**lead, "AWS_ENDPOINT_URL_STS": endpoint.url})
        assert endpoint.requests == 1
    assert refused.returncode != 0 and refused.stdout == b""
    [line] = refused.stderr.decode().splitlines()
    assert line.startswith("envgen: error: ")
    done = run_envgen(["refresh", "--ahead"], lead)
    assert (done.returncode, done.stdout, done.stderr) == (0, b"", b"")
    assert sts.log.counts()["AssumeRole"] == 2
    # Requiring the window and the lead: the entry just fetched is enough for the next one.
    again = run_envgen(["refresh", "--ahead"], lead)
    assert (again.returncode, again.stdout, again.stderr) == (0, b"", b"")
    assert sts.log.counts()["AssumeRole"] == 2


def test_the_renewal_ahead_does_nothing_for_a_source_without_a_cache(
    role_env: dict[str, str], sts: StsServer
) -> None:
    session = assumed(role_env)
    for shell in (session, {**session, "AWS_ACCESS_KEY_ID": "AKIAMYOWNKEY"}):
        result = run_envgen(["refresh", "--ahead"], {**shell, "ENVGEN_REFRESH_BEFORE": "3500"})
        assert (result.returncode, result.stdout, result.stderr) == (0, b"", b"")
    assert sts.log.counts()["GetSessionToken"] == 1


def test_the_renewal_ahead_takes_no_other_option(role_env: dict[str, str]) -> None:
    shell = assumed(role_env, "dev")
    for extra in (["--hook"], ["--shell", "bash"]):
        result = invoke_envgen(["refresh", "--ahead", *extra], shell)
        assert result.returncode == 2 and result.stdout == b""
        assert "--ahead takes no other option" in result.stderr.decode()


def test_keys_replaced_by_the_user_make_envgen_forget_its_records(
    role_env: dict[str, str], sts: StsServer
) -> None:
    shell = assumed(role_env, "dev")
    result = hook({**shell, "AWS_ACCESS_KEY_ID": "AKIAMYOWNKEY", "ENVGEN_REFRESH_BEFORE": "7200"})
    assert result.returncode == 0 and result.stderr == b""
    assert result.stdout.decode().splitlines() == [
        "unset ENVGEN_EXPIRATION;",
        "unset ENVGEN_CHECK_AT;",
        "unset ENVGEN_SOURCE;",
    ]
    assert sts.log.counts()["AssumeRole"] == 1


def test_an_mfa_profile_is_never_prompted_for_at_a_prompt(
    role_env: dict[str, str], sts: StsServer
) -> None:
    shell = assumed(role_env, "guarded", "--token-code", "123456")
    result = hook({**shell, "ENVGEN_REFRESH_BEFORE": "7200"})
    after = applied(shell, result)
    assert after["ENVGEN_CHECK_AT"] == shell["ENVGEN_EXPIRATION"]
    assert after["AWS_ACCESS_KEY_ID"] == shell["AWS_ACCESS_KEY_ID"]
    [line] = result.stderr.decode().splitlines()
    assert "expire in" in line and line.endswith('renew them with: eval "$(envgen refresh)"')
    assert sts.log.counts()["AssumeRole"] == 1


def test_a_failed_renewal_is_tried_again_a_minute_later(
    role_env: dict[str, str], sts: StsServer
) -> None:
    shell = assumed(role_env, "dev")
    unreachable = {
        **shell,
        "ENVGEN_REFRESH_BEFORE": "7200",
        "AWS_ENDPOINT_URL_STS": "http://127.0.0.1:9",
    }
    started = time.time()
    result = hook(unreachable)
    after = applied(shell, result)
    assert started + 55 <= int(after["ENVGEN_CHECK_AT"]) <= time.time() + 61
    assert after["AWS_ACCESS_KEY_ID"] == shell["AWS_ACCESS_KEY_ID"]
    [line] = result.stderr.decode().splitlines()
    assert line.startswith("envgen: could not renew the credentials: ")


def test_records_that_are_not_envgens_are_dropped(clean_env: dict[str, str]) -> None:
    env = {
        **clean_env,
        "AWS_ACCESS_KEY_ID": "AKIA",
        "ENVGEN_SOURCE": "$(reboot)",
        "ENVGEN_EXPIRATION": "1",
        "ENVGEN_CHECK_AT": "1",
    }
    result = hook(env)
    assert result.returncode == 0 and result.stderr == b""
    assert "unset ENVGEN_SOURCE;" in result.stdout.decode()
    assert "AWS_" not in result.stdout.decode()


def test_refresh_renews_now_like_assume(role_env: dict[str, str], sts: StsServer) -> None:
    shell = assumed(role_env, "dev")
    renewed = applied(shell, invoke_envgen(["refresh", "--shell", "bash"], shell))
    # The cached entry has an hour left, well outside the default window: served again.
    assert renewed["AWS_ACCESS_KEY_ID"] == shell["AWS_ACCESS_KEY_ID"]
    assert sts.log.counts()["AssumeRole"] == 1


def test_refresh_without_records_says_what_to_do(clean_env: dict[str, str]) -> None:
    result = invoke_envgen(["refresh", "--shell", "bash"], clean_env)
    assert result.returncode == 2 and result.stdout == b""
    [line] = result.stderr.decode().splitlines()
    assert line.startswith("envgen: error: envgen has no record of credentials it set")


def test_refresh_of_imported_keys_says_what_to_run(
    creds_file: Path, clean_env: dict[str, str]
) -> None:
    shell = applied(
        clean_env, invoke_envgen(["import", str(creds_file), "--shell", "bash"], clean_env)
    )
    result = invoke_envgen(["refresh", "--shell", "bash"], shell)
    assert result.returncode == 1 and result.stdout == b""
    [line] = result.stderr.decode().splitlines()
    assert line == (
        "envgen: error: credentials from imported cannot be renewed without you; get new ones "
        "with: envgen import ..."
    )


# --- credentials kept by --persist ----------------------------------------------------------


def test_a_renewal_kept_again_tells_later_sessions_the_command_that_gets_new_ones(
    role_env: dict[str, str], sts: StsServer
) -> None:
    shell = applied(
        role_env, invoke_envgen(["assume", "dev", "--persist", "--shell", "bash"], role_env)
    )
    managed = Path(role_env["XDG_CONFIG_HOME"]) / "envgen" / "persist.sh"
    first = managed.read_text()
    renewed = applied(shell, hook({**shell, "ENVGEN_REFRESH_BEFORE": "7200"}))
    assert renewed["AWS_ACCESS_KEY_ID"] != shell["AWS_ACCESS_KEY_ID"]
    kept = managed.read_text()
    assert kept != first and renewed["AWS_SECRET_ACCESS_KEY"] in kept
    assert "get new ones with: envgen assume dev --persist'" in kept
    assert "refresh" not in kept


def _expired(environment: dict[str, str]) -> dict[str, str]:
    """The environment as the prompt hook finds it once the recorded expiry has passed."""
    return {**environment, "ENVGEN_EXPIRATION": str(int(time.time()) - 5)}


def _pwsh_applied(
    env: dict[str, str], result: subprocess.CompletedProcess[bytes]
) -> dict[str, str]:
    """The environment once PowerShell has applied envgen's output (the test values hold no
    quote, so each is one plain literal)."""
    assert result.returncode == 0, result.stderr.decode()
    after = dict(env)
    for line in result.stdout.decode().splitlines():
        if line.startswith("Remove-Item"):
            after.pop(line.split("Env:")[1].split()[0], None)
            continue
        match = re.fullmatch(r"\$env:([A-Z_]+) = '([^']*)'", line)
        assert match, line
        after[match[1]] = match[2]
    return after


def test_expiry_at_a_prompt_leaves_a_managed_file_to_say_it_in_new_sessions(
    creds_file: Path, clean_env: dict[str, str]
) -> None:
    # pwsh outside Windows keeps the values in a managed file, as bash does, though on
    # Windows it keeps them in the user environment.
    kept = invoke_envgen(["import", str(creds_file), "--persist", "--shell", "pwsh"], clean_env)
    shell = _pwsh_applied(clean_env, kept)
    managed = Path(clean_env["XDG_CONFIG_HOME"]) / "envgen" / "persist.ps1"
    profile = Path(clean_env["XDG_CONFIG_HOME"]) / "powershell" / "Microsoft.PowerShell_profile.ps1"
    before = (managed.read_bytes(), profile.read_bytes())

    result = invoke_envgen(["refresh", "--hook", "--shell", "pwsh"], _expired(shell))
    assert result.returncode == 0
    after = _pwsh_applied(shell, result)
    assert not {name for name in after if name.startswith(("AWS_ACCESS", "AWS_SECRET", "ENVGEN_"))}
    assert "SetEnvironmentVariable" not in result.stdout.decode()
    assert (managed.read_bytes(), profile.read_bytes()) == before
    [line] = result.stderr.decode().splitlines()
    assert "are unset" in line


def test_expiry_at_a_prompt_deletes_values_kept_in_the_windows_user_environment(
    creds_file: Path, clean_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    home = Path(clean_env["HOME"])
    on_windows = UserPlaces(home, clean_env, windows=True)
    monkeypatch.setattr(UserPlaces, "current", classmethod(lambda cls: on_windows))
    kept = invoke_envgen(
        ["import", str(creds_file), "--persist", "--shell", "powershell"], clean_env
    )
    assert "SetEnvironmentVariable" in kept.stdout.decode()
    shell = _pwsh_applied(
        clean_env,
        subprocess.CompletedProcess(
            kept.args,
            0,
            b"".join(
                line + b"\n"
                for line in kept.stdout.splitlines()
                if not line.startswith(b"[Environment]")
            ),
            b"",
        ),
    )

    result = invoke_envgen(["refresh", "--hook", "--shell", "powershell"], _expired(shell))
    assert result.returncode == 0, result.stderr.decode()
    deleted = [
        line
        for line in result.stdout.decode().splitlines()
        if line.startswith("[Environment]::SetEnvironmentVariable(")
    ]
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        assert f"[Environment]::SetEnvironmentVariable('{name}', $null, 'User')" in deleted
    for name in ("ENVGEN_EXPIRATION", "ENVGEN_CHECK_AT", "ENVGEN_SOURCE"):
        assert f"[Environment]::SetEnvironmentVariable('{name}', $null, 'User')" in deleted
    assert len(result.stderr.decode().splitlines()) == 1
    assert list((home / ".config").glob("envgen/*")) == []


@pytest.mark.shell("fish")
@pytest.mark.posix("fish")
def test_expiry_at_a_prompt_erases_fish_universal_variables(
    creds_file: Path, clean_env: dict[str, str], tmp_path: Path
) -> None:
    fish = require_program("fish")
    kept = invoke_envgen(["import", str(creds_file), "--persist", "--shell", "fish"], clean_env)
    assert kept.returncode == 0, kept.stderr.decode()
    output = tmp_path / "kept.fish"
    output.write_bytes(kept.stdout)

    def fish_run(command: str) -> str:
        done = subprocess.run(
            [fish, "-c", command], env=clean_env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def universal() -> set[str]:
        names = fish_run("set --names -U").split()
        return {name for name in names if name.startswith(("AWS_", "ENVGEN_"))}

    fish_run(f"source {output}")
    assert {"AWS_SECRET_ACCESS_KEY", "ENVGEN_SOURCE", "ENVGEN_EXPIRATION"} <= universal()
    # A later session, where the hook finds the universal values past their expiry.
    fish_run(
        f"set -gx ENVGEN_EXPIRATION {int(time.time()) - 5}; "
        "envgen refresh --hook --shell fish | source"
    )
    assert universal() == set()


def test_an_expired_sso_sign_in_is_said_once_with_what_to_run(
    sso_env: dict[str, str], sso_server: SsoServer
) -> None:
    signed_in_as_the_aws_cli(sso_env, sso_server, seconds=3)
    shell = assumed(sso_env, "dev")
    time.sleep(3.5)
    result = hook({**shell, "ENVGEN_REFRESH_BEFORE": "86400"})
    after = applied(shell, result)
    assert after["ENVGEN_CHECK_AT"] == shell["ENVGEN_EXPIRATION"]
    assert after["AWS_ACCESS_KEY_ID"] == shell["AWS_ACCESS_KEY_ID"]
    [line] = result.stderr.decode().splitlines()
    assert line.endswith('renew them with: envgen sso login dev, then eval "$(envgen refresh)"')
    assert len(sso_server.issued) == 1


def test_sso_role_credentials_are_renewed_ahead_and_taken_from_the_cache_at_the_window(
    sso_env: dict[str, str], sso_server: SsoServer
) -> None:
    signed_in_as_the_aws_cli(sso_env, sso_server)
    assumed(sso_env, "dev")
    age_cache_entries(sso_env, 1800)
    shell = assumed(sso_env, "dev")
    assert len(sso_server.issued) == 1
    expires = int(shell["ENVGEN_EXPIRATION"])
    assert int(shell["ENVGEN_CHECK_AT"]) == expires - 300 - LEAD_SECONDS
    result = hook({**shell, "ENVGEN_REFRESH_BEFORE": "1600", "ENVGEN_CHECK_AT": "0"})
    assert result.returncode == 0 and result.stderr == b""
    assert result.stdout.decode() == f"export ENVGEN_CHECK_AT='{expires - 1600}';\n"
    wait_for(lambda: len(sso_server.issued) == 2, 30, "renewed ahead")
    wait_for(lambda: not renewals_ahead(sso_env["HOME"]), 30, "ended")
    renewed = applied(
        shell, hook({**shell, "ENVGEN_REFRESH_BEFORE": "3000", "ENVGEN_CHECK_AT": "0"})
    )
    assert renewed["AWS_ACCESS_KEY_ID"] == sso_server.issued[1]["accessKeyId"]
    assert len(sso_server.issued) == 2


def test_a_renewal_keeps_the_region_the_shell_has(role_env: dict[str, str], sts: StsServer) -> None:
    shell = assumed({**role_env, "AWS_REGION": "ap-south-1"}, "dev")
    assert shell["AWS_REGION"] == "ap-south-1"
    renewed = applied(shell, hook({**shell, "ENVGEN_REFRESH_BEFORE": "7200"}))
    assert renewed["AWS_ACCESS_KEY_ID"] != shell["AWS_ACCESS_KEY_ID"]
    assert (renewed["AWS_REGION"], renewed["AWS_DEFAULT_REGION"]) == ("ap-south-1", "ap-south-1")
