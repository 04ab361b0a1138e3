"""The credentials value: what it hides, what it exports, and how it reads expiry times."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from envgen.credentials import (
    CREDENTIAL_VARIABLES,
    MANAGED_VARIABLES,
    Changes,
    Credentials,
    format_expiration,
    parse_expiration,
)
from envgen.errors import EnvgenError, UsageError

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
TOKEN = "FwoGZXIvYXdzEXAMPLETOKEN//////////wEaDM+token=="
PLUS_TWO = timezone(timedelta(hours=2))


def credentials(**overrides: object) -> Credentials:
    fields: dict[str, object] = {
        "access_key_id": "ASIAEXAMPLE",
        "secret_access_key": SECRET,
        "session_token": TOKEN,
        "expiration": datetime(2030, 1, 31, 14, 0, tzinfo=PLUS_TWO),
        "region": "eu-west-1",
    }
    fields.update(overrides)
    return Credentials(**fields)  # type: ignore[arg-type]


def test_repr_and_str_show_neither_secret_nor_token() -> None:
    value = credentials()
    for text in (repr(value), str(value), f"{value}", f"{value!r}", repr([value])):
        assert SECRET not in text
        assert TOKEN not in text
        assert "ASIAEXAMPLE" in text


def test_changes_repr_masks_the_secret_variables() -> None:
    text = repr(Changes.from_credentials(credentials()))
    assert SECRET not in text
    assert TOKEN not in text
    assert "AWS_SESSION_TOKEN" in text


def test_environment_gives_both_expiry_variables_in_utc_iso_8601() -> None:
    environment = credentials().environment()
    # 14:00 at +02:00 is 12:00 UTC.
    assert environment["AWS_CREDENTIAL_EXPIRATION"] == "2030-01-31T12:00:00Z"
    assert environment["AWS_SESSION_EXPIRATION"] == "2030-01-31T12:00:00Z"


def test_environment_sets_every_managed_variable_in_order_when_all_is_known() -> None:
    environment = credentials().environment()
    assert tuple(environment) == CREDENTIAL_VARIABLES
    assert environment["AWS_ACCESS_KEY_ID"] == "ASIAEXAMPLE"
    assert environment["AWS_SECRET_ACCESS_KEY"] == SECRET
    assert environment["AWS_SESSION_TOKEN"] == TOKEN
    assert environment["AWS_REGION"] == environment["AWS_DEFAULT_REGION"] == "eu-west-1"


@pytest.mark.parametrize("region", [None, ""])
def test_region_variables_only_when_a_region_is_known(region: str | None) -> None:
    environment = credentials(region=region).environment()
    assert "AWS_REGION" not in environment
    assert "AWS_DEFAULT_REGION" not in environment


def test_long_term_keys_set_neither_token_nor_expiry() -> None:
    value = credentials(session_token=None, expiration=None, region=None)
    assert not value.is_temporary
    assert value.environment() == {
        "AWS_ACCESS_KEY_ID": "ASIAEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": SECRET,
    }


def test_an_empty_token_counts_as_no_token() -> None:
    value = credentials(session_token="")
    assert value.session_token is None
    assert "AWS_SESSION_TOKEN" not in value.environment()


def test_stale_variables_are_unset_beside_long_term_keys() -> None:
    changes = Changes.from_credentials(
        credentials(session_token=None, expiration=None, region=None)
    )
    assert set(changes.assignments) == {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}
    assert changes.unsets == (
        "AWS_SESSION_TOKEN",
        "AWS_CREDENTIAL_EXPIRATION",
        "AWS_SESSION_EXPIRATION",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_SECURITY_TOKEN",
        "ENVGEN_EXPIRATION",
        "ENVGEN_CHECK_AT",
        "ENVGEN_SOURCE",
    )


def test_every_managed_variable_is_either_set_or_unset() -> None:
    for value in (credentials(), credentials(session_token=None, region=None)):
        changes = Changes.from_credentials(value)
        assert sorted([*changes.assignments, *changes.unsets]) == sorted(MANAGED_VARIABLES)
        assert not set(changes.assignments) & set(changes.unsets)


def test_clearing_unsets_everything_and_sets_nothing() -> None:
    changes = Changes.clearing()
    assert changes.assignments == {}
    assert changes.unsets == MANAGED_VARIABLES


def test_a_naive_expiry_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        credentials(expiration=datetime(2030, 1, 1))


@pytest.mark.parametrize("field", ["access_key_id", "secret_access_key"])
def test_empty_keys_are_refused_by_name(field: str) -> None:
    with pytest.raises(EnvgenError) as caught:
        credentials(**{field: ""})
    assert (
        "AccessKeyId" if field == "access_key_id" else "SecretAccessKey"
    ) in caught.value.message


@pytest.mark.parametrize("field", ["access_key_id", "secret_access_key", "session_token", "region"])
@pytest.mark.parametrize("surrogate", ["\udcff", "\ud800"])
def test_a_lone_surrogate_is_refused_for_every_output(field: str, surrogate: str) -> None:
    # Nothing can write it as UTF-8: no shell, no JSON document, no credentials file.
    with pytest.raises(EnvgenError) as caught:
        credentials(**{field: "AB" + surrogate + "CD"})
    message = caught.value.message
    assert "lone surrogate" in message and f"U+{ord(surrogate):04X}" in message
    assert "AB" not in message


def test_the_value_is_immutable() -> None:
    value = credentials()
    with pytest.raises(AttributeError):
        value.secret_access_key = "other"  # type: ignore[misc]


def test_expiry_compares_with_now() -> None:
    value = credentials(expiration=datetime(2030, 1, 1, tzinfo=timezone.utc))
    assert not value.is_expired(datetime(2029, 12, 31, 23, 59, 59, tzinfo=timezone.utc))
    assert value.is_expired(datetime(2030, 1, 1, tzinfo=timezone.utc))
    assert not credentials(expiration=None).is_expired()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2030-01-31T12:00:00Z", datetime(2030, 1, 31, 12, tzinfo=timezone.utc)),
        ("2030-01-31T12:00:00z", datetime(2030, 1, 31, 12, tzinfo=timezone.utc)),
        ("2030-01-31T12:00:00+00:00", datetime(2030, 1, 31, 12, tzinfo=timezone.utc)),
        ("2030-01-31T14:00:00+02:00", datetime(2030, 1, 31, 12, tzinfo=timezone.utc)),
        (
            " 2030-01-31T12:00:00.250Z ",
            datetime(2030, 1, 31, 12, 0, 0, 250000, tzinfo=timezone.utc),
        ),
        # STS means UTC; a time written without a zone is read that way.
        ("2030-01-31T12:00:00", datetime(2030, 1, 31, 12, tzinfo=timezone.utc)),
    ],
)
def test_parse_expiration_reads_iso_8601_as_an_aware_time(text: str, expected: datetime) -> None:
    moment = parse_expiration(text)
    assert moment == expected
    assert moment.tzinfo is not None


def test_format_expiration_writes_utc_with_a_z() -> None:
    assert format_expiration(datetime(2030, 1, 31, 14, 0, 5, 999, tzinfo=PLUS_TWO)) == (
        "2030-01-31T12:00:05Z"
    )


def test_a_bad_expiration_is_a_usage_error_showing_the_time_text() -> None:
    with pytest.raises(UsageError) as caught:
        parse_expiration("2030-13-45T99:00:00Z")
    assert "'2030-13-45T99:00:00Z'" in caught.value.message
    assert "2030-01-31T12:00:00Z" in caught.value.message


def test_a_secret_pasted_as_the_expiration_is_not_echoed() -> None:
    with pytest.raises(UsageError) as caught:
        parse_expiration(SECRET)
    assert SECRET not in caught.value.message
    assert "not an ISO 8601 time" in caught.value.message


def test_plans_and_options_holding_secrets_do_not_show_them() -> None:
    from envgen.persist.in_output import InOutputPersistence
    from envgen.persist.startup_file import StartupFilePersistence
    from envgen.sources.request import RoleOptions

    kept = InOutputPersistence("set -Ux -- AWS_SECRET_ACCESS_KEY 'SeCrEt'", "kept", True)
    startup = StartupFilePersistence("bash", Path("/m"), "export X='SeCrEt'", Path("/s"), "b", ())
    options = RoleOptions(token_code="123456")
    for value in (kept, startup, options):
        assert "SeCrEt" not in repr(value) and "123456" not in repr(value)
