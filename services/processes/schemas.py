"""Request and response models of internal processes, steps and work items (api.md)."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.core.types import LocalDateTime, Name, Number
from services.identity.schemas import AgencyCode
from services.processes.models import AllotmentUnit, StepResult, StepStatus
from services.processes.plan import ShareUnit, StepSpec

MAX_STEPS = 50


class StepRole(StrEnum):
    """Who performs a step. A leader may also complete officer and specialist steps."""

    OFFICER = "officer"
    SPECIALIST = "specialist"
    LEADER = "leader"


GroupName = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
]


class Share(BaseModel):
    model_config = ConfigDict(extra="forbid")
    value: Decimal = Field(gt=0, max_digits=8, decimal_places=4, examples=[0.5])
    unit: ShareUnit = Field(
        description="working_hours, working_days, or fraction (of the procedure's time limit; "
        "the only unit for a limit in calendar days)"
    )


class StepIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name = Field(examples=["Tiếp nhận hồ sơ"])
    role: StepRole
    agency_code: AgencyCode | None = Field(
        default=None,
        description="The agency performing the step (liên thông); omitted = the dossier's "
        "resolving agency when the step starts",
    )
    share: Share
    parallel_group: GroupName | None = Field(
        default=None,
        description="Consecutive steps with the same group run at the same time (agencies "
        "consulted together); the stage lasts as long as its longest step",
    )

    def spec(self) -> StepSpec:
        return StepSpec(
            name=self.name,
            role=self.role.value,
            agency_code=self.agency_code,
            share_value=self.share.value,
            share_unit=self.share.unit,
            parallel_group=self.parallel_group,
        )


_EXAMPLE: dict[str, Any] = {
    "steps": [
        {
            "name": "Tiếp nhận hồ sơ",
            "role": "officer",
            "share": {"value": 4, "unit": "working_hours"},
        },
        {
            "name": "Thẩm định hồ sơ",
            "role": "specialist",
            "share": {"value": 1.5, "unit": "working_days"},
        },
        {"name": "Phê duyệt", "role": "leader", "share": {"value": 0.5, "unit": "working_days"}},
        {"name": "Trả kết quả", "role": "officer", "share": {"value": 4, "unit": "working_hours"}},
    ]
}


class ProcessIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_EXAMPLE]})
    steps: list[StepIn] = Field(min_length=1, max_length=MAX_STEPS)


class ShareOut(BaseModel):
    value: Number
    unit: ShareUnit


class ProcessStepOut(BaseModel):
    n: int
    name: str
    role: StepRole
    agency_code: str | None
    share: ShareOut
    parallel_group: str | None
    allotted: Number = Field(description="What the share gives this procedure, in `allotted_unit`")
    allotted_unit: AllotmentUnit


class ProcessOut(BaseModel):
    procedure_code: str
    version: int
    steps: list[ProcessStepOut]
    created_by: str
    created_at: LocalDateTime
    retired_at: LocalDateTime | None


class CurrentStepOut(BaseModel):
    """The step a dossier is at (the first of its stage when agencies work in parallel)."""

    n: int
    name: str
    agency_code: str | None
    role: str
    started_at: LocalDateTime | None
    due_at: LocalDateTime | None


class StepOut(BaseModel):
    """A row of the control sheet (Mẫu 05)."""

    model_config = ConfigDict(from_attributes=True)

    n: int
    name: str
    role: str
    agency_code: str | None = Field(description="The agency holding the step once it started")
    parallel_group: str | None
    status: StepStatus
    handed_over_by: str | None
    received_by: str | None = Field(description="Who completed the step")
    started_at: LocalDateTime | None
    due_at: LocalDateTime | None
    completed_at: LocalDateTime | None
    result: StepResult | None = Field(description="before, on or after the step's deadline")
    note: str | None
    is_overdue: bool


class WorkItemOut(BaseModel):
    dossier_code: str
    procedure_name: str
    dossier_status: str
    dossier_due_at: LocalDateTime | None
    assignee_username: str | None
    step: CurrentStepOut
    is_overdue: bool
