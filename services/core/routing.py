"""Helpers for routes: those registered in a loop (one per workflow action), and text
parameters read by the route itself where FastAPI's solving of them cost too much."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import Body, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel


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


@dataclass(frozen=True)
class TextParameter:
    where: Literal["path", "query"]
    name: str
    min_length: int = 0
    max_length: int | None = None

    def documented(self) -> dict[str, Any]:
        """The OpenAPI parameter FastAPI would have written for ``Annotated[str, Path|Query]``."""
        schema: dict[str, Any] = {"type": "string", "title": self.name.title()}
        if self.min_length:
            schema["minLength"] = self.min_length
        if self.max_length is not None:
            schema["maxLength"] = self.max_length
        return {"name": self.name, "in": self.where, "required": True, "schema": schema}

    def problem(self, value: str | None) -> dict[str, Any] | None:
        """The validation error FastAPI would have raised for ``value``, if any."""
        loc = (self.where, self.name)
        if value is None:
            return {"type": "missing", "loc": loc, "msg": "Field required", "input": None}
        if self.max_length is not None and len(value) > self.max_length:
            msg = f"String should have at most {self.max_length} characters"
            return {"type": "string_too_long", "loc": loc, "msg": msg, "input": value}
        if len(value) < self.min_length:
            msg = f"String should have at least {self.min_length} characters"
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
        values = [
            request.path_params.get(p.name)
            if p.where == "path"
            else request.query_params.get(p.name)
            for p in self.parameters
        ]
        problems = [p.problem(v) for p, v in zip(self.parameters, values, strict=True)]
        if any(problems):
            raise RequestValidationError([e for e in problems if e is not None])
        return values  # type: ignore[return-value]  # none is None past the check
