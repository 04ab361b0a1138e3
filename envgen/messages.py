"""Lines for the human, on stderr: how many of them -q and -v ask for.

Errors, warnings and the terminal hint are always shown; the summary of a success (whose
credentials, when they expire, what was kept) goes away with -q; -v adds how envgen got its
answer (profile chain, cache hit or miss, endpoint and region), never a secret.
"""

from __future__ import annotations

from envgen.errors import printable
from envgen.streams import current

QUIET, NORMAL, VERBOSE = 0, 1, 2
_level = NORMAL


def set_level(level: int) -> None:
    global _level
    _level = level


def level() -> int:
    return _level


def say(message: str) -> None:
    """One line for the human, on stderr, never on the stream the shell evaluates; control
    characters in it are shown escaped, never acted on by the terminal."""
    stderr = current().stderr
    if stderr is not None:
        print(f"envgen: {printable(message)}", file=stderr)


def inform(message: str) -> None:
    """A line of the summary of a success: left out under -q."""
    if _level >= NORMAL:
        say(message)


def detail(message: str) -> None:
    """How envgen got its answer: shown under -v only. Callers pass names, paths, regions
    and URLs, never a key, token or code."""
    if _level >= VERBOSE:
        say(message)
