"""Who is calling: a staff member (bearer token) or an integrator (API key)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from services.identity.models import Role


@dataclass(frozen=True)
class Principal:
    kind: Literal["user", "api_key"]
    id: uuid.UUID
    name: str
    agency_code: str
    role: Role | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    # A user's tokens issued before this instant (a password change) are no longer accepted.
    tokens_valid_since: datetime | None = None

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    def sees_agency(self, agency_code: str | None) -> bool:
        """The one rule of agency scoping: admins see all, everyone else their own agency."""
        return self.is_admin or (agency_code is not None and agency_code == self.agency_code)

    @property
    def actor(self) -> str:
        """How this principal is named in history rows and logs."""
        return self.name if self.kind == "user" else f"api-key:{self.name}"

    @property
    def caller(self) -> str:
        """Whose ``Idempotency-Key`` a key is: keys of different callers never collide."""
        return f"{self.kind}:{self.id}"
