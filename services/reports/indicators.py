"""The KPI indicators of domain.md §1 and §7: keys, labels, units, default targets (the 2026
plan), and the arithmetic of value and "met". Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Final

from services.reports.models import TargetKind


class Unit(StrEnum):
    PERCENT = "percent"
    RATIO = "ratio"


@dataclass(frozen=True)
class Indicator:
    key: str
    label_vi: str
    unit: Unit
    kind: TargetKind
    default_target: Decimal
    definition: str


def _pct(key: str, label: str, target: int, definition: str) -> Indicator:
    return Indicator(key, label, Unit.PERCENT, TargetKind.MIN, Decimal(target), definition)


INDICATORS: Final[tuple[Indicator, ...]] = (
    _pct(
        "on_time",
        "Tỷ lệ hồ sơ giải quyết đúng hạn",
        100,
        "Dossiers resolved in the period with finished_at ≤ due_at and at most one supplement "
        "request ÷ dossiers resolved in the period.",
    ),
    _pct(
        "online_receipt",
        "Tỷ lệ hồ sơ tiếp nhận trực tuyến",
        95,
        "Dossiers received online in the period ÷ dossiers received in the period.",
    ),
    _pct(
        "full_online",
        "Tỷ lệ hồ sơ trực tuyến toàn trình",
        80,
        "Dossiers received online in the period for procedures offered fully online ÷ dossiers "
        "received in the period for those procedures.",
    ),
    _pct(
        "online_payment",
        "Tỷ lệ hồ sơ thanh toán trực tuyến",
        80,
        "Dossiers received in the period with a fee paid online ÷ those with a fee.",
    ),
    _pct(
        "digitization",
        "Tỷ lệ số hóa hồ sơ",
        100,
        "Dossiers received in the period that are digitised ÷ dossiers received.",
    ),
    _pct(
        "electronic_result",
        "Tỷ lệ cấp kết quả điện tử",
        100,
        "Dossiers resolved in the period with an electronic result ÷ dossiers resolved.",
    ),
    _pct(
        "electronic_certified_copy",
        "Tỷ lệ bản sao chứng thực điện tử",
        80,
        "Certification dossiers resolved in the period with an electronic result ÷ "
        "certification dossiers resolved.",
    ),
    _pct(
        "portal_sync",
        "Tỷ lệ hồ sơ đồng bộ Cổng DVCQG",
        100,
        "Dossiers received in the period that are synchronised to the portal ÷ received.",
    ),
    _pct(
        "data_reuse",
        "Tỷ lệ tái sử dụng dữ liệu đã số hóa",
        50,
        "Dossiers received in the period that reuse digitised data ÷ received.",
    ),
    _pct(
        "satisfaction",
        "Tỷ lệ hài lòng",
        95,
        "Ratings given in the period that are very_satisfied or satisfied ÷ ratings.",
    ),
    _pct(
        "satisfaction_land_construction_investment",
        "Tỷ lệ hài lòng lĩnh vực đất đai, xây dựng, đầu tư",
        90,
        "As satisfaction, over dossiers of the land, construction and investment groups.",
    ),
    _pct(
        "apology_compliance",
        "Tỷ lệ xin lỗi hồ sơ quá hạn",
        100,
        "Dossiers whose first due date fell in the period and was missed, with an apology sent "
        "÷ those dossiers. An apology sent later than a day before the due date counts (the "
        "citizen has it) and is flagged issued_late on the apology.",
    ),
    _pct(
        "feedback_on_time",
        "Tỷ lệ PAKN xử lý đúng hạn",
        100,
        "Feedback received in the period and closed with every step on time ÷ feedback "
        "received in the period that is closed or past its deadline.",
    ),
    Indicator(
        "processing_time_ratio",
        "Tỷ lệ thời gian giải quyết thực tế so với quy định",
        Unit.RATIO,
        TargetKind.MAX,
        Decimal("0.5"),
        "Working hours used from reception to resolution ÷ working hours of the legal time "
        "limit, summed over dossiers resolved in the period (both on the working calendar).",
    ),
    _pct(
        "boundary_free_procedures",
        "Tỷ lệ TTHC phi địa giới hành chính",
        100,
        "Procedures in force receivable regardless of administrative boundary ÷ procedures in "
        "force.",
    ),
)
BY_KEY: Final = {i.key: i for i in INDICATORS}


def on_time_sql(alias: str = "") -> str:
    """On time (domain.md §4, national 766 dashboard): finished by the due date, and at most one
    supplement request — a second one makes the dossier count as late. Used by every report."""
    p = f"{alias}." if alias else ""
    return f"({p}finished_at <= {p}due_at AND {p}supplement_count <= 1)"


_CENT = Decimal("0.01")


def exact_value(indicator: Indicator, numerator: Decimal, denominator: Decimal) -> Decimal | None:
    if denominator == 0:
        return None
    ratio = numerator / denominator
    return ratio * 100 if indicator.unit is Unit.PERCENT else ratio


def rounded(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(_CENT, rounding=ROUND_HALF_UP)


def is_met(value: Decimal | None, target: Decimal | None, kind: TargetKind) -> bool | None:
    """Judged on the exact value: 99.996 % does not meet a 100 % target."""
    if value is None or target is None:
        return None
    return value >= target if kind is TargetKind.MIN else value <= target
