"""What the tests of the renewal ahead of the refresh window need: the AWS CLI cache a test user
has, made older as if the credentials in it had been fetched a while ago, and the background
`envgen refresh --ahead` processes started for that user, found by their command line and HOME
(Linux's /proc), so a test can wait for them to end."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

AHEAD_COMMAND = b"refresh\0--ahead"


def cache_directory(env: dict[str, str]) -> Path:
    return Path(env["HOME"]) / ".aws" / "cli" / "cache"


def cache_entries(env: dict[str, str]) -> dict[str, dict[str, Any]]:
    """The AWS CLI cache entries of ENV's user, by file name."""
    directory = cache_directory(env)
    if not directory.is_dir():
        return {}
    return {path.name: json.loads(path.read_text()) for path in directory.glob("*.json")}


def age_cache_entries(env: dict[str, str], seconds_left: int) -> None:
    """Make every cache entry of ENV's user expire SECONDS_LEFT from now, as an entry fetched
    that much before the end of its lifetime would."""
    expires = datetime.now(timezone.utc) + timedelta(seconds=seconds_left)
    for name, entry in cache_entries(env).items():
        entry["Credentials"]["Expiration"] = expires.strftime("%Y-%m-%dT%H:%M:%SZ")
        (cache_directory(env) / name).write_text(json.dumps(entry))


def renewals_ahead(home: str) -> list[int]:
    """The process ids of `envgen refresh --ahead` runs whose HOME is HOME."""
    found = []
    wanted = f"HOME={home}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes()
            environment = (entry / "environ").read_bytes()
        except OSError:
            continue
        if AHEAD_COMMAND in command and wanted in environment.split(b"\0"):
            found.append(int(entry.name))
    return found


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll CONDITION until it holds; fail after TIMEOUT seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"still not {what} after {timeout} s")
        time.sleep(0.1)


def has_proc() -> bool:
    return os.path.isdir("/proc/self")
