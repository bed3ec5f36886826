"""Helpers for routes: those registered in a loop (one per workflow action), and the busiest
routes, which read their inputs themselves where FastAPI's solving of them cost too much
(docs/performance.md) and must then check them exactly as FastAPI would."""

from __future__ import annotations

import email.message
import inspect
import json
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Any, Literal, TypeVar

from fastapi import Body, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)
Handler = Callable[[Request], Coroutine[Any, Any, Response]]


def with_body(endpoint: Callable[..., Any], model: type[BaseModel], *, optional: bool) -> None:
    """Gives ``endpoint``'s ``body`` parameter the action's model, so that FastAPI validates it
    and OpenAPI shows it; an optional body may be left out of the request entirely."""
    body_type: Any = Annotated[model | None, Body()] if optional else Annotated[model, Body()]
    signature = inspect.signature(endpoint)
    params = [
        p.replace(annotation=body_type, default=None if optional else inspect.Parameter.empty)
        if p.name == "body"
        else p
        for p in signature.parameters.values()
    ]
    setattr(endpoint, "__signature__", signature.replace(parameters=params))  # noqa: B010


def _characters(n: int) -> str:
    return f"{n} character{'' if n == 1 else 's'}"


@dataclass(frozen=True)
class TextParameter:
    where: Literal["path", "query", "header"]
    name: str
    min_length: int = 0
    max_length: int | None = None
    required: bool = True

    def documented(self) -> dict[str, Any]:
        """The OpenAPI parameter FastAPI would have written for ``Annotated[str, Path|Query]``."""
        schema: dict[str, Any] = {"type": "string", "title": self.name.title()}
        if self.min_length:
            schema["minLength"] = self.min_length
        if self.max_length is not None:
            schema["maxLength"] = self.max_length
        return {"name": self.name, "in": self.where, "required": self.required, "schema": schema}

    def value(self, request: Request) -> str | None:
        if self.where == "path":
            found: str | None = request.path_params.get(self.name)
            return found
        return (request.query_params if self.where == "query" else request.headers).get(self.name)

    def problem(self, value: str | None) -> dict[str, Any] | None:
        """The validation error FastAPI would have raised for ``value``, if any."""
        loc = (self.where, self.name)
        if value is None:
            if not self.required:
                return None
            return {"type": "missing", "loc": loc, "msg": "Field required", "input": None}
        if self.max_length is not None and len(value) > self.max_length:
            msg = f"String should have at most {_characters(self.max_length)}"
            return {"type": "string_too_long", "loc": loc, "msg": msg, "input": value}
        if len(value) < self.min_length:
            msg = f"String should have at least {_characters(self.min_length)}"
            return {"type": "string_too_short", "loc": loc, "msg": msg, "input": value}
        return None


class TextParameters:
    """Required text parameters that a route reads itself (``read``) and documents through
    ``openapi_extra`` (``documented``), with the same checks and 422 as FastAPI's own."""

    def __init__(self, *parameters: TextParameter) -> None:
        self.parameters = parameters

    def documented(self) -> list[dict[str, Any]]:
        return [p.documented() for p in self.parameters]

    def read(self, request: Request) -> list[str]:
        values = [p.value(request) for p in self.parameters]
        problems = [p.problem(v) for p, v in zip(self.parameters, values, strict=True)]
        if any(problems):
            raise RequestValidationError([e for e in problems if e is not None])
        return values  # type: ignore[return-value]  # none is None past the check


class ServedRoute(APIRoute):
    """An APIRoute that calls an endpoint marked by ``reads_itself`` with the request alone."""

    def get_route_handler(self) -> Handler:
        if getattr(self.endpoint, "reads_itself", False):
            handler: Handler = self.endpoint
            return handler
        return super().get_route_handler()


def reads_itself(**declared: Any) -> Callable[[Handler], Handler]:
    """Serves a route (of a router with ``route_class=ServedRoute``) with
    ``endpoint(request) -> Response``, documented as taking ``declared`` (``name=annotation``,
    or ``name=(annotation, default)``): FastAPI writes OpenAPI and the route table's rules
    from them but never solves them. The endpoint reads and checks each itself, in FastAPI's
    order: the body's JSON (``json_body``), then the caller (``Rule.authorise``), then the
    other parameters and the body's model together (``TextParameter``, ``body_model``)."""

    def mark(endpoint: Handler) -> Handler:
        parameters = [
            inspect.Parameter(
                name,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=spec[0] if isinstance(spec, tuple) else spec,
                default=spec[1] if isinstance(spec, tuple) else inspect.Parameter.empty,
            )
            for name, spec in declared.items()
        ]
        setattr(endpoint, "__signature__", inspect.Signature(parameters))  # noqa: B010
        setattr(endpoint, "reads_itself", True)  # noqa: B010
        return endpoint

    return mark


async def json_body(request: Request) -> Any:
    """The body as FastAPI hands it to a body parameter: parsed when its media type is JSON,
    the bytes otherwise, None when empty. Malformed JSON is FastAPI's 422, a body that is not
    text its 400."""
    try:
        raw = await request.body()
    except Exception as exc:  # the client went away mid-body, as FastAPI answers it
        raise HTTPException(400, "There was an error parsing the body") from exc
    if not raw:
        return None
    content_type = request.headers.get("content-type")
    if content_type is None or not _is_json(content_type):
        return raw
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        error = {
            "type": "json_invalid",
            "loc": ("body", exc.pos),
            "msg": "JSON decode error",
            "input": {},
            "ctx": {"error": exc.msg},
        }
        raise RequestValidationError([error], body=exc.doc) from exc
    except ValueError as exc:  # not UTF-8
        raise HTTPException(400, "There was an error parsing the body") from exc


@lru_cache(maxsize=64)
def _is_json(content_type: str) -> bool:
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


def body_model(model: type[M], value: Any) -> tuple[M | None, list[dict[str, Any]]]:
    """``value`` (from ``json_body``) as a required body of ``model``, or FastAPI's errors."""
    if value is None:
        return None, [{"type": "missing", "loc": ("body",), "msg": "Field required", "input": None}]
    try:
        # from_attributes, as FastAPI validates bodies: the same errors for a non-object.
        return model.model_validate(value, from_attributes=True), []
    except ValidationError as exc:
        return None, [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
