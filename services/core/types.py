"""Reusable annotated field types for request schemas."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import Path
from pydantic import AfterValidator, PlainSerializer, StringConstraints

from services.core.clock import MAX_YEAR, MIN_YEAR, as_local
from services.core.privacy import nfc

# Vietnamese text is stored NFC-normalised whatever form the client sent (api.md conventions).
Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255), AfterValidator(nfc)
]
OptionalName = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=255), AfterValidator(nfc)
]
Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=4000),
    AfterValidator(nfc),
]


def _serialize_local(value: datetime) -> datetime:
    return as_local(value)


def _in_years(year: int | None, what: str) -> None:
    if year is None or not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError(f"{what} out of range: years {MIN_YEAR}–{MAX_YEAR}")


def _read_local(value: Any) -> Any:
    # api.md: a naive timestamp is read as Asia/Ho_Chi_Minh.
    if isinstance(value, datetime):
        try:
            local = as_local(value)
        except OverflowError:
            local = None
        _in_years(local.year if local else None, "timestamp")
        return local
    return value


def _read_date(value: date) -> date:
    _in_years(value.year, "date")
    return value


# Output timestamps carry +07:00 (api.md conventions), whatever the database returned.
LocalDateTime = Annotated[datetime, PlainSerializer(_serialize_local, return_type=datetime)]
# Input timestamps: RFC 3339; a value without offset is local time.
InstantIn = Annotated[datetime, AfterValidator(_read_local)]
# Input dates: within the same years (9999-12-31 would be stored as 'infinity').
DateIn = Annotated[date, AfterValidator(_read_date)]


# A bigint primary key in a path: anything else is a 422, not a database error.
RowId = Annotated[int, Path(ge=1, le=2**63 - 1)]


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


# Output decimals as JSON numbers: 3 rather than "3.00", 0.5 rather than "0.50".
Number = Annotated[Decimal, PlainSerializer(_number, return_type=float)]
