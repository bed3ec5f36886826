"""The citizen's rating of a returned dossier (api.md "Feedback (PAKN) and ratings")."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, status
from fastapi.responses import JSONResponse

from services.core.clock import utcnow
from services.core.db import SessionDep
from services.core.errors import error_responses
from services.core.idempotency import IdempotencyKey, created
from services.core.redis import limit_public
from services.core.settings import get_settings
from services.ratings import service
from services.ratings.schemas import RatingIn, RatingOut

public_router = APIRouter(prefix="/api/v1/public", tags=["public"])


@public_router.post(
    "/dossiers/{code}/rating",
    status_code=status.HTTP_201_CREATED,
    response_model=RatingOut,
    operation_id="rate_dossier",
    summary="Rate a returned dossier (citizens)",
    description="No login: the code and the lookup token printed on the receipt. Only once the "
    "result is returned (409 before), once per dossier (409 on a second). A wrong token "
    "answers 404 like an unknown code. Writes `rating.received`. Rate-limited per address.",
    dependencies=[Depends(limit_public)],
    responses=error_responses(404, 409, 422, 429),
)
async def rate_dossier(
    code: Annotated[str, Path(max_length=64)],
    data: RatingIn,
    session: SessionDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    async def produce() -> RatingOut:
        return await service.rate(session, code, data, get_settings(), utcnow())

    # No login: the dossier (whose token the body carries) is whose key it is.
    body = data.model_dump(mode="json")
    return await created(session, f"rating:{code}", idempotency_key, body, produce)
