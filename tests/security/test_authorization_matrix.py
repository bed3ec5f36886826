"""Every route × every role × anonymous, generated from the route table.

A route must declare its rule (``Rule(...).dependency()``, found on ``route.dependant``) or be
listed in ``routes.PUBLIC`` / ``routes.AUTHENTICATED``: a new route without either fails here.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from services.dossiers.workflow import ROLE_ACTIONS, Action
from services.identity.models import Role
from services.identity.schemas import KNOWN_SCOPES
from tests.security.conftest import ROLES, DossiersFn, KeyFn, TokenFn
from tests.security.routes import AUTHENTICATED, PUBLIC, RouteInfo, fill_path, route_table

ROUTES = route_table()
ACTIONS = {a.value for a in Action}
DOSSIER_ROUTES = [r for r in ROUTES if r.path.startswith("/api/v1/dossiers/{code}")]


def _allowed(route: RouteInfo, role: str) -> bool:
    """The route's declared rule, refined for dossier actions by the workflow's role table
    (checked inside the handler, after the dossier is found)."""
    if role == "admin":
        return True
    if not all(Role(role) in rule.roles for rule in route.rules):
        return False
    action = route.path.removeprefix("/api/v1/dossiers/{code}/")
    if route.method == "POST" and action in ACTIONS:
        return Action(action) in ROLE_ACTIONS[Role(role)]
    return True


async def _call(
    client: httpx.AsyncClient,
    route: RouteInfo,
    url: str,
    headers: dict[str, str] | None,
    body: Any = None,
) -> httpx.Response:
    kwargs: dict[str, Any] = {"headers": headers or {}}
    if route.has_body:
        kwargs["json"] = {} if body is None else body
    return await client.request(route.method, url, **kwargs)


def _example_body(openapi: dict[str, Any], route: RouteInfo) -> Any:
    """The documented example of the route's JSON body, or ``{}``."""
    operation = openapi["paths"][route.path][route.method.lower()]
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if content is None:
        return None
    schema = content["schema"]
    for option in schema.get("anyOf", [schema]):
        ref = option.get("$ref")
        if ref:
            component = openapi["components"]["schemas"][ref.rsplit("/", 1)[1]]
            examples = component.get("examples") or []
            return examples[0] if examples else {}
    return {}


def test_allow_lists_name_existing_routes() -> None:
    known = {(r.method, r.path) for r in ROUTES}
    assert not (PUBLIC | AUTHENTICATED) - known, "stale entries in the allow-lists"
    assert ("POST", "/api/v1/dossiers") in known  # the route table was really read


@pytest.mark.parametrize("route", ROUTES, ids=[r.id for r in ROUTES])
async def test_route_authorisation(
    route: RouteInfo,
    app: Any,
    client: httpx.AsyncClient,
    tokens: TokenFn,
    api_keys: KeyFn,
    dossiers: DossiersFn,
) -> None:
    # A real dossier only where the route names one (creating it costs two requests).
    code = (await dossiers())["own"] if route in DOSSIER_ROUTES else "-"
    url = fill_path(route.path, code)
    body = _example_body(app.openapi(), route)
    if route.public:
        resp = await _call(client, route, url, None, body)
        assert resp.status_code < 500, f"{route.id} anonymous → {resp.status_code}: {resp.text}"
        return
    if not route.rules and (route.method, route.path) not in AUTHENTICATED:
        pytest.fail(
            f"{route.id} declares no authorisation rule: depend on Rule(...).dependency() "
            "(allow(...)), or list it in tests/security/routes.py as public on purpose"
        )
    assert route.authenticated, f"{route.id} does not depend on current_principal"

    anonymous = await _call(client, route, url, None, body)
    assert anonymous.status_code == 401, f"{route.id} anonymous → {anonymous.status_code}"

    for role in ROLES:
        resp = await _call(client, route, url, tokens(role), body)
        got = f"{route.id} as {role} → {resp.status_code}: {resp.text[:300]}"
        assert resp.status_code < 500, got
        if _allowed(route, role):
            assert resp.status_code not in (401, 403), got
        else:
            assert resp.status_code == 403, got

    # Integrators' keys: the scopes the route's rules name let a key through, the others not;
    # a rule without a scope is for admins only.
    needed = {rule.scope for rule in route.rules}  # one accepted scope per rule
    accepted = {s for rule in route.rules for s in getattr(rule, "scopes", {rule.scope})}
    others = frozenset(KNOWN_SCOPES) - accepted
    resp = await _call(client, route, url, await api_keys(others), body)
    got = f"{route.id} with a key of scopes {sorted(others)} → {resp.status_code}: {resp.text}"
    if route.rules:
        assert resp.status_code == 403, got
    else:  # any authenticated caller
        assert resp.status_code not in (401, 403) and resp.status_code < 500, got
    if route.rules and None not in needed:
        scopes = frozenset(s for s in needed if s is not None)
        resp = await _call(client, route, url, await api_keys(scopes), body)
        got = f"{route.id} with a key of scopes {sorted(scopes)} → {resp.status_code}: {resp.text}"
        assert resp.status_code not in (401, 403) and resp.status_code < 500, got


@pytest.mark.parametrize("route", DOSSIER_ROUTES, ids=[r.id for r in DOSSIER_ROUTES])
async def test_dossier_of_another_agency_is_404(
    route: RouteInfo,
    app: Any,
    client: httpx.AsyncClient,
    tokens: TokenFn,
    dossiers: DossiersFn,
) -> None:
    codes = await dossiers()
    body = _example_body(app.openapi(), route)
    allowed = [role for role in ROLES if role != "admin" and _allowed(route, role)]
    assert allowed
    for role in allowed:
        # Users of the other agency, on a dossier of AGENCY, and the reverse.
        for username, code in ((f"{role}2", codes["own"]), (role, codes["foreign"])):
            resp = await _call(client, route, fill_path(route.path, code), tokens(username), body)
            assert resp.status_code == 404, (
                f"{route.id} as {username} on a dossier of another agency → "
                f"{resp.status_code}: {resp.text[:300]}"
            )
    if route.path.endswith("/apology"):
        return  # 404 for the own dossier too: it has no apology
    for role in allowed:
        resp = await _call(client, route, fill_path(route.path, codes["own"]), tokens(role), body)
        assert resp.status_code not in (401, 403, 404) and resp.status_code < 500, (
            f"{route.id} as {role} on its own agency's dossier → "
            f"{resp.status_code}: {resp.text[:300]}"
        )
