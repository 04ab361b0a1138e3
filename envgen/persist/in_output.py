"""--persist for shells that keep variables themselves: the output carries the commands.

fish keeps universal variables (`set -Ux`), and Windows keeps the user
environment (HKCU\\Environment, through SETX and REG in cmd or
SetEnvironmentVariable in PowerShell). For these the persistence happens when
the user applies the output, so there is nothing for envgen to write.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from envgen.credentials import Changes
    from envgen.dialects.base import Dialect


@dataclasses.dataclass(frozen=True)
class InOutputPersistence:
    output: str = dataclasses.field(repr=False)  # shell code holding the secrets
    report: str
    keeps: bool

    @classmethod
    def plan(cls, dialect: Dialect, changes: Changes, where: str) -> InOutputPersistence:
        """`where`: the store the output's commands keep the variables in, for the message."""
        if changes.assignments:
            report = (
                f"the output also keeps {', '.join(changes.assignments)} for future "
                f"{dialect.name} sessions in {where}"
            )
        else:
            report = f"the output also removes envgen's variables from {where}"
        return cls(dialect.render_persist(changes), report, bool(changes.assignments))

    def apply(self) -> None:
        """Nothing to do here: the shell does it when it runs the output."""
