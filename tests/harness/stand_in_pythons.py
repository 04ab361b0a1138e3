"""The pythons a clone's scripts (benchmarks/run.py, scripts/try-it) meet: the clone's own
.venv, and a bare one without envgen or moto, as a newcomer's `python` is."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def bare_python(root: Path) -> Path:
    """The python of a new virtual environment at ROOT/bare: no pip, no envgen, no moto."""
    bare = root / "bare"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True, timeout=120
    )
    return bare / "bin" / "python"


def clone_venv_python(clone: Path) -> Path:
    """CLONE/.venv/bin/python: a #! stand-in that runs the interpreter of these tests, which
    has envgen and moto."""
    python = clone / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True, exist_ok=True)
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    python.chmod(0o755)
    return python
