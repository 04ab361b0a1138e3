"""elvish."""

from __future__ import annotations

from envgen.dialects.base import Dialect

# typing.TYPE_CHECKING without loading typing: see envgen.values.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path

    from envgen.places import UserPlaces

MANAGED_FILE = "persist.elv"


class ElvishDialect(Dialect):
    family = "elvish"
    apply = "eval ({command} | slurp)"
    # A failing external command is an exception in elvish: the idiom already stops.
    script_apply = apply

    def quote(self, value: str) -> str:
        # Elvish single quotes are verbatim, newlines included; `''` is the only escape.
        return "'" + value.replace("'", "''") + "'"


def rc_elv(places: UserPlaces) -> Path:
    # Elvish up to 0.19 still reads ~/.elvish/rc.elv when it exists.
    legacy = places.home / ".elvish" / "rc.elv"
    if legacy.exists():
        return legacy
    if places.windows and places.environ.get("APPDATA"):
        # pathlib only where a file is kept: rendering and the cache hit never load it (4 ms).
        from pathlib import Path

        return Path(places.environ["APPDATA"]) / "elvish" / "rc.elv"
    return places.config_home / "elvish" / "rc.elv"
