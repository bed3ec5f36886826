"""Domain errors carry their HTTP status; one set of handlers renders RFC 9457 problem+json."""

from __future__ import annotations

import logging
import re
from http import HTTPStatus
from typing import Any

from asyncpg import exceptions as asyncpg_errors
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"
logger = logging.getLogger("motcua.errors")


class AppError(Exception):
    status_code: int = 400
    title: str = "Bad request"
    type_slug: str = "bad-request"

    def __init__(self, detail: str, *, headers: dict[str, str] | None = None, **extra: Any):
        super().__init__(detail)
        self.detail = detail
        self.headers = headers
        self.extra = extra


class NotFound(AppError):
    status_code, title, type_slug = 404, "Not found", "not-found"


class Conflict(AppError):
    status_code, title, type_slug = 409, "Conflict", "conflict"


class Forbidden(AppError):
    status_code, title, type_slug = 403, "Forbidden", "forbidden"


class Unauthorized(AppError):
    status_code, title, type_slug = 401, "Unauthorized", "unauthorized"

    def __init__(self, detail: str = "Authentication required", **extra: Any):
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"}, **extra)


class PreconditionFailed(AppError):
    status_code, title, type_slug = 412, "Precondition failed", "precondition-failed"


class Unprocessable(AppError):
    status_code, title, type_slug = 422, "Unprocessable content", "validation-error"


class TooManyRequests(AppError):
    status_code, title, type_slug = 429, "Too many requests", "rate-limited"


class ServiceUnavailable(AppError):
    status_code, title, type_slug = 503, "Service unavailable", "unavailable"


class ErrorItem(BaseModel):
    loc: list[str | int]
    msg: str


class Problem(BaseModel):
    """RFC 9457 problem details, as every error of this API is rendered."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[ErrorItem] | None = None


def problem_response(
    request: Request,
    status: int,
    detail: str,
    *,
    title: str | None = None,
    slug: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    body: dict[str, Any] = {
        "type": f"https://motcua.example/problems/{slug or phrase.lower().replace(' ', '-')}",
        "title": title or phrase,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
    }
    body.update({k: v for k, v in extra.items() if v is not None})
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _loc(loc: Any) -> list[str | int]:
    return [p if isinstance(p, int) else str(p) for p in loc]


# character_not_in_repertoire (a NUL in a text parameter), untranslatable_character.
_UNSTORABLE_TEXT = frozenset({"22021", "22P05"})


def _sqlstate(exc: Exception) -> str | None:
    """The SQLSTATE of a driver error, whether SQLAlchemy wrapped it or the driver's own pool
    (``HotReader``) raised it."""
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    if orig is None:
        return None
    state = getattr(orig, "sqlstate", None) or getattr(orig.__cause__, "sqlstate", None)
    return state if isinstance(state, str) else None


_FIELD_FIRST = re.compile(r"^([A-Za-z_][\w.]*): (.+)$", re.DOTALL)


def errors_from_detail(detail: str) -> list[dict[str, Any]]:
    """``errors`` (api.md: every validation error has them) for a rule checked in a service,
    whose message names the field first: ``"received_at: must not be in the future"``."""
    match = _FIELD_FIRST.match(detail)
    if match is None:
        return [{"loc": [], "msg": detail}]
    return [{"loc": _loc(match.group(1).split(".")), "msg": match.group(2)}]


def install_error_handlers(app: FastAPI) -> None:
    async def app_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, AppError)
        extra = dict(exc.extra)
        if exc.status_code == 422 and not extra.get("errors"):
            extra["errors"] = errors_from_detail(exc.detail)
        return problem_response(
            request,
            exc.status_code,
            exc.detail,
            title=exc.title,
            slug=exc.type_slug,
            headers=exc.headers,
            **extra,
        )

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        return problem_response(
            request, exc.status_code, str(exc.detail), headers=getattr(exc, "headers", None)
        )

    async def validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = [
            {"loc": _loc(e.get("loc", ())), "msg": str(e.get("msg", "invalid value"))}
            for e in exc.errors()
        ]
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if (
            media
            and not media.endswith(("json", "x-www-form-urlencoded", "form-data"))
            and any(e["loc"][:1] == ["body"] for e in errors)
        ):
            # The body was never read as JSON: say so, rather than that it is not an object.
            return problem_response(
                request,
                415,
                f"Content-Type {media} is not accepted here; send application/json",
                title="Unsupported media type",
                slug="unsupported-media-type",
            )
        first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
        where = ".".join(str(p) for p in first["loc"])
        detail = f"{where}: {first['msg']}" if where else str(first["msg"])
        if len(errors) > 1:
            detail += f" (and {len(errors) - 1} more)"
        return problem_response(
            request, 422, detail, title="Validation failed", slug="validation-error", errors=errors
        )

    async def database_down(request: Request, exc: Exception) -> JSONResponse:
        if _sqlstate(exc) in _UNSTORABLE_TEXT:
            # PostgreSQL text cannot hold U+0000: the caller's input, not a server error.
            detail = "Text may not contain the NUL character (U+0000)"
            return problem_response(
                request,
                422,
                detail,
                title="Validation failed",
                slug="validation-error",
                errors=errors_from_detail(detail),
            )
        if isinstance(exc, asyncpg_errors.PostgresError) or (
            isinstance(exc, DBAPIError)
            and not exc.connection_invalidated
            and not isinstance(exc, OperationalError | InterfaceError)
        ):
            logger.exception("database error", extra={"path": request.url.path})
            return problem_response(request, 500, "Internal error; it has been logged.")
        logger.error("database unavailable: %s", type(exc.__cause__ or exc).__name__)
        return problem_response(
            request,
            503,
            "The database is unavailable; try again shortly.",
            slug="unavailable",
            headers={"Retry-After": "5"},
        )

    async def connection_refused(request: Request, exc: Exception) -> JSONResponse:
        logger.error("dependency unavailable: %s", type(exc).__name__)
        return problem_response(
            request,
            503,
            "A backing service is unavailable; try again shortly.",
            slug="unavailable",
            headers={"Retry-After": "5"},
        )

    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error", extra={"path": request.url.path})
        return problem_response(request, 500, "Internal error; it has been logged.")

    app.add_exception_handler(AppError, app_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(DBAPIError, database_down)
    # The same errors raised by the driver's own pool (HotReader), which SQLAlchemy does not wrap.
    app.add_exception_handler(asyncpg_errors.PostgresError, database_down)
    # Raised while connecting, which SQLAlchemy does not wrap: PostgreSQL shutting down or
    # starting up (57P0x) or the connection lost (08xxx). Found by the restart drill.
    app.add_exception_handler(asyncpg_errors.OperatorInterventionError, connection_refused)
    app.add_exception_handler(asyncpg_errors.PostgresConnectionError, connection_refused)
    app.add_exception_handler(asyncpg_errors.InterfaceError, connection_refused)
    app.add_exception_handler(ConnectionRefusedError, connection_refused)
    app.add_exception_handler(OSError, connection_refused)
    app.add_exception_handler(Exception, unexpected)


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries so that Swagger shows the problem+json shape."""
    return {
        s: {"model": Problem, "description": HTTPStatus(s).phrase, "content": {PROBLEM_JSON: {}}}
        for s in statuses
    }
