"""fish."""

from __future__ import annotations

from typing import TYPE_CHECKING

from envgen.dialects.base import Dialect

if TYPE_CHECKING:
    from envgen.persist.places import UserPlaces


class FishDialect(Dialect):
    family = "fish"
    # `eval (envgen ...)` joins the lines with spaces; `source` reads them as written.
    apply = "{command} | source"
    # `source` of empty input succeeds; `set` takes the status of its command
    # substitution, and printing the lines back one per line restores the text.
    script_apply = "set -l out ({command}); or exit; printf '%s\\n' $out | source"

    def quote(self, value: str) -> str:
        # In fish's single quotes only `\\` and `\'` are escapes, and a
        # newline may stand literally.
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"

    def persists_in_output(self, places: UserPlaces) -> bool:
        # Universal variables (`set -Ux`) are fish's own way to outlive a session.
        return True

    def persisted_in(self, places: UserPlaces) -> str:
        return f"fish's universal variables ({places.config_home / 'fish' / 'fish_variables'})"
