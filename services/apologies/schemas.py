from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field

from services.apologies.models import ApologyStatus
from services.core.types import InstantIn, LocalDateTime, Text


class ApologyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    dossier_code: str
    agency_code: str
    status: ApologyStatus = Field(
        description="draft (dự thảo), approved (lãnh đạo đã duyệt), sent (đã gửi công dân)"
    )
    reason: str
    original_due_at: LocalDateTime
    proposed_due_at: LocalDateTime
    body: str = Field(description="Vietnamese text of Mẫu 04")
    drafted_at: LocalDateTime
    approved_by: str | None
    approved_at: LocalDateTime | None
    sent_at: LocalDateTime | None
    issued_late: bool | None = Field(
        description="Sent later than one day before the original due date."
    )


class ApproveIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "reason": "Hồ sơ phải lấy ý kiến của cơ quan liên quan",
                    "proposed_due_at": "2026-12-03T17:00:00+07:00",
                }
            ]
        },
    )

    reason: Text | None = None
    proposed_due_at: InstantIn | None = Field(
        default=None, description="Must be after the dossier's current due date."
    )
