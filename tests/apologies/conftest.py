from __future__ import annotations

from services.demo import insert_dossiers
from tests.dossiers.conftest import procedures  # noqa: F401 - the fixture, shared

__all__ = ["insert_dossiers"]
