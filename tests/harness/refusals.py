"""The one statement, for the tests, of which values each shell and format refuses.

Written from the shells' own behaviour (see SHELLS.md), not from envgen's code: every test that
needs to know whether a value must be refused or carried exactly asks here, so a rule lives in
one place and a shell added to the registry is checked against it at once. A target not named
below refuses only what no environment can hold. Rendering is assumed to happen in a UTF-8
locale (`UTF8_LOCALE`); tcsh's extra refusal outside one is tested on its own.
"""

from __future__ import annotations

from envgen.dialects import RenderContext

UTF8_LOCALE = RenderContext(utf8_locale=True)

# No environment block holds a NUL; a lone surrogate has no encoding to travel as.
NEVER_CARRIED = "\0"

# Characters that alone make a target refuse a value, beyond NEVER_CARRIED. Control characters
# and non-ASCII text are covered by the rules below, not listed.
_REFUSED_CHARACTERS = {
    # No csh quoting survives a newline through eval and backquotes.
    "tcsh": "\r\n",
    "csh": "\r\n",
    # cmd reads a line after `%` and `!` expansion and `& | < > " ^` handling.
    "cmd": '"%!^&|<>',
    # python-dotenv and docker compose agree on no escape inside single quotes.
    "dotenv": "'\\",
}

# BSD csh builds no word longer than BUFSIZ - 5 bytes (8187 with glibc); tcsh has no limit.
BSD_CSH_WORD_BYTES = 8187
# One cmd command line holds at most this many characters.
CMD_LINE_LIMIT = 8191
# The longest variable name envgen sets: a value whose SET line fits with it fits with any.
LONGEST_VARIABLE = "AWS_CREDENTIAL_EXPIRATION"


def _is_lone_surrogate(char: str) -> bool:
    return 0xD800 <= ord(char) <= 0xDFFF


def refused_characters(target: str) -> str:
    """Characters that make `target` refuse any value holding one (control characters and
    non-ASCII ones that cmd and dotenv refuse as a class are not listed)."""
    return NEVER_CARRIED + _REFUSED_CHARACTERS.get(target, "")


def refuses(target: str, value: str, variable: str = "AWS_SESSION_TOKEN") -> bool:
    """Whether `target` must refuse `value` held in `variable`; any other value it must carry
    exactly."""
    if any(char in refused_characters(target) or _is_lone_surrogate(char) for char in value):
        return True
    if target == "csh":
        return len(value.encode("utf-8")) > BSD_CSH_WORD_BYTES
    if target == "cmd":
        # FOR /F decodes the output in the console code page: only printable ASCII is safe.
        return (
            any(not " " <= char <= "~" for char in value)
            or len(f'SET "{variable}={value}"') > CMD_LINE_LIMIT
        )
    if target == "dotenv":
        # python-dotenv expands `${...}` even inside single quotes.
        return "${" in value or any(char < " " or char == "\x7f" for char in value)
    return False
