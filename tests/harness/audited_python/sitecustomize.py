"""Imported at start-up by every Python process whose PYTHONPATH holds this folder.

With ENVGEN_TEST_AUDIT_LOG naming a file, the process appends a line to it for each socket
connection it attempts (Python's `socket.connect` audit event, PEP 578) and for each pause it
takes through time.sleep (wrapped: not every Python raises an audit event for it). A test then
counts what the real envgen executable did on the network, attempt by attempt, instead of
judging it by how long the run took on a busy machine. The process does nothing differently.
"""

from __future__ import annotations

import os
import sys
import time
from typing import SupportsIndex

_LOG = os.environ.get("ENVGEN_TEST_AUDIT_LOG")
_sleep = time.sleep


def _write(line: str) -> None:
    assert _LOG is not None
    with open(_LOG, "a", encoding="utf-8") as log:
        log.write(line + "\n")


def _record(event: str, args: tuple[object, ...]) -> None:
    if event == "socket.connect":
        _write(f"connect {args[1]!r}")


def _recorded_sleep(seconds: float | SupportsIndex) -> None:
    _write(f"sleep {seconds!r}")
    _sleep(seconds)


if _LOG:
    sys.addaudithook(_record)
    time.sleep = _recorded_sleep
