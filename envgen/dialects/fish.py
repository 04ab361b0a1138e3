"""fish."""

from __future__ import annotations

from envgen.dialects.base import Dialect

# typing.TYPE_CHECKING without loading typing: see envgen.values.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from envgen.places import UserPlaces


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


def universal_variables(places: UserPlaces) -> str:
    # Universal variables (`set -Ux`) are fish's own way to outlive a session.
    return f"fish's universal variables ({places.config_home / 'fish' / 'fish_variables'})"
