"""What a real envgen process did on the network, counted from inside it: every connection it
attempted and every pause it took (audited_python/sitecustomize.py records them)."""

from __future__ import annotations

import ast
import dataclasses
import os
from pathlib import Path

AUDITED_PYTHON = Path(__file__).with_name("audited_python")
AUDIT_LOG = "ENVGEN_TEST_AUDIT_LOG"


@dataclasses.dataclass(frozen=True)
class NetworkAudit:
    connects: list[object]
    """The address of each connection attempted, in order: (host, port) for TCP."""
    sleeps: list[float]
    """Each pause the process took with time.sleep, in seconds."""


def audited(env: dict[str, str], log: Path) -> dict[str, str]:
    """ENV for a Python process that records its connections and pauses in LOG."""
    path = [str(AUDITED_PYTHON), *filter(None, [env.get("PYTHONPATH")])]
    return {**env, "PYTHONPATH": os.pathsep.join(path), AUDIT_LOG: str(log)}


def read_audit(log: Path) -> NetworkAudit:
    connects: list[object] = []
    sleeps: list[float] = []
    lines = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    for line in lines:
        kind, _, value = line.partition(" ")
        if kind == "connect":
            connects.append(ast.literal_eval(value))
        elif kind == "sleep":
            sleeps.append(float(ast.literal_eval(value)))
    return NetworkAudit(connects, sleeps)
