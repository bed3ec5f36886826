"""Helpers for routes registered in a loop (one per workflow action)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Body
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
