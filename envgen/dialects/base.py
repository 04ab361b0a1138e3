"""What every output shares: the render pipeline and the refusal of uncarriable values.

A `Format` is any output envgen renders (`--format json`, `--format dotenv`); a `Dialect` is a
format a shell applies, with the idioms that apply it and the facts of how that shell keeps
variables for future sessions (`Persistence`), which envgen.persist acts on.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Mapping, Sequence

from envgen.credentials import Changes, format_expiration, lone_surrogate_in
from envgen.errors import EnvgenError
from envgen.render import render_template
from envgen.values import Value

# typing.TYPE_CHECKING without loading typing: see envgen.values.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from datetime import datetime
    from pathlib import Path
    from typing import Final

    from envgen.places import UserPlaces


class UnsupportedValue(EnvgenError):
    """A value the target cannot carry exactly; refused rather than altered."""


def describe_character(char: str) -> str:
    names = {"\0": "a NUL byte", "\n": "a newline", "\r": "a carriage return", "\t": "a tab"}
    code = f"U+{ord(char):04X}"
    if char in names:
        return f"{names[char]} ({code})"
    category = unicodedata.category(char)
    if category == "Cs":
        return f"a lone surrogate ({code})"
    if category == "Cc":
        return f"a control character ({code})"
    return f"{char!r} ({code})"


def refuse_characters(
    variable: str, value: str, target: str, forbidden: Callable[[str], bool], advice: str = ""
) -> None:
    for char in value:
        if forbidden(char):
            raise UnsupportedValue(
                f"{variable} contains {describe_character(char)}, which {target} cannot carry "
                f"exactly; refusing rather than changing the value{advice}"
            )


def is_never_carriable(char: str) -> bool:
    # No environment block holds a NUL, and a lone surrogate has no encoding
    # to travel through stdout as.
    return char == "\0" or lone_surrogate_in(char) is not None


class RenderContext(Value):
    """What an output depends on besides the values, read once by the caller: a dialect
    never looks at the process's environment or platform itself."""

    __slots__ = ("utf8_locale",)
    # Whether the shell that reads the output runs in a UTF-8 locale.
    utf8_locale: Final[bool]

    def __init__(self, utf8_locale: bool) -> None:
        self.utf8_locale = utf8_locale

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> RenderContext:
        # The locale the shell runs in is the one it handed down to envgen.
        for variable in ("LC_ALL", "LC_CTYPE", "LANG"):
            value = environ.get(variable)
            if value:
                return cls(utf8_locale=value.lower().replace("-", "").endswith("utf8"))
        return cls(utf8_locale=False)


class Format:
    """One kind of output: how a value is quoted, which template lays out the lines, and
    which values it refuses rather than alters.

    Subclasses set `family` (the folder under templates/) and override `quote`, and
    `forbids` or `check` where the target cannot carry every value.
    """

    family: str = ""
    summary: str = ""
    advice: str = "; --format json carries any value"

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"

    def forbids(self, char: str) -> bool:
        return is_never_carriable(char)

    def quote(self, value: str) -> str:
        raise NotImplementedError

    def check(self, variable: str, value: str) -> None:
        refuse_characters(variable, value, self.name, self.forbids, self.advice)

    def quoted(self, assignments: dict[str, str]) -> list[tuple[str, str]]:
        pairs = []
        for variable, value in assignments.items():
            self.check(variable, value)
            pairs.append((variable, self.quote(value)))
        return pairs

    def render(self, changes: Changes, context: RenderContext) -> str:
        return render_template(
            f"{self.family}/set.j2",
            assignments=self.quoted(changes.assignments),
            unsets=changes.unsets,
        )


class Persistence(Value):
    """How a shell's variables outlive its session (`--persist`): facts, not code paths.

    A shell that keeps variables itself (fish's universal variables, the Windows user
    environment) gets the commands in the output, from <family>/persist.j2; `kept_by_output`
    names that store for the message on stderr, or gives None where the platform has none.
    Every other shell gets `managed_file` under envgen's directory, applied by one block in
    the file `startup_file` names.
    """

    __slots__ = ("startup_file", "managed_file", "kept_by_output")
    startup_file: Final[Callable[[UserPlaces], Path] | None]
    managed_file: Final[str]
    kept_by_output: Final[Callable[[UserPlaces], str | None] | None]

    def __init__(
        self,
        startup_file: Callable[[UserPlaces], Path] | None = None,
        managed_file: str = "",
        kept_by_output: Callable[[UserPlaces], str | None] | None = None,
    ) -> None:
        self.startup_file = startup_file
        self.managed_file = managed_file
        self.kept_by_output = kept_by_output

    def kept_in_output(self, places: UserPlaces) -> str | None:
        return self.kept_by_output(places) if self.kept_by_output is not None else None


