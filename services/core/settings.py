"""Application settings, read from the environment (prefix ``MOTCUA_``) or a ``.env`` file."""

from __future__ import annotations

from datetime import time
from enum import StrEnum
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEV_SECRET_KEY = "dev-insecure-secret-key-change-me"  # noqa: S105 - the refused default, by design


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="MOTCUA_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    env: Environment = Environment.DEVELOPMENT
    database_url: str = "postgresql+asyncpg://motcua@127.0.0.1:55432/motcua"
    redis_url: str = "redis://127.0.0.1:56379/0"
    secret_key: SecretStr = SecretStr(DEV_SECRET_KEY)

    # Connections per process. No overflow: connections opened past the pool are closed again
    # on return, so under load every request paid a new connection (measured: lookups 508 →
    # 767 req/s with 20 and no overflow); requests wait for a pooled one instead.
    db_pool_size: int = Field(default=20, ge=1, le=200)
    # How long the worker's Redis commands keep retrying while Redis restarts, before the
    # process gives up and its supervisor restarts it.
    worker_redis_outage_seconds: int = Field(default=60, ge=0, le=3600)
    # After a commit that wrote outbox rows, ask the worker to deliver them now rather than at
    # its next tick; rings within the interval are coalesced into one round.
    doorbell: bool = True
    doorbell_interval_ms: int = Field(default=500, ge=10, le=60_000)
    db_max_overflow: int = Field(default=0, ge=0, le=200)
    # FastAPI's native OpenTelemetry (traces, metrics and logs to the globally configured
    # providers); off unless asked for, as it costs a check on every request.
    opentelemetry: bool = False
    # Connections of the driver-level pool behind the citizens' lookup (the busiest read) and
    # the numbering of receptions (one statement per group, dossiers/numbering.py): no ORM and
    # no reset query between uses. Counted on top of ``db_pool_size``.
    db_hot_pool_size: int = Field(default=10, ge=1, le=200)
    # asyncpg's per-connection cache of prepared statements. 0 behind PgBouncer in transaction
    # mode, where a connection's prepared statements vanish between transactions: the caches
    # are then off and every statement gets a unique name.
    db_statement_cache_size: int = Field(default=100, ge=0, le=10_000)
    # A read replica for the KPI report and Biểu 06, the heaviest reads; unset = the primary.
    # The calendar's lazy seeding still writes to the primary.
    reports_database_url: str | None = None
    reports_db_pool_size: int = Field(default=5, ge=1, le=200)

    portal_url: str = "http://127.0.0.1:8090"
    portal_username: str = "motcua"
    portal_password: SecretStr = SecretStr("motcua-portal")
    portal_webhook_secret: SecretStr = SecretStr(
        "whsec_bW90Y3VhLWRldi1wb3J0YWwtd2ViaG9vay1zZWNyZXQ="
    )
    webhook_allow_private_urls: bool | None = None
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)

    # Tokens last a working morning: a whole counter shift, yet a short life for a leaked one.
    access_token_ttl_minutes: int = Field(default=240, ge=1, le=24 * 60)
    # Pinned to the HMAC family: the secret key signs, and "none" or a public-key algorithm
    # could never be configured by mistake.
    jwt_algorithm: Literal["HS256", "HS384", "HS512"] = "HS256"
    # Requests above this are refused with 413 before the body is read into memory.
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    log_level: str = "INFO"

    # Office hours (domain.md §3): 07:30–11:30 and 13:00–17:00 = 8 working hours a day.
    office_morning_start: time = time(7, 30)
    office_morning_end: time = time(11, 30)
    office_afternoon_start: time = time(13, 0)
    office_afternoon_end: time = time(17, 0)
    # Same-day procedures received at or after this time are due the next working day.
    same_day_cutoff: time = time(15, 0)
    # Supplement requests later than this after reception are allowed but flagged (Decree 61).
    supplement_request_window_working_days: int = Field(default=3, ge=0, le=30)
    # Worker: the overdue scan (domain.md §5). The apology must go out at least a day before the
    # due date, so dossiers due within the lead time get a draft early enough to be approved.
    overdue_scan_interval_minutes: int = Field(default=5, ge=1, le=60)
    apology_lead_time_hours: float = Field(default=24, ge=0, le=24 * 14)
    apology_reschedule_working_days: int = Field(default=3, ge=1, le=60)
    # Rows per transaction: small enough to keep locks short, large enough to amortise commits.
    overdue_scan_batch_size: int = Field(default=500, ge=1, le=10_000)
    # Portal sync (domain.md §8). Retries back off exponentially with jitter up to the cap and
    # never stop for transient failures; a dossier shows `failed` after this many attempts.
    portal_sync_batch_size: int = Field(default=500, ge=1, le=1000)
    portal_timeout_seconds: float = Field(default=10, gt=0, le=120)
    portal_retry_base_seconds: float = Field(default=5, ge=0, le=3600)
    portal_retry_max_seconds: float = Field(default=3600, ge=0, le=86400)
    portal_failed_after_attempts: int = Field(default=8, ge=1, le=1000)
    # A claimed batch is someone's for this long; after a crash it is sent again (the portal
    # de-duplicates by key, so a resend is harmless).
    portal_lease_seconds: float = Field(default=120, ge=1, le=3600)
    # Webhooks (api.md "Webhooks"). A receiver that fails this many deliveries in a row is
    # switched off with the reason shown in the API, instead of being retried for ever.
    webhook_timeout_seconds: float = Field(default=10, gt=0, le=60)
    webhook_disable_after_failures: int = Field(default=20, ge=1, le=10_000)
    webhook_batch_size: int = Field(default=200, ge=1, le=5000)
    webhook_concurrency: int = Field(default=16, ge=1, le=256)
    webhook_lease_seconds: float = Field(default=120, ge=1, le=3600)
    # Feedback on regulations (PAKN, domain.md §6): deadlines in working days from reception
    # (publication: from the answer), as the national PAKN module sets them.
    feedback_refuse_working_days: int = Field(default=2, ge=1, le=60)
    feedback_info_request_working_days: int = Field(default=5, ge=1, le=60)
    feedback_handle_working_days: int = Field(default=15, ge=1, le=120)
    feedback_forward_working_days: int = Field(default=5, ge=1, le=60)
    feedback_publish_working_days: int = Field(default=2, ge=1, le=60)
    # Anonymous intake per client address and hour: enough for a family, not for a flood.
    feedback_intake_per_hour: int = Field(default=10, ge=1)
    feedback_content_min_chars: int = Field(default=10, ge=1)
    feedback_content_max_chars: int = Field(default=5000, ge=100, le=20000)
    # How long a process may reuse reference data (API keys, users, procedures, calendar) before
    # reading it again: edits made elsewhere reach every process within this many seconds.
    reference_cache_seconds: float = Field(default=10, ge=0, le=300)
    # Public lookups per client address and minute: a citizen checks a few times, a scraper many.
    public_rate_limit_per_minute: int = Field(default=30, ge=1)
    # The public catalogue per client address and minute: a portal server or kiosk reads it
    # often from one address; answers are cached (ETag), so the budget is larger.
    public_catalogue_rate_limit_per_minute: int = Field(default=600, ge=1)
    # Idempotency-Key answers are replayed for at least this many days; the worker deletes
    # older ones once a day, so the table does not grow for ever.
    idempotency_retention_days: int = Field(default=30, ge=1, le=3650)
    # Checking the database at start-up turns a wrong URL into one clear line instead of 500s later.
    startup_check: bool = True

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [o.strip() for o in value.split(",") if o.strip()]
        return value

    @field_validator("database_url", "reports_database_url")
    @classmethod
    def _async_driver(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("postgresql+asyncpg://"):
            raise ValueError("must start with postgresql+asyncpg://")
        return value

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.env is not Environment.DEVELOPMENT:
            secret = self.secret_key.get_secret_value()
            if secret == DEV_SECRET_KEY or len(secret) < 32:
                raise ValueError(
                    "MOTCUA_SECRET_KEY must be set to a random value of at least 32 characters "
                    f"when MOTCUA_ENV={self.env.value}"
                )
        return self

    @model_validator(mode="after")
    def _lease_outlasts_a_delivery(self) -> Settings:
        # A relay starts no delivery that could still run when its lease ends (2 × timeout).
        if self.webhook_lease_seconds < 3 * self.webhook_timeout_seconds:
            raise ValueError(
                "MOTCUA_WEBHOOK_LEASE_SECONDS must be at least 3 × MOTCUA_WEBHOOK_TIMEOUT_SECONDS"
            )
        return self

    @property
    def allow_private_webhook_urls(self) -> bool:
        if self.webhook_allow_private_urls is None:
            return self.env is Environment.DEVELOPMENT
        return self.webhook_allow_private_urls


@lru_cache
def get_settings() -> Settings:
    return Settings()


def describe_settings_error(exc: Exception) -> str:
    """One line a person can act on, for a settings error at start-up."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        parts = []
        for err in errors():
            loc = ".".join(str(p) for p in err.get("loc", ())) or "settings"
            parts.append(f"MOTCUA_{loc.upper()}: {err.get('msg', '')}")
        return "invalid configuration: " + "; ".join(parts)
    return f"invalid configuration: {exc}"
