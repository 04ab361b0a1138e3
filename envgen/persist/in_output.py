"""--persist for shells that keep variables themselves: the output carries the commands.

fish keeps universal variables (`set -Ux`), and Windows keeps the user
environment (HKCU\\Environment, through SETX and REG in cmd or
SetEnvironmentVariable in PowerShell). For these the persistence happens when
the user applies the output, so there is nothing for envgen to write.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from envgen.credentials import Changes
from envgen.places import UserPlaces

if TYPE_CHECKING:
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


def forgetting_kept_values(
    dialect: Dialect, unsets: tuple[str, ...], places: UserPlaces | None = None
) -> str:
    """The commands, to follow the output that unsets `unsets`, that also erase them from where
    the shell keeps variables itself, for credentials that were persisted there and expired.

    Nothing for a shell with a managed file: that file stops applying its values at their
    expiry by itself. Nothing more for fish: its output already erases the universal
    variables with the globals. The Windows user environment needs its own commands.
    """
    places = places or UserPlaces.current()
    if dialect.persistence.kept_in_output(places) is None:
        return ""
    return dialect.render_persist(Changes({}, unsets))
