"""nushell."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence

from envgen.credentials import Changes
from envgen.dialects.base import Dialect, KeptUntil, RenderContext
from envgen.render import render_template

# typing.TYPE_CHECKING without loading typing: see envgen.values.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path

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
        return render_template("nu/set.j2", entries=self._entries(changes))

    def _entries(self, changes: Changes) -> list[tuple[str, str]]:
        entries = self.quoted(changes.assignments)
        entries += [(name, "null") for name in changes.unsets]
        return entries

    def render_managed(
        self, changes: Changes, context: RenderContext, kept_until: KeptUntil | None
    ) -> str:
        # A JSON record holds no logic: config.nu's line compares the clock with the expiry
        # this record carries, and takes these two entries out before it loads the rest.
        entries = self._entries(changes)
        if kept_until is not None:
            entries += [
                (KEPT_UNTIL_ENTRY, self.quote(kept_until.iso)),
                (EXPIRED_NOTICE_ENTRY, self.quote(kept_until.notice)),
            ]
        return render_template("nu/set.j2", entries=entries)

    def render_startup_block(self, managed_file: Path) -> str:
        return render_template(
            "nu/persist-block.j2",
            path=self.quote_path(str(managed_file)),
            until=KEPT_UNTIL_ENTRY,
            notice=EXPIRED_NOTICE_ENTRY,
        )

    def hook_command(self, envgen: Sequence[str]) -> str:
        # `^` runs the first word as an external command even where it names a file.
        return "^" + super().hook_command(envgen)

    def quote_path(self, path: str, what: str = "the path of envgen's managed file") -> str:
        # A raw string takes every character as it is; enough `#` keep a
        # `'#` inside the path from ending it.
        self.check(what, path)
        hashes = "#"
        while f"'{hashes}" in path:
            hashes += "#"
        return f"r{hashes}'{path}'{hashes}"


# The managed file is the very record the output prints: config.nu loads it
# with `from json | load-env`, which needs no parse-time constant path (as
# `source` would) and so copes with a file that is not there.
MANAGED_FILE = "persist.json"
# The entries of the managed record that are envgen's, not the environment's: when the values
# expire, and the line a session started after that prints.
KEPT_UNTIL_ENTRY = "ENVGEN_PERSIST_UNTIL"
EXPIRED_NOTICE_ENTRY = "ENVGEN_PERSIST_EXPIRED"


def config_nu(places: UserPlaces) -> Path:
    # nushell's own rule for $nu.config-path: an absolute XDG_CONFIG_HOME
    # wins, else the platform's configuration directory.
    # pathlib only where a file is kept: rendering and the cache hit never load it (4 ms).
    from pathlib import Path

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
