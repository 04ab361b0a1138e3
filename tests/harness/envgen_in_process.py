"""Running envgen inside the test process, through typer's CliRunner: the same `run` the
console script calls, with stdout and stderr kept apart and the environment exactly as given.

What only a real process shows (file descriptors, a closed or broken stdout, terminals, real
shells, signals, `exec`, the installed console script) stays with envgen_process.run_envgen;
everything else is asked here, in a fraction of the time a new interpreter takes."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

from typer.testing import CliRunner

from envgen import cli
from envgen.streams import Streams


@contextmanager
def _working_directory(path: Path | None) -> Iterator[None]:
    if path is None:
        yield
        return
    previous = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)


def _refuse_exec(*_arguments: object) -> None:
    raise AssertionError("envgen exec got as far as running its command: test it with run_envgen")


def invoke_envgen(
    args: Sequence[str],
    env: dict[str, str],
    *,
    stdin: str | bytes | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """envgen's exit status and raw stdout/stderr bytes, in the shape run_envgen gives them.

    The environment is `env` alone while envgen runs (every other variable of the test
    process is taken away and restored after), as a child started with `env` would see it."""
    exact = {name: None for name in os.environ if name not in env}
    runner = CliRunner()
    with (
        # `envgen exec` becomes its command: in here that would end the test process.
        mock.patch.object(os, "execvpe", _refuse_exec),
        _working_directory(cwd),
        runner.isolation(input=stdin, env={**exact, **env}) as (stdout, stderr, _mixed),
    ):
        # Nobody at a terminal, whatever the test process has: as run_envgen's new session.
        streams = Streams(sys.stdin, sys.stdout, sys.stderr, may_ask_at_terminal=False)
        status = cli.run(list(args), streams)
        sys.stdout.flush()
        sys.stderr.flush()
        written, said = stdout.getvalue(), stderr.getvalue()
    return subprocess.CompletedProcess(["envgen", *args], status, written, said)
