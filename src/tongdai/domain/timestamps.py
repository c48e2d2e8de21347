"""One form for every timestamp tongdai shows (API, events, webhooks): ISO 8601 in UTC with
milliseconds and `Z`, as JavaScript's `Date.toISOString()` writes it: `2026-11-27T09:00:00.000Z`.
A timestamp without an offset is taken as UTC (SQLite keeps none)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def iso(value: datetime) -> str:
    value = utc(value)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def plain(value: Any) -> Any:
    """`json.dumps(..., default=plain)`: timestamps in the one form, anything else as text."""
    return iso(value) if isinstance(value, datetime) else str(value)
