"""Stand-in for the National Public Service Portal (Cổng DVCQG):
``uvicorn services.portal_mock.main:app``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from services.api.ops import healthz
from services.core.errors import install_error_handlers
from services.portal_mock.auth import install_portal_error_handler
from services.portal_mock.endpoints import BODY_MODELS, router

DESCRIPTION = """\
A stand-in for the National Public Service Portal (Cổng DVCQG), for demos and tests.

1. `POST /api/auth/token` with the gateway credentials → `session`; send it as
   `Authorization: Bearer <session>` to every other endpoint (401 when missing or expired).
2. `POST /api/dossiers/sync` (`DongBoHoSoMC`) and `POST /api/summaries` store what they accept,
   once per `IdempotencyKey`; `GET /api/received` shows it.
3. `POST /_admin/faults` makes the data endpoints slow or failing, in every mock process;
   `/_admin/online-dossiers` and `/_admin/payments` send signed events to the backend.
"""

TAGS = [
    {"name": "portal", "description": "The portal's API, as the worker calls it."},
    {"name": "operators", "description": "What the portal accepted, for operators and tests."},
    {"name": "admin", "description": "Fault injection and events sent to the backend."},
    {"name": "operations", "description": "Probes."},
]


def _with_body_schemas(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """Adds the request models the data endpoints validate by hand to the components."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            for model in BODY_MODELS:
                model_schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
                components.update(model_schema.pop("$defs", {}))
                components[model.__name__] = model_schema
        return app.openapi_schema or {}

    return openapi


def create_portal_app() -> FastAPI:
    app = FastAPI(
        title="Mock Cổng DVCQG",
        version="1.0.0",
        description=DESCRIPTION,
        openapi_tags=TAGS,
    )
    install_error_handlers(app)
    install_portal_error_handler(app)
    app.add_api_route(
        "/healthz",
        healthz,
        methods=["GET"],
        tags=["operations"],
        operation_id="healthz",
        summary="Liveness",
        description="The process is up. No dependency is checked.",
    )
    app.include_router(router)
    app.openapi = _with_body_schemas(app)  # type: ignore[method-assign]
    return app


app = create_portal_app()
