"""scripts/try-it, the README's no-account walkthrough, works end to end and leaves nothing behind."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from conftest import (
    REPOSITORY,
    require_program,
)
from stand_in_pythons import bare_python, clone_venv_python

TRY_IT = REPOSITORY / "scripts" / "try-it"

pytestmark = pytest.mark.posix("scripts/try-it's POSIX shell and #! stand-ins for python")


def executable(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o755)
    return path


def clone_with_venv(root: Path) -> Path:
    """A clone's layout: its scripts, and a .venv whose python is the one running these tests
    (it has envgen and moto)."""
    clone = root / "clone"
    (clone / "scripts").mkdir(parents=True)
    for name in ("try-it", "local_sts.py"):
        shutil.copy2(REPOSITORY / "scripts" / name, clone / "scripts" / name)
    clone_venv_python(clone)
    return clone


def test_try_it_assumes_a_role_and_cleans_up(clean_env: dict[str, str], tmp_path: Path) -> None:
    require_program("bash")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    # The caller's own AWS settings must not leak in: try-it sets up its own.
    env = {
        **clean_env,
        "TMPDIR": str(scratch),
        "AWS_PROFILE": "does-not-exist",
        "AWS_ACCESS_KEY_ID": "AKIACALLERSOWNKEY000",
    }
    result = subprocess.run(
        [str(TRY_IT)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr
    assert "Arn:     arn:aws:sts::123456789012:assumed-role/try-it/" in result.stdout
    assert re.search(r"AWS_ACCESS_KEY_ID is now ASIA\w+ \(a temporary key\)", result.stderr)
    assert "envgen: credentials for arn:aws:iam::123456789012:role/try-it expire" in result.stderr

    # Everything it made is gone: the temporary HOME, and the endpoint no longer listens.
    assert list(scratch.iterdir()) == []
    endpoint = re.search(r"local STS endpoint: http://127\.0\.0\.1:(\d+)", result.stderr)
    assert endpoint is not None
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", int(endpoint.group(1)))) != 0


def test_try_it_prefers_the_clones_venv_to_an_envgen_on_path(
    clean_env: dict[str, str], tmp_path: Path
) -> None:
    # An envgen installed with pipx or uv: its interpreter has no moto, and its envgen is not
    # the clone's. try-it must use neither.
    require_program("bash")
    clone = clone_with_venv(tmp_path)
    elsewhere = tmp_path / "pipx-bin"
    refuse = '#!/bin/sh\necho "the wrong {} ran" >&2\nexit 97\n'
    executable(elsewhere / "envgen", refuse.format("envgen"))
    executable(elsewhere / "python", refuse.format("python"))
    env = {**clean_env, "PATH": f"{elsewhere}:/usr/bin:/bin", "TMPDIR": str(tmp_path)}
    env.pop("PYTHON", None)
    result = subprocess.run(
        [str(clone / "scripts" / "try-it")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr
    assert "the wrong" not in result.stderr
    assert "Arn:     arn:aws:sts::123456789012:assumed-role/try-it/" in result.stdout


def test_try_it_without_moto_says_how_to_get_it(clean_env: dict[str, str], tmp_path: Path) -> None:
    require_program("bash")
    clone = tmp_path / "clone"
    (clone / "scripts").mkdir(parents=True)
    shutil.copy2(TRY_IT, clone / "scripts" / "try-it")
    bare = bare_python(tmp_path)
    env = {**clean_env, "PYTHON": str(bare), "TMPDIR": str(tmp_path)}
    result = subprocess.run(
        [str(clone / "scripts" / "try-it")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        f"try-it: {bare} cannot import envgen and moto; run scripts/test once (it "
        "makes .venv with envgen's test extras), or set PYTHON to an interpreter that has them\n"
    )
