"""The application's route table, flattened, with the authorisation rule each route declares."""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from services.identity.dependencies import Rule, current_principal

# Public on purpose: probes, the login itself, the citizen-facing endpoints, feedback filing,
# and the portal's events (authenticated by their signature, not by a principal). The docs and
# /openapi.json are Starlette routes, not APIRoutes, so they never reach the matrix.
PUBLIC: frozenset[tuple[str, str]] = frozenset(
    {
        ("GET", "/healthz"),
        ("GET", "/readyz"),
        ("GET", "/metrics"),
        ("POST", "/api/v1/auth/token"),
        ("POST", "/api/v1/feedback"),
        ("POST", "/api/v1/inbound/portal"),
    }
)
PUBLIC_PREFIX = "/api/v1/public/"

# Any authenticated caller, whatever its role or scopes: these need a principal but no rule.
AUTHENTICATED: frozenset[tuple[str, str]] = frozenset(
    {
        ("GET", "/api/v1/auth/me"),
        ("GET", "/api/v1/calendar/due-date"),
    }
)


@dataclass(frozen=True)
class RouteInfo:
    method: str
    path: str
    rules: tuple[Rule, ...]
    authenticated: bool  # depends on current_principal somewhere
    has_body: bool
    rate_limit_buckets: tuple[str, ...] = ()  # per-address limits among its dependencies

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def public(self) -> bool:
        return (self.method, self.path) in PUBLIC or self.path.startswith(PUBLIC_PREFIX)


def _walk(dependant: Dependant, rules: list[Rule], calls: list[Any]) -> None:
    calls.append(dependant.call)
    rule = getattr(dependant.call, "rule", None)
    if isinstance(rule, Rule):
        rules.append(rule)
    for sub in dependant.dependencies:
        _walk(sub, rules, calls)


def _api_routes(app: FastAPI) -> list[Any]:
    """APIRoutes with their full path and merged dependencies.

    Recent FastAPI versions keep included routers as lazy entries of ``app.routes``;
    ``iter_route_contexts`` flattens them (prefix and router-level dependencies applied).
    """
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI: app.routes is already flat
        return [r for r in app.routes if isinstance(r, APIRoute)]
    return [
        ctx for ctx in iter_route_contexts(app.routes) if isinstance(ctx.original_route, APIRoute)
    ]


@functools.cache
def route_table() -> tuple[RouteInfo, ...]:
    from services.api.app import create_app

    table: list[RouteInfo] = []
    for route in _api_routes(create_app()):
        rules: list[Rule] = []
        calls: list[Any] = []
        _walk(route.dependant, rules, calls)
        for method in sorted(route.methods or ()):
            table.append(
                RouteInfo(
                    method=method,
                    path=route.path,
                    rules=tuple(rules),
                    authenticated=current_principal in calls,
                    has_body=route.body_field is not None,
                    rate_limit_buckets=tuple(
                        c.rate_limit_bucket for c in calls if hasattr(c, "rate_limit_bucket")
                    ),
                )
            )
    return tuple(table)


def fill_path(path: str, dossier_code: str) -> str:
    """Plausible path parameters: real codes where the route names a dossier, agency or
    procedure; random UUIDs (→ 404) for ids."""
    from tests.conftest import AGENCY
    from tests.dossiers.conftest import MARITAL

    values = {
        "date": "2026-09-02",
        "year": "2026",
        "n": "1",  # a step number
    }
    if path.startswith("/api/v1/dossiers/{code}"):
        values["code"] = dossier_code
    elif path.startswith("/api/v1/agencies/{code}"):
        values["code"] = AGENCY
    elif path.startswith("/api/v1/procedures/{code}"):
        values["code"] = MARITAL
    elif path.startswith("/api/v1/feedback/{code}"):
        values["code"] = "PAKN-000000"
    result = path
    while "{" in result:
        start = result.index("{")
        end = result.index("}", start)
        name = result[start + 1 : end].split(":")[0]
        result = result[:start] + values.get(name, str(uuid.uuid4())) + result[end + 1 :]
    return result
