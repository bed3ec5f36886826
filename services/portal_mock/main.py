"""Stand-in for the National Public Service Portal (Cổng DVCQG):
``uvicorn services.portal_mock.main:app``."""

from __future__ import annotations

from fastapi import FastAPI

from services.api.ops import healthz
from services.core.errors import install_error_handlers


def create_portal_app() -> FastAPI:
    app = FastAPI(
        title="Mock Cổng DVCQG",
        version="1.0.0",
        description="A stand-in for the National Public Service Portal, for demos and tests.",
    )
    install_error_handlers(app)
    app.add_api_route(
        "/healthz",
        healthz,
        methods=["GET"],
        tags=["operations"],
        operation_id="healthz",
        summary="Liveness",
    )
    return app


app = create_portal_app()
