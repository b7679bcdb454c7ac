"""Time helpers: the database stores UTC; SQLite hands it back without an offset."""

from __future__ import annotations

from datetime import UTC, date, datetime


def utcnow() -> datetime:
    """The current time in UTC, timezone-aware."""
    return datetime.now(UTC)


def aware(value: datetime | None) -> datetime | None:
    """Attach UTC to a naive datetime read back from SQLite."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def isoformat(value: datetime | date | None) -> str | None:
    """ISO 8601 with offset for datetimes, YYYY-MM-DD for dates."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return aware(value).isoformat()
    return value.isoformat()
