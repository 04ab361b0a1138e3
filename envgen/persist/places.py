"""Where a user's files live, read once from the environment so tests can point it elsewhere."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path


@dataclasses.dataclass(frozen=True)
class UserPlaces:
    home: Path
    environ: Mapping[str, str]
    # Chosen by the platform envgen runs on: the output of one run is applied there.
    windows: bool

    @classmethod
    def current(cls) -> UserPlaces:
        return cls(Path.home(), os.environ, os.name == "nt")

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

    def variable_path(self, name: str) -> Path | None:
        """The path an environment variable names, `~` and `$HOME` expanded; None when unset."""
        value = self.environ.get(name, "")
        if not value:
            return None
        expanded = value.replace("${HOME}", str(self.home)).replace("$HOME", str(self.home))
        if expanded == "~" or expanded.startswith("~/"):
            expanded = str(self.home) + expanded[1:]
        return Path(expanded)
