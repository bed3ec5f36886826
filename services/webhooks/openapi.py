"""The payloads integrators receive, in the OpenAPI document's ``webhooks`` section."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import Body, FastAPI
from pydantic import BaseModel, Field, create_model

from services.dossiers.schemas import DossierOut
from services.processes.schemas import StepOut
from services.webhooks.schemas import EVENT_TYPES


class DossierChange(BaseModel):
    dossier: DossierOut = Field(description="The dossier after the change; order by `version`.")
    from_status: str | None = None
    action: str | None = None


class StepCompleted(BaseModel):
    dossier: DossierOut = Field(description="The dossier after the step; `current_step` is next.")
    step: StepOut


class StepOverdue(BaseModel):
    dossier_code: str
    procedure_name: str
    dossier_due_at: datetime | None
    step: StepOut


class ApologyDraft(BaseModel):
    id: str
    dossier_code: str
    status: str
    reason: str
    original_due_at: datetime
    proposed_due_at: datetime


class ApologyDrafted(BaseModel):
    apology: ApologyDraft


class ApologySent(BaseModel):
    apology_id: str
    dossier_code: str
    dossier_version: int
    applicant_name: str = Field(description="Masked: `Nguyễn V. A.`")
    original_due_at: datetime
    new_due_at: datetime
    reason: str
    issued_late: bool
    channels: dict[str, bool] = Field(description="Which ways the citizen can be told")
    phone_hint: str | None = Field(description="Masked: `0xxxxxxx89`")
    message_vi: str


_DATA: dict[str, type[BaseModel]] = {
    "dossier.received": DossierChange,
    "dossier.status_changed": DossierChange,
    "dossier.overdue": DossierChange,
    "dossier.rescheduled": DossierChange,
    "dossier.step_completed": StepCompleted,
    "dossier.step_overdue": StepOverdue,
    "apology.drafted": ApologyDrafted,
    "apology.sent": ApologySent,
}
_EXAMPLE_DOSSIER: dict[str, Any] = {
    "code": "000.00.31.H56-261122-0001",
    "status": "in_progress",
    "version": 2,
    "procedure_code": "1.004873",
    "due_at": "2026-11-25T17:00:00+07:00",
}


def _example(event_type: str) -> dict[str, Any]:
    data: dict[str, Any]
    step = {
        "n": 2,
        "name": "Thẩm định hồ sơ",
        "agency_code": "000.00.31.H56",
        "due_at": "2026-11-24T11:30:00+07:00",
        "status": "active",
    }
    if event_type == "dossier.step_overdue":
        data = {"dossier_code": _EXAMPLE_DOSSIER["code"], "step": step}
    elif event_type == "dossier.step_completed":
        data = {"dossier": _EXAMPLE_DOSSIER, "step": {**step, "status": "completed"}}
    elif event_type.startswith("dossier."):
        data = {"dossier": _EXAMPLE_DOSSIER, "from_status": "received", "action": "assign"}
    elif event_type == "apology.sent":
        data = {
            "dossier_code": _EXAMPLE_DOSSIER["code"],
            "new_due_at": "2026-11-28T17:00:00+07:00",
            "applicant_name": "Nguyễn V. A.",
            "channels": {"sms": True, "email": False, "portal": False},
        }
    else:
        data = {"code": "…"}
    return {"type": event_type, "timestamp": "2026-11-22T10:00:00+07:00", "data": data}


def register(app: FastAPI) -> None:
    for event_type, description in EVENT_TYPES.items():
        data_model: Any = _DATA.get(event_type, dict[str, Any])
        name = "Event_" + event_type.replace(".", "_")
        model = create_model(
            name,
            type=(str, Field(examples=[event_type])),
            timestamp=(datetime, ...),
            data=(data_model, ...),
        )

        def receiver(body: Any = Body(...)) -> None:  # documentation only, never called
            return None

        receiver.__annotations__["body"] = model
        receiver.__defaults__ = (Body(..., examples=[_example(event_type)]),)
        app.webhooks.add_api_route(
            event_type,
            receiver,
            methods=["POST"],
            operation_id=f"webhook_{name}",
            summary=event_type,
            description=f"{description} Headers `webhook-id` (the same on every retry), "
            "`webhook-timestamp`, `webhook-signature` (Standard Webhooks, `v1,<base64 "
            "HMAC-SHA256>`; two signatures for 24 h after a secret rotation). Answer 2xx; "
            "410 switches the subscription off.",
            tags=["webhooks"],
        )
