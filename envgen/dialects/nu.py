"""nushell."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from envgen.credentials import Changes
from envgen.dialects.base import Dialect, RenderContext
from envgen.render import render_template

if TYPE_CHECKING:
    from envgen.places import UserPlaces


class NuDialect(Dialect):
    family = "nu"
    # nushell cannot evaluate piped text (`source` needs a constant path), but
    # it loads a record exactly, and a null leaves the variable unexported.
    apply = "{command} | from json | load-env"
    # A failing external command ends a nushell script: the idiom already stops.
    script_apply = apply

    def quote(self, value: str) -> str:
        return json.dumps(value)

    def render(self, changes: Changes, context: RenderContext) -> str:
        entries = self.quoted(changes.assignments)
        entries += [(name, "null") for name in changes.unsets]
        return render_template("nu/set.j2", entries=entries)

    def quote_path(self, path: str) -> str:
        # A raw string takes every character as it is; enough `#` keep a
        # `'#` inside the path from ending it.
        self.check("the path of envgen's managed file", path)
        hashes = "#"
        while f"'{hashes}" in path:
            hashes += "#"
        return f"r{hashes}'{path}'{hashes}"


# The managed file is the very record the output prints: config.nu loads it
# with `from json | load-env`, which needs no parse-time constant path (as
# `source` would) and so copes with a file that is not there.
MANAGED_FILE = "persist.json"


def config_nu(places: UserPlaces) -> Path:
    # nushell's own rule for $nu.config-path: an absolute XDG_CONFIG_HOME
    # wins, else the platform's configuration directory.
    configured = places.environ.get("XDG_CONFIG_HOME", "")
    if configured and os.path.isabs(configured):
        base = Path(configured)
    elif places.windows and places.environ.get("APPDATA"):
        base = Path(places.environ["APPDATA"])
    elif places.macos:
        base = places.home / "Library" / "Application Support"
    else:
        base = places.home / ".config"
    return base / "nushell" / "config.nu"
