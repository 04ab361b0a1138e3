"""scripts/try-it, the README's no-account walkthrough, works end to end and leaves nothing behind."""

from __future__ import annotations

import re
import socket
import subprocess
from pathlib import Path

from conftest import require_program

TRY_IT = Path(__file__).resolve().parent.parent / "scripts" / "try-it"


def test_try_it_assumes_a_role_and_cleans_up(clean_env: dict[str, str], tmp_path: Path) -> None:
    require_program("bash")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    # The caller's own AWS settings must not leak in: try-it sets up its own.
    env = {**clean_env, "TMPDIR": str(scratch), "AWS_PROFILE": "does-not-exist",
           "AWS_ACCESS_KEY_ID": "AKIACALLERSOWNKEY000"}
    result = subprocess.run(
        [str(TRY_IT)], env=env, capture_output=True, text=True, timeout=120,
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
