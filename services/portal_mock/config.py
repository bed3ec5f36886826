"""Settings of the mock portal that the shared ``Settings`` does not (yet) carry.

Credentials and the webhook secret come from ``services.core.settings`` so that one ``.env``
configures both sides; the knobs below exist only for the mock.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class PortalMockSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="MOTCUA_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    portal_mock_token_ttl_seconds: int = Field(default=1800, ge=1, le=7 * 24 * 3600)
    # Where the admin actions deliver their signed events: the backend's base URL.
    api_url: str = "http://127.0.0.1:8000"
    portal_mock_backend_timeout_seconds: float = Field(default=10, gt=0, le=300)


@lru_cache
def get_mock_settings() -> PortalMockSettings:
    return PortalMockSettings()
