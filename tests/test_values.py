"""envgen.values: the small immutable values the modules every run loads are made of, instead
of dataclasses."""

from __future__ import annotations

import pytest

from envgen.records import Origin
from envgen.sources.request import Place, RoleOptions


def test_values_of_one_type_with_equal_fields_are_equal_and_hash_alike() -> None:
    assert Place("dev", "eu-west-1") == Place("dev", "eu-west-1", None)
    assert hash(Place("dev", "eu-west-1")) == hash(Place("dev", "eu-west-1", None))
    assert Place("dev") != Place("ops")
    assert Place() != RoleOptions()
    assert {Place("dev"), Place("dev")} == {Place("dev")}


def test_a_field_set_once_cannot_change_nor_go() -> None:
    where = Place("dev")
    with pytest.raises(AttributeError):
        where.profile = "ops"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del where.profile  # type: ignore[misc]
    with pytest.raises(AttributeError):
        where.other = 1  # type: ignore[attr-defined]
    assert where.profile == "dev"


def test_repr_names_the_fields_but_the_hidden_ones() -> None:
    options = RoleOptions(role_arn="arn:aws:iam::123456789012:role/R", token_code="654321")
    shown = repr(options)
    assert shown.startswith("RoleOptions(role_arn='arn:aws:iam::123456789012:role/R', ")
    assert "654321" not in shown and "token_code" not in shown


def test_as_dict_gives_every_field_in_order() -> None:
    origin = Origin("role", "digest", profile="dev", persisted=True)
    fields = origin.as_dict()
    assert list(fields) == list(Origin.__slots__)
    assert fields["profile"] == "dev" and fields["persisted"] is True
    assert Origin(**fields) == origin  # type: ignore[arg-type]
