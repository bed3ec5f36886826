"""Reusable annotated field types for request schemas."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, PlainSerializer, StringConstraints

from services.core.clock import as_local
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


def _read_local(value: Any) -> Any:
    # api.md: a naive timestamp is read as Asia/Ho_Chi_Minh.
    if isinstance(value, datetime):
        try:
            return as_local(value)
        except OverflowError as exc:
            raise ValueError("timestamp out of range") from exc
    return value


# Output timestamps carry +07:00 (api.md conventions), whatever the database returned.
LocalDateTime = Annotated[datetime, PlainSerializer(_serialize_local, return_type=datetime)]
# Input timestamps: RFC 3339; a value without offset is local time.
InstantIn = Annotated[datetime, AfterValidator(_read_local)]


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


# Output decimals as JSON numbers: 3 rather than "3.00", 0.5 rather than "0.50".
Number = Annotated[Decimal, PlainSerializer(_number, return_type=float)]
