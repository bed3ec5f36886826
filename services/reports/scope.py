"""What a report covers: a period (local dates, both ends included) and optional filters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from services.core.clock import LOCAL_ZONE


@dataclass(frozen=True)
class ReportScope:
    first: date
    last: date
    agency_code: str | None = None
    sector_group: str | None = None

    @property
    def lo(self) -> datetime:
        """The period's first instant."""
        return datetime.combine(self.first, time(0), tzinfo=LOCAL_ZONE)

    @property
    def hi(self) -> datetime:
        """The instant after the period (exclusive bound)."""
        return datetime.combine(self.last + timedelta(days=1), time(0), tzinfo=LOCAL_ZONE)

    @property
    def year(self) -> int:
        """The plan year whose targets apply: the year the period ends in (2026-Q1 → 2026)."""
        return self.last.year

    def dossier_filter(self, alias: str = "d") -> str:
        """SQL fragments over fixed column names; every value is a bound parameter."""
        parts = ["TRUE"]
        if self.agency_code is not None:
            parts.append(
                f"({alias}.receiving_agency_code = :agency OR "
                f"{alias}.resolving_agency_code = :agency)"
            )
        if self.sector_group is not None:
            parts.append(f"{alias}.sector_group = :sector_group")
        return " AND ".join(parts)

    def params(self) -> dict[str, object]:
        return {
            "lo": self.lo,
            "hi": self.hi,
            "agency": self.agency_code,
            "sector_group": self.sector_group,
        }
