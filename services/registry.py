"""Imports every domain's models so that ``Base.metadata`` is complete (Alembic, tests)."""

from services.core.models import Base
from services.identity import models as identity_models

__all__ = ["Base", "identity_models"]
