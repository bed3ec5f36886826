"""The FastAPI application factory."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from services.api import ops
from services.apologies.endpoints import router as apologies_router
from services.calendar.endpoints import router as calendar_router
from services.core.errors import install_error_handlers
from services.core.middleware import RequestContextMiddleware
from services.core.settings import Settings, get_settings
from services.dossiers.endpoints import public_router as public_dossiers_router
from services.dossiers.endpoints import router as dossiers_router
from services.feedback.endpoints import public_router as public_feedback_router
from services.feedback.endpoints import router as feedback_router
from services.identity.endpoints import router as identity_router
from services.portal.inbound import router as inbound_router
from services.procedures.endpoints import router as procedures_router
from services.procedures.public import public_router as public_procedures_router
from services.processes.endpoints import router as processes_router
from services.ratings.endpoints import public_router as public_ratings_router
from services.reports.endpoints import router as reports_router
from services.webhooks import openapi as webhook_docs
from services.webhooks.endpoints import router as webhooks_router

TAGS = [
    {"name": "auth", "description": "Staff login (OAuth2 password flow) and identity."},
    {"name": "agencies", "description": "Agencies (cơ quan) and their electronic identifiers."},
    {"name": "users", "description": "Staff accounts (cán bộ) and their roles."},
    {"name": "api-keys", "description": "Integrators' keys, bound to an agency, with scopes."},
    {"name": "calendar", "description": "Working calendar (ngày nghỉ, ngày làm bù) and due dates."},
    {"name": "procedures", "description": "Administrative procedures (thủ tục hành chính)."},
    {"name": "dossiers", "description": "Dossiers (hồ sơ TTHC): reception, lifecycle, history."},
    {"name": "processes", "description": "Internal processes (quy trình nội bộ), work items."},
    {"name": "apologies", "description": "Written apologies for late dossiers (Mẫu 04)."},
    {"name": "public", "description": "Citizen-facing endpoints without login."},
    {"name": "inbound", "description": "Signed events from the national portal."},
    {"name": "feedback", "description": "Feedback on regulations (phản ánh, kiến nghị — PAKN)."},
    {"name": "reports", "description": "KPIs against the plans' targets; Biểu 06."},
    {"name": "webhooks", "description": "Signed event deliveries to integrators."},
    {"name": "operations", "description": "Health, readiness and metrics."},
]

DESCRIPTION = """
Backend of a commune one-stop shop (Bộ phận Một cửa): administrative-procedure dossiers
(hồ sơ TTHC), their deadlines and lifecycle, apologies for late dossiers, feedback, KPIs,
synchronisation with the National Public Service Portal and webhooks.

**Authentication**: staff press *Authorize* and log in with username and password; integrators
send `X-API-Key`. Errors are `application/problem+json` (RFC 9457).
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="motcua — Một cửa API",
        version="1.0.0",
        description=DESCRIPTION,
        openapi_tags=TAGS,
        swagger_ui_parameters={"persistAuthorization": True},
        # FastAPI's own OpenTelemetry looks for configured providers on every request (a
        # tenth of the lookup's time); the service exports Prometheus metrics instead.
        telemetry=None
        if settings.opentelemetry
        else {"tracing": False, "metrics": False, "logs": False},
    )
    install_error_handlers(app)
    # Routes are matched in order, each included router trying all its routes: the busiest
    # come first, the citizens' lookup, then the dossiers (receptions).
    app.include_router(public_dossiers_router)
    app.include_router(dossiers_router)
    app.include_router(ops.router)
    app.include_router(identity_router)
    app.include_router(calendar_router)
    app.include_router(procedures_router)
    app.include_router(processes_router)
    app.include_router(apologies_router)
    app.include_router(inbound_router)
    app.include_router(webhooks_router)
    app.include_router(feedback_router)
    app.include_router(reports_router)
    app.include_router(public_feedback_router)
    app.include_router(public_ratings_router)
    app.include_router(public_procedures_router)
    webhook_docs.register(app)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["ETag", "X-Request-ID", "Retry-After"],
        )
    app.add_middleware(RequestContextMiddleware, max_body_bytes=settings.max_body_bytes)
    return app
