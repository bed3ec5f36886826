"""The one place that reads the wall clock, so that domain code can take ``now`` as input."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

LOCAL_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
# Years any instant given to the API may fall in: wide enough for migrated records and long
# time limits, narrow enough that date arithmetic, the database and the `holidays` package
# never overflow. From 1976: before mid-1975 Asia/Ho_Chi_Minh had other offsets (+08:00,
# +07:06:30...), which output meant to be +07:00 (api.md) would show.
MIN_YEAR, MAX_YEAR = 1976, 2100


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_local(at: datetime) -> datetime:
    """An aware instant on the Vietnamese wall clock; a naive one is taken to be local already."""
    return at.replace(tzinfo=LOCAL_ZONE) if at.tzinfo is None else at.astimezone(LOCAL_ZONE)
