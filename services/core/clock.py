"""The one place that reads the wall clock, so that domain code can take ``now`` as input."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

LOCAL_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_local(at: datetime) -> datetime:
    """An aware instant on the Vietnamese wall clock; a naive one is taken to be local already."""
    return at.replace(tzinfo=LOCAL_ZONE) if at.tzinfo is None else at.astimezone(LOCAL_ZONE)
