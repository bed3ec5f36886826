"""The deployment tests only parse files: they need neither PostgreSQL nor Redis."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def clean_redis() -> None:
    """Replaces the suite-wide autouse fixture, which would create the test database."""
