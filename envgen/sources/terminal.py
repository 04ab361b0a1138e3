"""Questions for the person at the terminal. Never on stdout: the shell evaluates stdout, and
under `eval "$(envgen ...)"` a prompt written there would be run, not read."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Sequence

from envgen.errors import UsageError
from envgen.sources import validation
from envgen.streams import current

# typing.TYPE_CHECKING without loading typing: see envgen.values.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TextIO

# A terminal in line mode hands over at most 4095 characters a line (Linux's N_TTY) and
# silently drops the rest of a longer paste: a line that long may be a cut value.
TERMINAL_LINE_LIMIT = 4095
# Longer than any answer expected here: the MFA code, a choice, a key, a session token.
ANSWER_LIMIT = TERMINAL_LINE_LIMIT + 2
# A mistyped choice is asked again, a few times: not forever, for a script stuck on a terminal.
MAX_PICK_ATTEMPTS = 5


class NoTerminal(Exception):
    """There is nobody to ask: no controlling terminal."""


class MfaCodeNeeded(UsageError):
    """An MFA code is needed, none was given and there is no terminal to ask on."""

    def __init__(self, serial: str) -> None:
        super().__init__(
            f"an MFA code for {serial} is needed and there is no terminal to ask on; "
            "give it with --token-code"
        )
        self.serial = serial


class NoAnswer(Exception):
    """The person at the terminal gave no valid answer (ended the input, or kept mistyping)."""


@contextlib.contextmanager
def _terminal() -> Iterator[tuple[TextIO, TextIO]]:
    """The controlling terminal for reading and writing, whatever stdin and stdout are."""
    if not current().may_ask_at_terminal:
        raise NoTerminal
    if os.name == "nt":
        # Windows has no /dev/tty; CONIN$/CONOUT$ are the console itself.
        try:
            reader = open("CONIN$", encoding="utf-8")
            writer = open("CONOUT$", "w", encoding="utf-8")
        except OSError:
            raise NoTerminal from None
    else:
        try:
            reader = open("/dev/tty", encoding="utf-8")
            writer = open("/dev/tty", "w", encoding="utf-8")
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
            typed = reader.readline(ANSWER_LIMIT).strip()
    except NoTerminal:
        raise MfaCodeNeeded(serial) from None
    except OSError:
        # The terminal exists but cannot be read: another process group holds it, and envgen
        # does not stop to wait for it (as `exec --serve` does while its command runs).
        raise MfaCodeNeeded(serial) from None
    return validation.token_code(typed, origin="the MFA code typed") or ""


def _choice_number(answer: str, count: int) -> int | None:
    # ASCII digits only: str.isdigit() also takes superscripts, which int() refuses.
    if answer.isascii() and answer.isdigit() and 1 <= int(answer) <= count:
        return int(answer) - 1
    return None


def pick(question: str, choices: Sequence[str]) -> int:
    """The index of the choice the user types the number of, asked again after a number out of
    range or a typo; raises NoTerminal when alone, NoAnswer when no valid answer comes."""
    with _terminal() as (reader, writer):
        for number, choice in enumerate(choices, start=1):
            writer.write(f"  {number}) {choice}\n")
        for _attempt in range(MAX_PICK_ATTEMPTS):
            writer.write(f"envgen: {question} [1-{len(choices)}]: ")
            writer.flush()
            line = reader.readline(ANSWER_LIMIT)
            if not line:
                writer.write("\n")
                break  # end of input: the person said no
            chosen = _choice_number(line.strip(), len(choices))
            if chosen is not None:
                return chosen
            writer.write(f"envgen: type a number from 1 to {len(choices)}\n")
    raise NoAnswer


def ask_secret(question: str, option: str) -> str:
    """A secret typed at the terminal without echo; raises NoTerminal when there is none.

    `option` names the flag that gives the value otherwise, for the messages."""
    if not current().may_ask_at_terminal:
        raise NoTerminal
    if os.name == "nt":
        import getpass

        # Windows' getpass reads the console itself (msvcrt), never stdin or stdout.
        typed = getpass.getpass(f"envgen: {question}: ")
    else:
        with _terminal() as (reader, writer):
            typed = _read_without_echo(reader, writer, f"envgen: {question}: ")
    typed = typed.strip()
    if len(typed) >= TERMINAL_LINE_LIMIT:
        raise UsageError(
            f"{option}: the line typed fills the terminal's {TERMINAL_LINE_LIMIT} characters "
            f"and may have been cut; give it as {option} file://PATH or - for stdin"
        )
    if not typed:
        raise UsageError(f"{option}: nothing was typed; give the value, or file://PATH")
    return typed


def _read_without_echo(reader: TextIO, writer: TextIO, prompt: str) -> str:
    import termios

    descriptor = reader.fileno()
    saved = termios.tcgetattr(descriptor)
    quiet = list(saved)
    quiet[3] &= ~termios.ECHO
    # Echo off before the prompt shows, so nothing typed in answer to it is ever echoed;
    # TCSAFLUSH drops whatever was typed ahead of the question.
    termios.tcsetattr(descriptor, termios.TCSAFLUSH, quiet)
    try:
        writer.write(prompt)
        writer.flush()
        return reader.readline(ANSWER_LIMIT)
    finally:
        termios.tcsetattr(descriptor, termios.TCSAFLUSH, saved)
        writer.write("\n")
        writer.flush()


def prompter_for(given: str | None) -> Callable[[str], str]:
    """A prompt callable of the shape botocore's assume-role provider calls: prompt -> code."""

    def prompt(text: str) -> str:
        serial = text.removeprefix("Enter MFA code for ").rstrip(": ").strip() or "the MFA device"
        return ask_mfa_code(serial, given)

    return prompt


__all__ = [
    "MfaCodeNeeded",
    "NoAnswer",
    "NoTerminal",
    "ask_mfa_code",
    "ask_secret",
    "pick",
    "prompter_for",
]
