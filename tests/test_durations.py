"""How long credentials have left, in words (envgen.durations)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from envgen.durations import describe_expiry

# --- the expiry line --------------------------------------------------------------------------

NOW = datetime(2030, 1, 1, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("left", "expected"),
    [
        (timedelta(seconds=42), "42 s"),
        (timedelta(minutes=59, seconds=59), "59 min"),
        (timedelta(hours=1), "1 h"),
        (timedelta(hours=11, minutes=59, seconds=30), "11 h 59 min"),
        (timedelta(days=1), "1 day"),
        (timedelta(days=1, hours=12, minutes=30), "1 day 12 h"),
        (timedelta(days=6, hours=23), "6 days 23 h"),
        (timedelta(days=36, hours=5), "36 days"),
        (timedelta(days=26329, hours=11), "26329 days"),
    ],
)
def test_the_expiry_line_says_how_long_in_the_two_largest_units(
    left: timedelta, expected: str
) -> None:
    text = describe_expiry(NOW + left, now=NOW)
    assert text.startswith(f"expire in {expected} (at ")
    local = (NOW + left).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    assert f"(at {local}" in text


def test_the_expiry_line_for_a_past_time() -> None:
    assert describe_expiry(NOW - timedelta(seconds=1), now=NOW).startswith("expired at ")
