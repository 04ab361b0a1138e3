"""Where a user's files live, read once from the environment so tests can point it elsewhere."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path

from envgen.errors import EnvgenError
from envgen.values import Value

# typing.TYPE_CHECKING without loading typing: see envgen.values.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Final


class UserPlaces(Value):
    __slots__ = ("home", "environ", "windows", "macos")
    home: Final[Path]
    environ: Final[Mapping[str, str]]
    # Chosen by the platform envgen runs on: the output of one run is applied there.
    windows: Final[bool]
    macos: Final[bool]

    def __init__(
        self, home: Path, environ: Mapping[str, str], windows: bool, macos: bool = False
    ) -> None:
        self.home = home
        self.environ = environ
        self.windows = windows
        self.macos = macos

    @classmethod
    def current(cls) -> UserPlaces:
        return cls(Path.home(), os.environ, os.name == "nt", sys.platform == "darwin")

    @property
    def config_home(self) -> Path:
        # The XDG rule: a relative XDG_CONFIG_HOME is invalid and ignored.
        configured = self.environ.get("XDG_CONFIG_HOME", "")
        if configured and os.path.isabs(configured):
            return Path(configured)
        return self.home / ".config"

    @property
    def envgen_directory(self) -> Path:
        return self.config_home / "envgen"

    def zsh_directory(self) -> Path:
        """Where zsh reads .zshrc: $ZDOTDIR taken literally, as zsh takes it, else HOME."""
        if "ZDOTDIR" not in self.environ:
            return self.home
        value = self.environ["ZDOTDIR"]
        # zsh expands nothing in ZDOTDIR: `~/zsh` or `$HOME/zsh` name directories of that
        # very name below whatever directory it starts in, and an empty one means `/`.
        if not os.path.isabs(value):
            raise EnvgenError(
                f"ZDOTDIR={value!r} is not an absolute path, so zsh reads .zshrc relative to "
                "the directory it starts in; set ZDOTDIR to an absolute directory or unset it"
            )
        return Path(value)

    def env_file(self, shell: str, expands_tilde: bool) -> Path | None:
        """The file `shell` reads at interactive start by $ENV, expanded as it expands it.

        POSIX shells apply parameter expansion (and command substitution, which envgen
        will not run) to $ENV; ksh also expands a leading `~`. None when ENV is unset or empty.
        """
        value = self.environ.get("ENV", "")
        if not value:
            return None
        expanded = _expand_parameters(value, self.environ, shell)
        if expands_tilde and (expanded == "~" or expanded.startswith("~/")):
            expanded = str(self.home) + expanded[1:]
        if not os.path.isabs(expanded):
            raise EnvgenError(
                f"ENV={value!r} expands to {expanded!r}, not an absolute path, so {shell} reads "
                "it relative to the directory it starts in; set ENV to an absolute path or unset it"
            )
        return Path(expanded)


# `$NAME` and `${NAME}` are expanded; anything else a shell would act on is refused rather
# than guessed at: command substitution runs code, and quotes and backslashes are read
# differently by dash and ksh.
_PARAMETER = re.compile(r"\$(?:([A-Za-z_][A-Za-z0-9_]*)|\{([A-Za-z_][A-Za-z0-9_]*)\})")
_UNEXPANDABLE = re.compile(r"[$`'\"\\]")


def _expand_parameters(value: str, environ: Mapping[str, str], shell: str) -> str:
    def expand(match: re.Match[str]) -> str:
        return environ.get(match.group(1) or match.group(2), "")

    pieces = _PARAMETER.split(value)
    # split() leaves the literal text at every third place, the two groups between.
    literals = pieces[::3]
    if any(_UNEXPANDABLE.search(literal) for literal in literals):
        raise EnvgenError(
            f"ENV={value!r} needs more than $NAME expansion (a command, arithmetic, quote or "
            f"backslash), which envgen does not imitate; set ENV to the plain path {shell} "
            "reads, or unset it"
        )
    return _PARAMETER.sub(expand, value)
