"""Keeping credentials beyond the current session: --persist, clear --persist, --save-profile.

One module per mechanism: in_output (commands in the output itself: fish,
the Windows user environment), startup_file (a managed file and a block in
the shell's startup file), shared_credentials (a profile in the AWS shared
credentials file), process_profile (a config profile that renews through envgen,
--auto-refresh). Each plan is made, and every value checked, before
anything is written; `apply` then does the writing.
"""

from __future__ import annotations

from envgen.places import UserPlaces

# typing.TYPE_CHECKING without loading typing: see envgen.values. Importing one module of
# this package (atomic, which the AWS CLI cache writes through on every cache miss) must not
# cost the mechanisms' modules, which load dataclasses and typing.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Protocol

    from envgen.credentials import Changes
    from envgen.dialects.base import Dialect, KeptUntil, RenderContext

    class SideEffect(Protocol):
        """A write beyond stdout, planned (every value checked) before anything is written."""

        @property
        def output(self) -> str: ...  # shell code the output carries for it

        @property
        def keeps(self) -> bool: ...  # False when it removes what was kept

        @property
        def report(self) -> str: ...  # one line for stderr, once applied

        def apply(self) -> None: ...


__all__ = ["SideEffect", "UserPlaces", "plan_persistence"]


def plan_persistence(
    dialect: Dialect,
    changes: Changes,
    context: RenderContext,
    places: UserPlaces | None = None,
    kept_until: KeptUntil | None = None,
) -> SideEffect:
    """How `dialect` keeps `changes` for future sessions; with no assignments, how it forgets.

    Which mechanism serves is a fact of the shell's registry entry, asked of the platform.
    A managed file applies the values only until `kept_until` says they expire; a shell that
    keeps them itself holds them until the prompt hook clears them.
    """
    from envgen.persist.in_output import InOutputPersistence
    from envgen.persist.startup_file import StartupFilePersistence

    places = places or UserPlaces.current()
    kept_in = dialect.persistence.kept_in_output(places)
    if kept_in is not None:
        return InOutputPersistence.plan(dialect, changes, kept_in)
    return StartupFilePersistence.plan(dialect, changes, context, places, kept_until)
