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
