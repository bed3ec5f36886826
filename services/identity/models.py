"""Agencies, staff accounts and integrators' API keys."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ARRAY, Boolean, CheckConstraint, ForeignKey, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from services.core.enums import str_enum
from services.core.models import Base, TimestampMixin


class AgencyLevel(StrEnum):
    PROVINCE = "province"
    COMMUNE = "commune"
    DEPARTMENT = "department"


class Role(StrEnum):
    ADMIN = "admin"
    LEADER = "leader"
    OFFICER = "officer"
    SPECIALIST = "specialist"
    VIEWER = "viewer"


class Agency(TimestampMixin, Base):
    __tablename__ = "agencies"
    __table_args__ = (CheckConstraint(r"code ~ '^[A-Z0-9.]{1,35}$'", name="code_format"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(String(35), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    level: Mapped[AgencyLevel] = mapped_column(str_enum(AgencyLevel, "agency_level"))
    parent_code: Mapped[str | None] = mapped_column(
        String(35), ForeignKey("agencies.code", ondelete="RESTRICT")
    )
    # Printed on letters: who signs for the agency (e.g. "CHỦ TỊCH") and where results are returned.
    signer_title: Mapped[str | None] = mapped_column(String(255))
    signer_name: Mapped[str | None] = mapped_column(String(255))
    address: Mapped[str | None] = mapped_column(Text)


class User(TimestampMixin, Base):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    full_name: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"))
    agency_code: Mapped[str] = mapped_column(
        String(35), ForeignKey("agencies.code", ondelete="RESTRICT"), index=True
    )
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    last_login_at: Mapped[datetime | None]
    # Tokens issued before this are refused: changing a password ends the sessions opened
    # with the old one.
    password_changed_at: Mapped[datetime | None]


class ApiKey(TimestampMixin, Base):
    __tablename__ = "api_keys"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(255))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    agency_code: Mapped[str] = mapped_column(
        String(35), ForeignKey("agencies.code", ondelete="RESTRICT"), index=True
    )
    scopes: Mapped[list[str]] = mapped_column(ARRAY(String(64)))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    last_used_at: Mapped[datetime | None]
