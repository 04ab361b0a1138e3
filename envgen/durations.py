"""How long credentials have left, in words a person reads at a glance."""

from __future__ import annotations

from datetime import datetime, timezone

from envgen.credentials import format_expiration


def describe_duration(seconds: int) -> str:
    """A span in the two largest units that matter: `2 days 3 h`, `4 h 5 min`, `6 min`, `7 s`."""
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        unit = "day" if days == 1 else "days"
        return f"{days} {unit} {hours} h" if hours and days < 7 else f"{days} {unit}"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min"
    return f"{seconds} s"


def describe_expiry(expiration: datetime, now: datetime | None = None) -> str:
    now = now or datetime.now(timezone.utc)
    seconds = int((expiration - now).total_seconds())
    try:
        local = expiration.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z").strip()
    except (OverflowError, ValueError, OSError):
        # East of UTC the last hours of year 9999 fall in year 10000, which no local
        # time can show (and Windows refuses far dates): say it in UTC instead.
        local = format_expiration(expiration)
    if seconds <= 0:
        return f"expired at {local}"
    return f"expire in {describe_duration(seconds)} (at {local})"
