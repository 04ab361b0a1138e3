"""Renewing the served credentials from the source that issued them, before they expire.

The renewal asks the same source again (envgen.serve.run says how), in a thread of its own: a
request to the endpoint never waits for STS. A source that needs an MFA code asks on the
terminal (/dev/tty), where the command may be reading too; without a terminal the renewal
fails, says so once, and the endpoint serves the credentials it has until they expire.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone

from envgen.credentials import Credentials, format_expiration
from envgen.errors import EnvgenError
from envgen.messages import inform, say
from envgen.sources.request import Issued

# After a failed renewal, or one that gave nothing newer, the next attempt comes this much
# later (sooner only when the credentials expire sooner).
RETRY_SECONDS = 60
# The shortest time between two renewals, however long the window: a window longer than the
# credentials' lifetime makes every renewal due at once.
MIN_RENEWAL_INTERVAL_SECONDS = 10
WAIT_SLICE_SECONDS = 15


class Renewal:
    def __init__(self, issue: Callable[[], Issued], credentials: Credentials, window: int) -> None:
        self._issue = issue
        self._window = window
        self._lock = threading.Lock()
        self._credentials = credentials
        self._stopping = threading.Event()
        self._last_problem: str | None = None
        self._thread = threading.Thread(target=self._run, name="envgen-renewal", daemon=True)

    def current(self) -> Credentials | None:
        """The credentials to serve now; None once they have expired."""
        with self._lock:
            credentials = self._credentials
        return None if credentials.is_expired() else credentials

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        # Not joined: the thread may be waiting for STS (bounded) or for an MFA code, which
        # nobody needs once the command has ended.
        self._stopping.set()

    def _due(self, credentials: Credentials, earliest: float) -> float:
        assert credentials.expiration is not None
        return max(credentials.expiration.timestamp() - self._window, earliest)

    def _run(self) -> None:
        with self._lock:
            next_attempt = self._due(self._credentials, 0)
        while not self._stopping.is_set():
            delay = next_attempt - time.time()
            if delay > 0:
                # In slices: the wait's clock stops while the machine sleeps, the expiry's
                # does not, so a laptop that wakes up renews within a slice.
                self._stopping.wait(min(delay, WAIT_SLICE_SECONDS))
                continue
            next_attempt = self._renew()

    def _renew(self) -> float:
        from envgen.sources import terminal

        started = time.time()
        with self._lock:
            held = self._credentials
        assert held.expiration is not None
        retry = started + RETRY_SECONDS
        if not held.is_expired():
            retry = min(retry, max(held.expiration.timestamp(), started + 1))
        try:
            issued = self._issue()
        except terminal.MfaCodeNeeded as error:
            # --token-code would not help: a code is spent once, and this run has begun.
            problem = (
                f"could not renew the credentials: an MFA code for {error.serial} is needed "
                "and envgen cannot ask on the terminal (there is none, or the command holds it)"
            )
            return self._failed(problem, held, retry)
        except EnvgenError as error:
            return self._failed(f"could not renew the credentials: {error.message}", held, retry)
        except Exception as error:
            return self._failed(
                f"could not renew the credentials ({type(error).__name__})", held, retry
            )
        renewed = issued.credentials
        if (
            self._stopping.is_set()
            or renewed.expiration is None
            or renewed.session_token is None
            or renewed.expiration <= held.expiration
        ):
            return self._failed(
                "renewing gave no newer credentials (the source answers the same ones)",
                held,
                retry,
            )
        with self._lock:
            self._credentials = renewed
        self._last_problem = None
        inform(f"renewed the credentials; they expire at {format_expiration(renewed.expiration)}")
        return self._due(renewed, time.time() + MIN_RENEWAL_INTERVAL_SECONDS)

    def _failed(self, problem: str, held: Credentials, retry: float) -> float:
        if self._stopping.is_set():
            return retry
        # The same problem is said once, not at every attempt.
        if problem != self._last_problem:
            assert held.expiration is not None
            moment = format_expiration(held.expiration)
            verb = "expired" if held.is_expired(datetime.now(timezone.utc)) else "expire"
            say(f"{problem}; the served ones {verb} at {moment}; trying again every minute")
            self._last_problem = problem
        return retry
