"""tcsh and csh."""

from __future__ import annotations

from collections.abc import Sequence

from envgen.credentials import Changes
from envgen.dialects.base import (
    Dialect,
    Persistence,
    RenderContext,
    UnsupportedValue,
    is_never_carriable,
)
from envgen.render import render_template

# typing.TYPE_CHECKING without loading typing: see envgen.values.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path

    from envgen.places import UserPlaces

_CSH_ESCAPES = {"'": "'\\''", "\\": "'\\\\'", "!": "\\!"}

# BSD csh (Debian's and Ubuntu's csh) takes each line of backquoted output as
# one word of less than PATH_MAX bytes (4090 at most on Linux) and stops with
# "Word too long" past it. A longer value is therefore built up in a shell
# variable from lines short enough for every csh, the BSDs' 1024-byte
# PATH_MAX included.
CSH_LINE_BYTES = 900
# Any word BSD csh builds, the expanded value included, holds at most
# BUFSIZ - 5 bytes (8187 with glibc). tcsh has no such limit, and is the csh
# of macOS and FreeBSD, where `--shell tcsh` carries longer values.
BSD_CSH_WORD_BYTES = 8187
# The shell variable a long value is built up in, unset again at once.
VALUE_HOLDER = "envgen_value"
# tcsh outside a UTF-8 locale loses bytes of non-ASCII text that it reads from
# backquotes past this many bytes, and a lost closing quote would let the rest
# of the line run as code.
TCSH_BYTE_LOCALE_OUTPUT_BYTES = 4096

MANAGED_FILE = "persist.csh"


class CshDialect(Dialect):
    family = "csh"
    # The unquoted form would split words and expand braces. Each line ends in
    # `;` because the backquotes hand eval the lines joined by spaces.
    apply = 'eval "`{command}`"'
    # envgen prints nothing when it fails; the `exit 1` printed instead ends the script.
    script_apply = 'eval "`{command} || echo exit 1`"'

    def __init__(
        self,
        name: str,
        persistence: Persistence,
        *,
        longest_word_bytes: int | None = None,
        byte_locale_output_bytes: int | None = None,
        prompt_hook: str | None = None,
    ) -> None:
        """`longest_word_bytes`: the longest word this csh builds (BSD csh's limit), None
        for no limit. `byte_locale_output_bytes`: how much output this csh reads back whole
        outside a UTF-8 locale when it holds non-ASCII text (tcsh's), None for any.
        `prompt_hook`: for a csh that has `precmd` (tcsh; BSD csh has none)."""
        super().__init__(name, persistence, prompt_hook)
        self.longest_word_bytes = longest_word_bytes
        self.byte_locale_output_bytes = byte_locale_output_bytes

    def forbids(self, char: str) -> bool:
        # csh has no quoting that survives a newline through eval and backquotes.
        return is_never_carriable(char) or char in "\r\n"

    def quote(self, value: str) -> str:
        # Single quotes do not stop history substitution, so `!` needs its
        # backslash even inside them. With `backslash_quote` set a backslash
        # inside quotes escapes, so it is written outside them as `\\`; a
        # quote closes, is escaped, and reopens as in POSIX shells.
        return "'" + "".join(_CSH_ESCAPES.get(char, char) for char in value) + "'"

    def check(self, variable: str, value: str) -> None:
        super().check(variable, value)
        size = len(value.encode("utf-8"))
        if self.longest_word_bytes is not None and size > self.longest_word_bytes:
            raise UnsupportedValue(
                f"{variable} is {size} bytes long, and BSD csh holds at most "
                f"{self.longest_word_bytes} bytes in a word; refusing rather than cutting it "
                f"(if your csh is tcsh, use --shell tcsh){self.advice}"
            )

    def quoted_pieces(self, value: str) -> list[str]:
        """The value as one quoted word, or as quoted pieces that each fit a short line."""
        whole = self.quote(value)
        if len(whole.encode("utf-8")) <= CSH_LINE_BYTES:
            return [whole]
        pieces: list[str] = []
        piece: list[str] = []
        size = 0
        for char in value:
            char_size = len(_CSH_ESCAPES.get(char, char).encode("utf-8"))
            if piece and size + char_size > CSH_LINE_BYTES:
                pieces.append(self.quote("".join(piece)))
                piece, size = [], 0
            piece.append(char)
            size += char_size
        pieces.append(self.quote("".join(piece)))
        return pieces

    def render(self, changes: Changes, context: RenderContext) -> str:
        assignments = []
        for variable, value in changes.assignments.items():
            self.check(variable, value)
            assignments.append((variable, self.quoted_pieces(value)))
        text = render_template(
            "csh/set.j2", assignments=assignments, unsets=changes.unsets, holder=VALUE_HOLDER
        )
        limit = self.byte_locale_output_bytes
        if limit is not None and not context.utf8_locale and len(text.encode("utf-8")) > limit:
            self.refuse_non_ascii(changes, limit)
        return text

    def render_hook(self, envgen: Sequence[str]) -> str:
        assert self.prompt_hook is not None
        # An alias holds one line, and its text is quoted once more to be defined: the check
        # template's lines are joined, and the refresh command is quoted inside the quotes.
        refresh = f"{self.hook_command(envgen)} refresh --hook --shell {self.name}"
        check = render_template(f"csh/{self.prompt_hook.removesuffix('.j2')}-check.j2")
        return render_template(
            f"csh/{self.prompt_hook}",
            refresh=self.quote(refresh),
            check=self.quote(" ".join(check.split("\n")).strip()),
        )

    def refuse_non_ascii(self, changes: Changes, limit: int) -> None:
        for variable, value in changes.assignments.items():
            if not value.isascii():
                raise UnsupportedValue(
                    f"{variable} holds non-ASCII text, which tcsh outside a UTF-8 locale "
                    f"does not read back whole from output over "
                    f"{limit} bytes; refusing rather than changing "
                    f"the value (set LC_ALL=C.UTF-8 first){self.advice}"
                )


def tcshrc_else_cshrc(places: UserPlaces) -> Path:
    # tcsh reads ~/.tcshrc, or ~/.cshrc only when there is no ~/.tcshrc.
    tcshrc, cshrc = places.home / ".tcshrc", places.home / ".cshrc"
    return tcshrc if tcshrc.exists() or not cshrc.exists() else cshrc


def cshrc(places: UserPlaces) -> Path:
    # BSD csh reads ~/.cshrc alone.
    return places.home / ".cshrc"
