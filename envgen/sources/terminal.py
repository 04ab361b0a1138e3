"""Questions for the person at the terminal. Never on stdout: the shell evaluates stdout, and
under `eval "$(envgen ...)"` a prompt written there would be run, not read."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from typing import TextIO

from envgen.errors import UsageError
from envgen.sources import validation


class NoTerminal(Exception):
    """There is nobody to ask: no controlling terminal."""


@contextlib.contextmanager
def _terminal() -> Iterator[tuple[TextIO, TextIO]]:
    """The controlling terminal for reading and writing, whatever stdin and stdout are."""
    if os.name == "nt":
        # Windows has no /dev/tty; CONIN$/CONOUT$ are the console itself.
        try:
            reader = open("CONIN$", encoding="utf-8")  # noqa: SIM115
            writer = open("CONOUT$", "w", encoding="utf-8")  # noqa: SIM115
        except OSError:
            raise NoTerminal from None
    else:
        try:
            reader = open("/dev/tty", encoding="utf-8")  # noqa: SIM115
            writer = open("/dev/tty", "w", encoding="utf-8")  # noqa: SIM115
        except OSError:
            raise NoTerminal from None
    with reader, writer:
        yield reader, writer


def ask_mfa_code(serial: str, given: str | None) -> str:
    """The code given on the command line, or one typed at the terminal."""
    if given is not None:
        return given
    try:
        with _terminal() as (reader, writer):
            writer.write(f"envgen: MFA code for {serial}: ")
            writer.flush()
            typed = reader.readline().strip()
    except NoTerminal:
        raise UsageError(
            f"an MFA code for {serial} is needed and there is no terminal to ask on; "
            "give it with --token-code"
        ) from None
    return validation.token_code(typed, origin="the MFA code typed") or ""


def pick(question: str, choices: Sequence[str]) -> int:
    """The index of the choice the user types the number of; raises NoTerminal when alone."""
    with _terminal() as (reader, writer):
        for number, choice in enumerate(choices, start=1):
            writer.write(f"  {number}) {choice}\n")
        writer.write(f"envgen: {question} [1-{len(choices)}]: ")
        writer.flush()
        answer = reader.readline().strip()
    if answer.isdigit() and 1 <= int(answer) <= len(choices):
        return int(answer) - 1
    raise UsageError(f"no choice made ({answer!r} is not 1 to {len(choices)})")


def prompter_for(given: str | None):  # type: ignore[no-untyped-def]
    """A prompt callable of the shape botocore's assume-role provider calls: prompt -> code."""

    def prompt(text: str) -> str:
        serial = text.removeprefix("Enter MFA code for ").rstrip(": ").strip() or "the MFA device"
        return ask_mfa_code(serial, given)

    return prompt


__all__ = ["NoTerminal", "ask_mfa_code", "pick", "prompter_for"]
