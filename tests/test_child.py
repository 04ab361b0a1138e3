"""envgen.child where the platform decides the way: passing signals on with handlers, as on
macOS, which cannot tell who sent a signal (Linux takes the other way; see tests/serve)."""

from __future__ import annotations

import os
import signal
import threading

import pytest

from envgen import child

pytestmark = pytest.mark.posix("POSIX signals")


def test_handlers_pass_on_a_signal_that_lands_in_another_thread():
    pid = os.posix_spawnp(
        "sh", ["sh", "-c", 'trap "exit 42" TERM; while :; do sleep 0.05; done'], dict(os.environ)
    )

    def signal_this_thread() -> None:
        signal.pthread_kill(threading.get_ident(), signal.SIGTERM)

    # A signal to the process may land on any thread; this one lands on the timer's. Should
    # it never be passed on, the command is killed after 10 s and the status says so.
    lands = threading.Timer(1.0, signal_this_thread)
    backstop = threading.Timer(10.0, os.kill, (pid, signal.SIGKILL))
    lands.start()
    backstop.start()
    try:
        status = child._wait_with_handlers(pid)
    finally:
        lands.cancel()
        backstop.cancel()
    assert child._exit_status(status) == 42
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
