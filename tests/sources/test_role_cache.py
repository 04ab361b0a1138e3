"""The AWS CLI's cache of assumed-role credentials (~/.aws/cli/cache), as envgen reads and writes
it, against a real STS endpoint: an entry envgen cannot trust is a miss that a real AssumeRole
call replaces; a cache that cannot be written costs a warning, never the credentials."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from conftest import ENVGEN
from envgen_process import assert_failed_cleanly
from sts_server import (
    BASE_SECRET,
    StsServer,
    role_arn,
    run_envgen,
)

PLANTED_KEY = "ASIAPLANTEDBYSOMEONE"
NOBODY = 65534

HOP_CONFIG = f"""\
[default]
region = eu-west-1

[profile hop]
role_arn = {role_arn("Hop")}
source_profile = default
"""

# The profile's role takes envgen's cached path first; --role-arn goes through botocore's fetcher.
COMMANDS = {
    "profile": ["assume", "hop", "--format", "json"],
    "role-arn": ["assume", "--role-arn", role_arn("Hop"), "--format", "json"],
}


def cache_of(env: dict[str, str]) -> Path:
    return Path(env["HOME"]) / ".aws" / "cli" / "cache"


def issued_key(result: subprocess.CompletedProcess[bytes]) -> str:
    assert result.returncode == 0, result.stderr.decode()
    return json.loads(result.stdout)["AccessKeyId"]


def planted(hours: float = 1.0) -> dict[str, object]:
    expiry = datetime.now(timezone.utc) + timedelta(hours=hours)
    return {
        "Credentials": {
            "AccessKeyId": PLANTED_KEY,
            "SecretAccessKey": "planted-secret",
            "SessionToken": "planted-token",
            "Expiration": expiry.strftime("%Y-%m-%dT%H:%M:%SUTC"),
        }
    }


def _write(entry: Path, data: bytes, mode: int = 0o600) -> None:
    entry.write_bytes(data)
    entry.chmod(mode)


# Each way an entry can be one envgen must not serve, made in place of the real entry.
BAD_ENTRIES: dict[str, Callable[[Path, Path], None]] = {
    "empty": lambda entry, elsewhere: _write(entry, b""),
    "truncated": lambda entry, elsewhere: _write(entry, json.dumps(planted()).encode()[:60]),
    "not-an-object": lambda entry, elsewhere: _write(entry, b'["Credentials"]'),
    "credentials-not-an-object": lambda entry, elsewhere: _write(entry, b'{"Credentials": 1}'),
    "key-not-a-string": lambda entry, elsewhere: _write(
        entry, json.dumps({"Credentials": {**planted()["Credentials"], "AccessKeyId": 7}}).encode()
    ),
    "expiry-unreadable": lambda entry, elsewhere: _write(
        entry,
        json.dumps({"Credentials": {**planted()["Credentials"], "Expiration": "soon"}}).encode(),
    ),
    "not-utf8": lambda entry, elsewhere: _write(entry, b'{"Credentials": "\xff"}'),
    "directory": lambda entry, elsewhere: entry.mkdir(),
    "symlink": lambda entry, elsewhere: (
        _write(elsewhere, json.dumps(planted()).encode()),
        entry.symlink_to(elsewhere),
    ),
    "fifo": lambda entry, elsewhere: os.mkfifo(entry),
    "oversized": lambda entry, elsewhere: _write(
        entry, json.dumps({**planted(), "Padding": "x" * (5 * 1024 * 1024)}).encode()
    ),
    "other-owner": lambda entry, elsewhere: (
        _write(entry, json.dumps(planted()).encode()),
        os.chown(entry, NOBODY, NOBODY),
    ),
    "group-writable": lambda entry, elsewhere: _write(entry, json.dumps(planted()).encode(), 0o620),
    "world-writable": lambda entry, elsewhere: _write(entry, json.dumps(planted()).encode(), 0o606),
    "thirteen-hours-ahead": lambda entry, elsewhere: _write(
        entry, json.dumps(planted(hours=13)).encode()
    ),
}


@pytest.mark.posix("file modes, owners and FIFOs")
@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("bad", sorted(BAD_ENTRIES))
def test_an_untrusted_entry_is_a_miss_and_is_replaced(
    sts_env, sts: StsServer, tmp_path: Path, bad: str, command: str
):
    Path(sts_env["AWS_CONFIG_FILE"]).write_text(HOP_CONFIG)
    args = COMMANDS[command]
    first = issued_key(run_envgen(args, sts_env))
    (entry,) = cache_of(sts_env).glob("*.json")
    entry.unlink()
    elsewhere = tmp_path / "elsewhere.json"
    BAD_ENTRIES[bad](entry, elsewhere)
    sts.log.reset()
    result = run_envgen(args, sts_env, timeout=30)
    key = issued_key(result)
    # A real call, and its answer is what was printed and what the cache now holds.
    assert sts.log.counts() == {"AssumeRole": 1}
    assert key not in (PLANTED_KEY, first)
    found = os.lstat(entry)
    assert stat.S_ISREG(found.st_mode) and found.st_uid == os.geteuid()
    assert stat.S_IMODE(found.st_mode) == 0o600
    assert json.loads(entry.read_text())["Credentials"]["AccessKeyId"] == key
    assert result.stderr.decode().count("\n") == 1, result.stderr.decode()
    if bad == "symlink":
        assert PLANTED_KEY in elsewhere.read_text()
    # ...and the replaced entry is served from then on.
    sts.log.reset()
    assert issued_key(run_envgen(args, sts_env)) == key
    assert sts.log.counts() == {}


@pytest.mark.posix("a umask and file modes")
def test_new_cache_directories_are_private_whatever_the_umask(sts_env, sts: StsServer):
    Path(sts_env["AWS_CONFIG_FILE"]).write_text(HOP_CONFIG)
    result = subprocess.run(
        [ENVGEN, *COMMANDS["profile"]],
        env=sts_env,
        capture_output=True,
        timeout=60,
        preexec_fn=lambda: os.umask(0o000),
    )
    issued_key(result)
    cache = cache_of(sts_env)
    assert stat.S_IMODE(cache.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    (entry,) = cache.glob("*.json")
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600


@pytest.fixture
def nobody_env(sts_env) -> Iterator[dict[str, str]]:
    """sts_env for the unprivileged user `nobody`: a home of its own that it can read."""
    home = Path(tempfile.mkdtemp(prefix="envgen-nobody-"))
    os.chmod(home, 0o755)
    (home / ".aws").mkdir()
    for name in ("credentials", "config"):
        shutil.copy(Path(sts_env["HOME"]) / ".aws" / name, home / ".aws" / name)
    (home / ".aws" / "config").write_text(HOP_CONFIG)
    for path in [home, *home.rglob("*")]:
        os.chown(path, NOBODY, NOBODY)
    env = dict(
        sts_env,
        HOME=str(home),
        AWS_CONFIG_FILE=str(home / ".aws" / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / ".aws" / "credentials"),
        XDG_CONFIG_HOME=str(home / ".config"),
    )
    yield env
    shutil.rmtree(home)


def run_as_nobody(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", ENVGEN, *args],
        env=env,
        capture_output=True,
        timeout=60,
        start_new_session=True,
    )


def _read_only(cache: Path) -> None:
    cache.mkdir(parents=True)
    os.chown(cache.parent, NOBODY, NOBODY)
    os.chown(cache, NOBODY, NOBODY)
    cache.chmod(0o500)


def _owned_by_root(cache: Path) -> None:
    cache.mkdir(parents=True, mode=0o755)
    os.chown(cache.parent, NOBODY, NOBODY)


@pytest.mark.posix("setpriv and file modes")
@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to act as another user"
)
@pytest.mark.parametrize("make", [_read_only, _owned_by_root], ids=["read-only", "root-owned"])
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_cache_that_cannot_be_written_still_delivers(
    nobody_env, sts: StsServer, make: Callable[[Path], None], command: str
):
    cache = cache_of(nobody_env)
    make(cache)
    result = run_as_nobody(COMMANDS[command], nobody_env)
    assert issued_key(result).startswith("ASIA")
    assert sts.log.counts() == {"AssumeRole": 1}
    warnings = [line for line in result.stderr.decode().splitlines() if "warning" in line]
    assert len(warnings) == 1 and str(cache) in warnings[0], result.stderr.decode()
    assert "not cached" in warnings[0] and "Traceback" not in result.stderr.decode()
    assert list(cache.iterdir()) == []


@pytest.mark.posix("a file-size limit set before exec")
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_full_disk_still_delivers(sts_env, sts: StsServer, command: str):
    # A file-size limit makes the entry's write fail as a full disk does (EFBIG for ENOSPC).
    Path(sts_env["AWS_CONFIG_FILE"]).write_text(HOP_CONFIG)

    def small_files() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_FSIZE, (256, 256))

    result = subprocess.run(
        [ENVGEN, *COMMANDS[command]],
        env=sts_env,
        capture_output=True,
        timeout=60,
        preexec_fn=small_files,
    )
    assert issued_key(result).startswith("ASIA")
    warnings = [line for line in result.stderr.decode().splitlines() if "warning" in line]
    assert len(warnings) == 1 and "not cached" in warnings[0], result.stderr.decode()
    assert list(cache_of(sts_env).glob("*")) == []


@pytest.mark.parametrize("which", ["AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"])
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_an_oversized_settings_file_is_refused_before_botocore_reads_it(
    sts_env, sts: StsServer, which: str, command: str
):
    Path(sts_env["AWS_CONFIG_FILE"]).write_text(HOP_CONFIG)
    with Path(sts_env[which]).open("a") as settings:
        settings.write("# padding\n" * (500 * 1024))
    result = run_envgen(COMMANDS[command], sts_env)
    message = assert_failed_cleanly(result, BASE_SECRET)
    assert sts_env[which] in message and "MiB" in message
    assert sts.log.counts() == {}
