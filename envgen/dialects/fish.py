"""fish."""

from envgen.dialects.base import Dialect


class FishDialect(Dialect):
    family = "fish"
    # `eval (envgen ...)` joins the lines with spaces; `source` reads them as written.
    apply = "{command} | source"

    def quote(self, value: str) -> str:
        # In fish's single quotes only `\\` and `\'` are escapes, and a
        # newline may stand literally.
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
