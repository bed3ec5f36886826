from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from services.core.types import LocalDateTime, Name, OptionalName, Text
from services.identity.models import AgencyLevel, Role

AgencyCode = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Z0-9.]{1,35}$"),
    Field(
        description="Electronic identifier (mã định danh): up to 35 of A–Z 0–9 `.`",
        examples=["000.00.06.H56"],
    ),
]
Username = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{2,63}$")]

KNOWN_SCOPES = {
    "dossiers:read": "Read the agency's dossiers",
    "dossiers:write": "Create dossiers and perform actions on them",
    "dossiers:import": "Create dossiers with a past `received_at` (migrating old records)",
    "procedures:read": "Read procedures",
    "procedures:write": "Create and edit procedures",
    "calendar:write": "Edit the working calendar",
    "reports:read": "Read KPI reports",
    "feedback:read": "Read feedback (PAKN)",
    "feedback:write": "Handle feedback (PAKN)",
    "webhooks:manage": "Manage webhook subscriptions",
}


class AgencyCreate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "code": "000.00.06.H56",
                    "name": "UBND xã Vĩnh Bảo",
                    "level": "commune",
                    "parent_code": None,
                    "signer_title": "CHỦ TỊCH",
                    "signer_name": "Trần Văn Bình",
                }
            ]
        }
    )

    code: AgencyCode
    name: Name
    level: AgencyLevel = Field(description="province (tỉnh), commune (xã), department (phòng ban)")
    parent_code: AgencyCode | None = None
    signer_title: OptionalName | None = None
    signer_name: OptionalName | None = None
    address: Text | None = None


class AgencyUpdate(BaseModel):
    name: Name | None = None
    signer_title: OptionalName | None = None
    signer_name: OptionalName | None = None
    address: Text | None = None


class AgencyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    level: AgencyLevel
    parent_code: str | None
    signer_title: str | None
    signer_name: str | None
    address: str | None
    created_at: LocalDateTime


class UserCreate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "username": "canbo01",
                    "password": "Mot-cua-2026!",
                    "full_name": "Lê Thị Hoa",
                    "role": "officer",
                    "agency_code": "000.00.06.H56",
                }
            ]
        }
    )

    username: Username
    password: Annotated[str, StringConstraints(min_length=10, max_length=128)]
    full_name: Name
    role: Role = Field(
        description="admin (quản trị), leader (lãnh đạo), officer (cán bộ một cửa), "
        "specialist (chuyên viên), viewer (chỉ xem)"
    )
    agency_code: AgencyCode


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    username: str
    full_name: str
    role: Role
    agency_code: str
    is_active: bool
    created_at: LocalDateTime


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Cổng tỉnh",
                    "agency_code": "000.00.06.H56",
                    "scopes": ["dossiers:read", "dossiers:write"],
                }
            ]
        }
    )

    name: Name
    agency_code: AgencyCode
    scopes: list[str] = Field(
        min_length=1, max_length=len(KNOWN_SCOPES), description="Any of: " + ", ".join(KNOWN_SCOPES)
    )

    @field_validator("scopes")
    @classmethod
    def _known(cls, scopes: list[str]) -> list[str]:
        unknown = sorted(set(scopes) - set(KNOWN_SCOPES))
        if unknown:
            raise ValueError(f"unknown scopes {unknown}; known: {sorted(KNOWN_SCOPES)}")
        return sorted(set(scopes))


class ApiKeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    prefix: str
    agency_code: str
    scopes: list[str]
    is_active: bool
    created_at: LocalDateTime
    last_used_at: LocalDateTime | None


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="The key itself: shown once, send it as `X-API-Key`.")


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int


class Me(BaseModel):
    kind: str
    name: str
    agency_code: str
    role: Role | None
    scopes: list[str]
