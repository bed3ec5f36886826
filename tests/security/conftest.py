"""Fixtures of the security suite: tokens minted without the (deliberately slow) login, and one
dossier per agency."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest_asyncio
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.core.settings import get_settings
from services.identity.service import issue_token
from tests.conftest import install_overrides
from tests.dossiers.conftest import dossier_body, procedures  # noqa: F401

ROLES = ("admin", "leader", "officer", "specialist", "viewer")


@functools.cache
def shared_app() -> FastAPI:
    from services.api.app import create_app

    return create_app(get_settings())


@pytest_asyncio.fixture
async def app(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[FastAPI]:
    """The root ``app`` fixture, but one application for the whole directory: building the
    route table and the OpenAPI document of a fresh app costs ~0.5 s, times ~100 tests here.
    Only the overrides change from test to test (the rolled-back transaction)."""
    application = shared_app()
    install_overrides(application, sessionmaker)
    yield application
    application.dependency_overrides.clear()


TokenFn = Callable[[str], dict[str, str]]


@pytest_asyncio.fixture
async def tokens(seed: dict[str, Any]) -> TokenFn:
    """``tokens("officer2")`` → Authorization headers for a seeded user, minted once per test.

    Tokens are issued the way the login route issues them; logging in through the route would
    verify an argon2 hash per role and per route, which the matrix cannot afford.
    """
    cache: dict[str, dict[str, str]] = {}

    def _headers(username: str) -> dict[str, str]:
        if username not in cache:
            token, _ = issue_token(get_settings(), seed[username])
            cache[username] = {"Authorization": f"Bearer {token}"}
        return cache[username]

    return _headers


KeyFn = Callable[[frozenset[str]], Awaitable[dict[str, str]]]


@pytest_asyncio.fixture
async def api_keys(session: AsyncSession, seed: dict[str, Any]) -> KeyFn:
    """``await api_keys(frozenset({"dossiers:read"}))`` → X-API-Key headers for a key of
    AGENCY with those scopes, created once per test and set of scopes."""
    from services.identity import service as identity_service
    from services.identity.schemas import ApiKeyCreate
    from tests.conftest import AGENCY

    cache: dict[frozenset[str], dict[str, str]] = {}

    async def _headers(scopes: frozenset[str]) -> dict[str, str]:
        if scopes not in cache:
            _, key = await identity_service.create_api_key(
                session, ApiKeyCreate(name="matrix", agency_code=AGENCY, scopes=sorted(scopes))
            )
            await session.commit()
            cache[scopes] = {"X-API-Key": key}
        return cache[scopes]

    return _headers


DossiersFn = Callable[[], Awaitable[dict[str, str]]]


@pytest_asyncio.fixture
async def dossiers(
    client: httpx.AsyncClient,
    tokens: TokenFn,
    procedures: Any,  # noqa: F811
) -> DossiersFn:
    """``await dossiers()`` → one received dossier per agency, created on first use:
    ``{"own": code in AGENCY, "foreign": code in OTHER_AGENCY}``."""
    codes: dict[str, str] = {}

    async def _codes() -> dict[str, str]:
        for key, officer in (("own", "officer"), ("foreign", "officer2")):
            if key not in codes:
                resp = await client.post(
                    "/api/v1/dossiers", json=dossier_body(), headers=tokens(officer)
                )
                assert resp.status_code == 201, resp.text
                codes[key] = resp.json()["code"]
        return codes

    return _codes
