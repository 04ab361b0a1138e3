"""The one exception type domain code raises; only the CLI turns it into text and an exit code."""


class EnvgenError(Exception):
    """A failure the user can act on.

    The message is one line, says what went wrong and what to do, and never
    carries a secret: callers build it from names, paths and positions only.
    """

    exit_code = 1

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code

    @property
    def message(self) -> str:
        return str(self.args[0])


class UsageError(EnvgenError):
    """The command line or an input file is wrong; nothing was attempted."""

    exit_code = 2


# Characters a terminal acts on instead of showing: C0 and C1 controls (ESC, CSI U+009B),
# format characters (bidirectional overrides such as U+202E, zero-width ones), line and
# paragraph separators, and lone surrogates.
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(character: str) -> str:
    import unicodedata

    if unicodedata.category(character) not in _HIDDEN_CATEGORIES:
        return character
    code = ord(character)
    if character in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[character]
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def printable(text: str) -> str:
    """TEXT as a terminal shows it, character for character: every control, format or
    separator character (a line break included) is written as a Python-style escape. Every
    message envgen prints goes through this: it may quote what a server answered or a path
    someone else chose."""
    if text.isascii() and text.isprintable():
        return text
    return "".join(_escape(character) for character in text)
