"""nushell."""

import json

from envgen.credentials import Changes
from envgen.dialects.base import Dialect
from envgen.render import render_template


class NuDialect(Dialect):
    family = "nu"
    # nushell cannot evaluate piped text (`source` needs a constant path), but
    # it loads a record exactly, and a null leaves the variable unexported.
    apply = "{command} | from json | load-env"

    def quote(self, value: str) -> str:
        return json.dumps(value)

    def render(self, changes: Changes) -> str:
        entries = self.quoted(changes.assignments)
        entries += [(name, "null") for name in changes.unsets]
        return render_template("nu/set.j2", entries=entries)
