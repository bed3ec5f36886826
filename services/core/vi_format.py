"""Dates and times as Vietnamese administrative documents write them."""

from __future__ import annotations

from datetime import date, datetime

from services.core.clock import as_local


def vn_date(at: date | datetime) -> str:
    """``22/11/2026``."""
    day = as_local(at).date() if isinstance(at, datetime) else at
    return day.strftime("%d/%m/%Y")


def vn_time(at: datetime) -> str:
    """``09 giờ 05``."""
    return as_local(at).strftime("%H giờ %M")


def vn_datetime(at: datetime) -> str:
    """``09 giờ 05, ngày 22/11/2026``."""
    return f"{vn_time(at)}, ngày {vn_date(at)}"


def place_date_line(place: str | None, at: date | datetime) -> str:
    """``Vĩnh Bảo, ngày 22 tháng 11 năm 2026`` (the place is left out when unknown)."""
    day = as_local(at).date() if isinstance(at, datetime) else at
    text = f"ngày {day.day:02d} tháng {day.month:02d} năm {day.year}"
    return f"{place}, {text}" if place else text.capitalize()
