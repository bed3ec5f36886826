"""The REST API process: ``uvicorn services.api.main:app``."""

from __future__ import annotations

import gc
import sys
from typing import Any

from fastapi import FastAPI
from pydantic import ValidationError
from sqlalchemy.engine import make_url
from starlette.types import ASGIApp, Receive, Scope, Send

from services.api import ops
from services.api.app import create_app
from services.core.logging import configure_logging
from services.core.settings import Settings, describe_settings_error, get_settings


class StartupGuard:
    """Checks the database before serving, so a wrong URL stops start-up with one clear line.

    It answers the ASGI lifespan itself on failure: raising inside FastAPI's lifespan would make
    uvicorn print a traceback instead.
    """

    def __init__(self, app: FastAPI, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan" or not self.settings.startup_check:
            await self.app(scope, receive, send)
            return
        message = await receive()
        failure = await self._check()
        if failure:
            await send({"type": "lifespan.startup.failed", "message": failure})
            return
        replayed = False

        async def replay() -> Any:
            nonlocal replayed
            if not replayed:
                replayed = True
                return message
            return await receive()

        await self.app(scope, replay, send)

    async def _check(self) -> str | None:
        try:
            await ops.check_database()
        except Exception as exc:  # any failure to connect is reported the same way
            url = make_url(self.settings.database_url)
            return (
                f"motcua: cannot reach the database at {url.host}:{url.port}/{url.database} "
                f"({type(exc).__name__}: {str(exc)[:200]}); check MOTCUA_DATABASE_URL"
            )
        return None


def _load() -> ASGIApp:
    try:
        settings = get_settings()
    except ValidationError as exc:
        print(f"motcua: {describe_settings_error(exc)}", file=sys.stderr)
        raise SystemExit(2) from None
    configure_logging(settings.log_level)
    app = StartupGuard(create_app(settings), settings)
    tune_gc()
    return app


def tune_gc() -> None:
    """Keeps the cycle collector off the start-up heap and out of the request path.

    The ~200,000 objects of start-up (modules, models, routes) never die: frozen, no full
    collection walks them again. Requests in flight leave a few objects alive at each young
    collection, so with the default threshold (700) the collector ran about 200 times a second
    under load; full collections alone took an eighth of the citizens' lookup's CPU. A larger
    young generation lets refcounting free those objects first (docs/performance.md).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


app = _load()
