"""The order of an output: every message worded and stdout checked before a file changes or a
byte is printed, so stdout holds shell code only when the exit status is 0."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from conftest import ENVGEN
from envgen_process import KEY_FLAGS, SECRET, TOKEN

# East of UTC the last hours of year 9999 are in year 10000; St John's is half an hour off.
TIME_ZONES = ["Asia/Tokyo", "Pacific/Kiritimati", "America/St_Johns", "UTC"]
FAR_EXPIRIES = ["9999-12-31T23:00:00Z", "9999-12-31T23:59:59Z", "9999-12-31T10:00:00Z"]


def _run(
    args: list[str], env: dict[str, str], **streams: object
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([ENVGEN, *args], env=env, stdin=subprocess.DEVNULL, timeout=60, **streams)  # type: ignore[call-overload]


def _error_line(result: subprocess.CompletedProcess[bytes]) -> str:
    """The one error line of a failure whose stdout went elsewhere; it holds no secret."""
    stderr = result.stderr.decode()
    assert result.returncode != 0, stderr
    assert stderr.startswith("envgen: error: ") and stderr.count("\n") == 1, stderr
    assert SECRET not in stderr and TOKEN not in stderr
    return stderr[len("envgen: error: ") : -1]


def _tree(root: Path) -> dict[str, bytes | None]:
    """Every path under root with its bytes (None for a directory)."""
    found: dict[str, bytes | None] = {}
    for path in sorted(root.rglob("*")):
        found[str(path.relative_to(root))] = None if path.is_dir() else path.read_bytes()
    return found


@pytest.mark.parametrize("zone", TIME_ZONES)
@pytest.mark.parametrize("expiration", FAR_EXPIRIES)
@pytest.mark.parametrize("extra", [[], ["--persist"]], ids=["plain", "persist"])
def test_a_far_expiry_in_any_time_zone_prints_all_or_nothing(
    zone: str, expiration: str, extra: list[str], clean_env: dict[str, str]
) -> None:
    result = _run(
        ["import", *KEY_FLAGS, "--expiration", expiration, "--shell", "bash", *extra],
        dict(clean_env, TZ=zone),
        capture_output=True,
    )

    stderr = result.stderr.decode()
    if result.returncode != 0:
        assert result.stdout == b"", stderr
    assert result.returncode == 0, stderr
    assert f"export AWS_CREDENTIAL_EXPIRATION='{expiration}'" in result.stdout.decode()
    assert "unexpected" not in stderr
    assert all(line.startswith("envgen: ") for line in stderr.splitlines()), stderr
    # The local time cannot show year 10000: the message falls back to UTC, not to a failure.
    assert "expire in " in stderr


OUTPUTS_THAT_CHANGE_FILES = [
    pytest.param(["--shell", "bash", "--persist"], id="persist-bash"),
    pytest.param(["--shell", "zsh", "--persist"], id="persist-zsh"),
    pytest.param(["--shell", "bash", "--save-profile", "work"], id="save-profile"),
    pytest.param(
        ["--shell", "fish", "--save-profile", "work", "--persist"], id="save-profile-persist-fish"
    ),
]


@pytest.mark.parametrize("options", OUTPUTS_THAT_CHANGE_FILES)
def test_a_pipe_nobody_reads_changes_no_file(options: list[str], clean_env: dict[str, str]) -> None:
    home = Path(clean_env["HOME"])
    before = _tree(home)
    reader, writer = os.pipe()
    os.close(reader)  # the reader has exited, as `| head -c0` does
    try:
        result = _run(
            ["import", *KEY_FLAGS, *options], clean_env, stdout=writer, stderr=subprocess.PIPE
        )
    finally:
        os.close(writer)

    message = _error_line(result)
    assert result.returncode == 1
    assert "nothing reads envgen's output" in message
    assert "nothing was changed" in message
    assert _tree(home) == before


@pytest.mark.parametrize("options", OUTPUTS_THAT_CHANGE_FILES)
def test_head_c0_in_a_real_pipeline_changes_no_file(
    options: list[str], clean_env: dict[str, str]
) -> None:
    # `head -c0` reads nothing and exits; envgen starts once it has, as it does in practice
    # (waiting for the process substitution makes that certain however busy the machine is).
    home = Path(clean_env["HOME"])
    before = _tree(home)
    pipeline = 'exec 3> >(head -c0); wait $!; "$@" >&3; echo "status $?" >&2'
    result = subprocess.run(
        ["bash", "-c", pipeline, "bash", ENVGEN, "import", *KEY_FLAGS, *options],
        env=clean_env,
        capture_output=True,
        timeout=60,
    )

    *errors, status = result.stderr.decode().splitlines()
    assert status == "status 1"
    assert len(errors) == 1 and errors[0].startswith("envgen: error: nothing reads")
    assert _tree(home) == before


# A device that takes no byte: Linux has it, macOS and Windows do not.
needs_dev_full = pytest.mark.skipif(
    not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)"
)


@needs_dev_full
def test_a_stdout_that_fails_after_files_changed_names_them_in_one_line(
    clean_env: dict[str, str],
) -> None:
    # /dev/full takes a probe but not the output: the files were already kept by then.
    with open("/dev/full", "wb") as full:
        result = _run(
            ["import", *KEY_FLAGS, "--shell", "bash", "--persist"],
            clean_env,
            stdout=full,
            stderr=subprocess.PIPE,
        )

    message = _error_line(result)
    assert result.returncode == 1
    assert "could not write the output to stdout" in message
    managed = Path(clean_env["XDG_CONFIG_HOME"]) / "envgen" / "persist.sh"
    assert "already done, and left as it is: kept AWS_ACCESS_KEY_ID" in message
    assert str(managed) in message
    assert managed.exists()


@needs_dev_full
def test_a_failing_stdout_without_files_is_one_line(clean_env: dict[str, str]) -> None:
    with open("/dev/full", "wb") as full:
        result = _run(
            ["import", *KEY_FLAGS, "--shell", "bash"],
            clean_env,
            stdout=full,
            stderr=subprocess.PIPE,
        )

    message = _error_line(result)
    assert result.returncode == 1
    assert message.startswith("could not write the output to stdout (No space left on device)")
    assert "already done" not in message


def test_with_stderr_closed_no_message_reaches_the_evaluated_stream(
    clean_env: dict[str, str], tmp_path: Path
) -> None:
    # Python sends text for a missing stderr to stdout; eval would then run it.
    marker = tmp_path / "ran"
    failing = f"envgen import --shell bash 'creds$(touch {marker}).json' 2>&-"
    result = subprocess.run(["bash", "-c", failing], capture_output=True, env=clean_env)
    assert result.returncode != 0
    assert result.stdout == b""
    expiring = (
        "envgen import --shell bash --access-key-id AKIDEXAMPLE --secret-access-key s "
        "--expiration 2099-01-01T00:00:00Z 2>&-"
    )
    result = subprocess.run(["bash", "-c", expiring], capture_output=True, env=clean_env)
    assert result.returncode == 0
    assert all(
        line.startswith(("export ", "unset ")) for line in result.stdout.decode().splitlines()
    )
    assert not marker.exists()


def test_with_stdout_closed_nothing_is_kept_and_the_failure_is_said(
    clean_env: dict[str, str],
) -> None:
    command = (
        "envgen import --shell bash --access-key-id AKIDEXAMPLE --secret-access-key s --persist >&-"
    )
    result = subprocess.run(["bash", "-c", command], capture_output=True, env=clean_env)
    assert result.returncode == 2
    assert result.stderr.decode() == (
        "envgen: error: stdout is closed: there is nowhere to write the output to\n"
    )
    assert not (Path(clean_env["XDG_CONFIG_HOME"]) / "envgen").exists()
    assert not (Path(clean_env["HOME"]) / ".bashrc").exists()
