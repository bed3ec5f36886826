"""Keyset pagination: ``?limit=&cursor=`` in, ``{items, next_cursor}`` out."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

from services.core.errors import Unprocessable

T = TypeVar("T")

LimitQuery = Annotated[int, Query(ge=1, le=500, description="Page size (default 50, max 500).")]
CursorQuery = Annotated[
    str | None,
    Query(max_length=512, description="Opaque cursor from the previous page's `next_cursor`."),
]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps(values, default=str, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, arity: int) -> list[Any] | None:
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise Unprocessable("cursor: not a cursor returned by this API") from exc
    if not isinstance(values, list) or len(values) != arity:
        raise Unprocessable("cursor: not a cursor returned by this API")
    return values


_MAX_BIGINT = 2**63 - 1


def cursor_int(value: Any) -> int:
    """An id from a cursor: a JSON integer that fits a bigint."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _MAX_BIGINT:
        raise ValueError("not an id")
    return value


def cursor_instant(value: Any) -> datetime:
    """A timestamp from a cursor: ISO 8601 with an offset, in a year the database can take
    whatever the offset (years near 1 or 9999 overflow when converted)."""
    at = datetime.fromisoformat(str(value))
    if at.tzinfo is None or not 1900 <= at.year <= 2200:
        raise ValueError("not an instant")
    return at


def cursor_str(value: Any) -> str:
    """A text key: no NUL and no lone surrogate, which the database could not take."""
    if not isinstance(value, str) or len(value) > 256 or "\x00" in value:
        raise ValueError("not a key")
    value.encode("utf-8")  # UnicodeEncodeError (a ValueError) for a lone surrogate
    return value


def decode_keyset(cursor: str | None, *parsers: Callable[[Any], Any]) -> tuple[Any, ...] | None:
    """A cursor's values, each checked by its parser (``cursor_int``, ``cursor_instant``,
    ``cursor_str``, ``uuid.UUID``…): a forged cursor is a 422, never a database error."""
    values = decode_cursor(cursor, len(parsers))
    if values is None:
        return None
    try:
        return tuple(parse(value) for parse, value in zip(parsers, values, strict=True))
    except (TypeError, ValueError, OverflowError, AttributeError) as exc:
        raise Unprocessable("cursor: not a cursor returned by this API") from exc
