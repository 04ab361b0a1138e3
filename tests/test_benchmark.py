"""`python benchmarks/run.py`, as the README writes it, works with whichever python runs it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import REPOSITORY
from stand_in_pythons import bare_python, clone_venv_python

pytestmark = pytest.mark.posix("#! stand-ins for a bin/ virtual environment's python")


def test_the_benchmark_hands_over_to_the_clones_venv(
    clean_env: dict[str, str], tmp_path: Path
) -> None:
    # A clone's layout whose .venv runs the interpreter of these tests (envgen and moto), and
    # a python without either, as a newcomer's `python` is.
    clone = tmp_path / "clone"
    for name in ("benchmarks/run.py", "scripts/local_sts.py"):
        (clone / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPOSITORY / name, clone / name)
    venv_python = clone_venv_python(clone)
    bare = bare_python(tmp_path)

    result = subprocess.run(
        [str(bare), str(clone / "benchmarks" / "run.py"), "--rounds", "1"],
        env=clean_env,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == (f"benchmark: {bare} lacks envgen's test extras; using {venv_python}\n")
    assert result.stdout.startswith("envgen benchmark: 1 rounds, median wall time")
    for label in (
        "envgen import --access-key-id",
        "envgen assume benchmark (cache hit)",
        "envgen assume benchmark-sso (SSO, cache hit)",
        "envgen assume --role-arn ... (cache miss)",
    ):
        assert f"| `{label}" in result.stdout


def test_the_benchmark_without_a_venv_says_what_to_run(
    clean_env: dict[str, str], tmp_path: Path
) -> None:
    clone = tmp_path / "clone"
    (clone / "benchmarks").mkdir(parents=True)
    shutil.copy2(REPOSITORY / "benchmarks" / "run.py", clone / "benchmarks" / "run.py")
    bare = bare_python(tmp_path)
    result = subprocess.run(
        [str(bare), str(clone / "benchmarks" / "run.py")],
        env=clean_env,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        f"benchmark: {bare} cannot import envgen and moto; run scripts/test once "
        "(it makes .venv with envgen's test extras), then run this again\n"
    )
