"""Small immutable values for the modules every run of envgen loads.

Each is what a frozen dataclass would be: its fields are the names in `__slots__`, set once
in `__init__` (a second assignment raises AttributeError, and mypy refuses one before it runs,
as they are declared `Final`); two values are equal when they are of one type with equal
fields; `repr` shows the fields, except those named in `_hidden` (secrets). They are not
dataclasses because the dataclasses module, with the inspect module it loads, and the code it
generates for each class would cost a `credential_process` run about 15 ms: a fifth of all it
may take.
"""

from __future__ import annotations

# typing.TYPE_CHECKING without loading typing (3 ms at start-up); mypy takes any constant
# of this name as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import ClassVar


class Value:
    __slots__: tuple[str, ...] = ()
    # Fields left out of repr: secrets, and whatever would print one.
    _hidden: ClassVar[frozenset[str]] = frozenset()

    def _fields(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def as_dict(self) -> dict[str, object]:
        """The fields by name, in their order."""
        return {name: getattr(self, name) for name in self.__slots__}

    def __setattr__(self, name: str, value: object) -> None:
        if hasattr(self, name):
            raise AttributeError(f"{type(self).__name__}.{name} cannot change; make a new value")
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__}.{name} cannot change; make a new value")

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, Value)
        return self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash((type(self), self._fields()))

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{name}={getattr(self, name)!r}" for name in self.__slots__ if name not in self._hidden
        )
        return f"{type(self).__name__}({shown})"
