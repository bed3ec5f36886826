from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from services.core.types import LocalDateTime
from services.identity.schemas import AgencyCode
from services.webhooks.models import DeliveryState

EVENT_TYPES = {
    "dossier.received": "A dossier was received (in person, by post, or an accepted filing).",
    "dossier.status_changed": "A dossier changed status (every action of the lifecycle).",
    "dossier.overdue": "A dossier passed its due date unfinished.",
    "dossier.step_completed": "A step of a dossier's internal process was completed (Mẫu 05 "
    "row: deadline, result before / on / after); the next step's holder now sees the dossier.",
    "dossier.step_overdue": "A step of a dossier's internal process passed its deadline "
    "(reported once per step), before the dossier itself is late.",
    "dossier.rescheduled": "An apology moved a dossier's due date (once per dossier).",
    "apology.drafted": "The overdue scan drafted an apology (Mẫu 04).",
    "apology.sent": "An apology was sent: new due date, masked name, channel hints.",
    "feedback.received": "Feedback (PAKN) was received.",
    "feedback.info_requested": "Staff asked the submitter of feedback for more information "
    "(the question, a masked phone hint).",
    "feedback.published": "The answer to feedback was published.",
    "rating.received": "A citizen rated a returned dossier.",
}
Url = Annotated[str, StringConstraints(strip_whitespace=True, min_length=8, max_length=2000)]


def _known(types: list[str]) -> list[str]:
    unknown = sorted(set(types) - set(EVENT_TYPES))
    if unknown:
        raise ValueError(f"unknown event types {unknown}; known: {sorted(EVENT_TYPES)}")
    return sorted(set(types))


class SubscriptionCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "url": "https://tich-hop.example.vn/hooks/motcua",
                    "event_types": ["dossier.received", "dossier.status_changed", "apology.sent"],
                    "description": "Hệ thống một cửa của tỉnh",
                }
            ]
        },
    )

    url: Url
    event_types: list[str] = Field(
        min_length=1, max_length=len(EVENT_TYPES), description="Any of: " + ", ".join(EVENT_TYPES)
    )
    description: Annotated[str, StringConstraints(max_length=500)] | None = None
    agency_code: AgencyCode | None = Field(
        default=None, description="Admins only: the agency whose events it receives."
    )

    @field_validator("event_types")
    @classmethod
    def _known_types(cls, v: list[str]) -> list[str]:
        return _known(v)


class SubscriptionUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: Url | None = None
    event_types: list[str] | None = Field(default=None, min_length=1)
    description: Annotated[str, StringConstraints(max_length=500)] | None = None
    is_active: bool | None = Field(
        default=None, description="true re-enables a disabled subscription"
    )

    @field_validator("event_types")
    @classmethod
    def _known_types(cls, v: list[str] | None) -> list[str] | None:
        return None if v is None else _known(v)


class SubscriptionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    agency_code: str
    url: str
    event_types: list[str]
    description: str | None
    is_active: bool
    disabled_reason: str | None
    consecutive_failures: int
    previous_secret_expires_at: LocalDateTime | None
    created_at: LocalDateTime


class SubscriptionCreated(SubscriptionOut):
    secret: str = Field(description="`whsec_…`: shown once; verify signatures with it.")


class SecretRotated(BaseModel):
    secret: str = Field(description="The new secret, shown once.")
    previous_secret_expires_at: LocalDateTime


class DeliveryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    event_id: int | None
    event_type: str
    message_id: str
    state: DeliveryState
    attempts: int
    next_attempt_at: LocalDateTime
    last_status_code: int | None
    last_error: str | None
    delivered_at: LocalDateTime | None
    created_at: LocalDateTime


class RecoverResult(BaseModel):
    requeued: int
