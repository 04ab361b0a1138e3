"""The README's quick start, run as written against a real STS endpoint, shows what it says.

Its example files are written where the README puts them, its commands run in bash, and
what they print must match the README's transcript line for line, up to what changes from run
to run (times, numbers, the ids STS makes up)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from conftest import (
    REPOSITORY,
    require_program,
)
from sts_server import StsServer


def quick_start() -> str:
    readme = (REPOSITORY / "README.md").read_text()
    match = re.search(r"(?ms)^## Quick start.*?(?=^## )", readme)
    assert match is not None, "the README has no quick start section"
    return match.group(0)


def as_pattern(line: str) -> str:
    """A transcript line as a regular expression: numbers other than the 12-digit account id,
    and the upper-case ids STS makes up, may differ."""
    pattern = ""
    for piece in re.split(r"(\d+|[A-Z0-9]{16,})", line):
        if re.fullmatch(r"\d{12}", piece):
            pattern += piece
        elif re.fullmatch(r"\d+", piece):
            pattern += r"\d+"
        elif re.fullmatch(r"[A-Z0-9]{16,}", piece):
            pattern += r"[A-Z0-9]{16,}"
        else:
            pattern += re.escape(piece)
    return pattern


def test_the_quick_start_does_what_the_readme_shows(
    clean_env: dict[str, str], sts: StsServer
) -> None:
    require_program("bash")
    section = quick_start()
    home = Path(clean_env["HOME"])
    files = re.findall(r"(?ms)^```ini\n# ~/(\S+)\n(.*?)^```", section)
    assert sorted(name for name, _ in files) == [".aws/config", ".aws/credentials"]
    for name, text in files:
        (home / name).parent.mkdir(parents=True, exist_ok=True)
        (home / name).write_text(text)

    transcript = re.search(r"(?ms)^```console\n(.*?)^```", section)
    assert transcript is not None
    lines = transcript.group(1).splitlines()
    commands = [line[2:] for line in lines if line.startswith("$ ")]
    expected = [line for line in lines if not line.startswith("$ ")]
    env = {**clean_env, "AWS_ENDPOINT_URL_STS": sts.url}
    # Both streams in one, in the order a terminal shows them.
    script = "set -e\nexec 2>&1\n" + "\n".join(commands) + "\n"
    result = subprocess.run(
        ["bash", "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    assert result.returncode == 0, result.stdout
    shown = result.stdout.splitlines()
    assert len(shown) == len(expected), result.stdout
    for line, readme_line in zip(shown, expected, strict=False):
        assert re.fullmatch(as_pattern(readme_line), line), (line, readme_line)
    assert sts.log.counts() == {"AssumeRole": 1, "GetCallerIdentity": 1}

    # "again within the hour asks STS nothing": the AWS CLI's cache answers.
    sts.log.reset()
    again = subprocess.run(
        ["bash", "-c", commands[0]],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    assert again.returncode == 0, again.stderr
    assert sts.log.counts() == {}
    assert len(list((home / ".aws" / "cli" / "cache").glob("*.json"))) == 1
