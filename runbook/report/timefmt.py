"""Times in one stated zone: a postmortem never mixes zones, and says which one it uses."""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from runbook.errors import RunbookError

FORMAT = "%Y-%m-%d %H:%M:%S"


def zone(name: str | None) -> tuple[tzinfo, str]:
    """The zone for ``--tz`` and the name the document states (``UTC`` by default)."""
    if not name or name.upper() in ("UTC", "Z"):
        return UTC, "UTC"
    try:
        return ZoneInfo(name), name
    except (ZoneInfoNotFoundError, ValueError):
        raise RunbookError(
            f"unknown time zone {name!r} (use an IANA name such as UTC or Europe/Berlin)", title="Bad time zone"
        ) from None


def fmt(value: datetime | date | None, tz: tzinfo) -> str:
    """``2026-03-14 02:17:05`` in ``tz``; naive datetimes are taken to be UTC (as the record stores them)."""
    if value is None:
        return ""
    if not isinstance(value, datetime):
        return value.isoformat()
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(tz).strftime(FORMAT)