class KeptUntil(Value):
    """How long a managed file applies the values it keeps, and what a new session says once
    they have expired: the file is read by every new session long after envgen has gone."""

    __slots__ = ("expiration", "renew_command")
    expiration: Final[datetime]
    # The command line that got them, secrets masked: what gets new ones.
    renew_command: Final[str]

    def __init__(self, expiration: datetime, renew_command: str) -> None:
        self.expiration = expiration
        self.renew_command = renew_command

    @property
    def epoch_seconds(self) -> int:
        # Rounded down: a session a fraction of a second early already leaves them out.
        return math.floor(self.expiration.timestamp())

    @property
    def iso(self) -> str:
        return format_expiration(self.expiration)

    @property
    def notice(self) -> str:
        """One line for stderr; a control character from the command line would break it
        (and csh cannot carry a newline at all), so each shows as `?`."""
        command = "".join(char if char.isprintable() else "?" for char in self.renew_command)
        return (
            f"envgen: the credentials kept by --persist expired at {self.iso} and were not "
            f"applied; get new ones with: {command}"
        )


class Dialect(Format):
    """A shell: a format with the idioms that apply it and the facts of how it persists.

    Subclasses set `apply` (the idiom that applies the output, with `{command}` where
    envgen's command line goes) and `script_apply` (the form for scripts, which stops the
    script when envgen fails, where `apply` would carry on). `prompt_hook` names the template
    under templates/<family>/ of the shell's prompt hook (`envgen hook`), None for a shell
    that runs nothing before its prompt.
    """

    apply: str = "{command}"
    script_apply: str = "{command}"

    def __init__(self, name: str, persistence: Persistence, prompt_hook: str | None = None) -> None:
        super().__init__(name)
        self.persistence = persistence
        self.prompt_hook = prompt_hook

    def render_hook(self, envgen: Sequence[str]) -> str:
        """The prompt hook, running envgen as the words `envgen` say (an absolute path first,
        never a name looked up in PATH before each prompt)."""
        assert self.prompt_hook is not None
        return render_template(
            f"{self.family}/{self.prompt_hook}", envgen=self.hook_command(envgen), shell=self.name
        )

    def hook_command(self, envgen: Sequence[str]) -> str:
        """The words that run envgen, as the hook's code runs a program by its path."""
        return " ".join(self.quote_path(word, "the command that runs envgen") for word in envgen)

    def apply_hint(self, command: str) -> str:
        return self.apply.format(command=command)

    def script_hint(self, command: str) -> str:
        return self.script_apply.format(command=command)

    def render_persist(self, changes: Changes) -> str:
        """The commands that keep (or, with no assignments, remove) the variables, for a
        shell that keeps them itself."""
        return render_template(
            f"{self.family}/persist.j2",
            assignments=self.quoted(changes.assignments),
            unsets=changes.unsets,
        )

    def render_managed(
        self, changes: Changes, context: RenderContext, kept_until: KeptUntil | None
    ) -> str:
        """The managed file a startup block applies: the output itself, inside a check of the
        clock when the values expire, so a session started later never takes dead keys."""
        body = self.render(changes, context)
        if kept_until is None:
            return body
        return render_template(
            f"{self.family}/persist-managed.j2",
            body=body,
            kept_until=kept_until,
            notice=self.quote(kept_until.notice),
        )

    def render_startup_block(self, managed_file: Path) -> str:
        return render_template(
            f"{self.family}/persist-block.j2", path=self.quote_path(str(managed_file))
        )

    def quote_path(self, path: str, what: str = "the path of envgen's managed file") -> str:
        """A path (`what`) as a literal in the shell's startup file."""
        self.check(what, path)
        return self.quote(path)
