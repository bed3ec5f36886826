"""Rating a returned dossier: with the receipt's token, once (domain.md §7)."""

from __future__ import annotations

import hmac
from datetime import datetime

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.core.clock import as_local
from services.core.errors import Conflict, NotFound
from services.core.security import lookup_token
from services.core.settings import Settings
from services.dossiers import repository as dossier_repo
from services.dossiers.models import DossierStatus
from services.outbox.service import emit
from services.ratings.models import Rating
from services.ratings.schemas import RatingIn, RatingOut


async def rate(
    session: AsyncSession, code: str, data: RatingIn, settings: Settings, now: datetime
) -> RatingOut:
    # A wrong token answers exactly like a missing dossier, as the public lookup does.
    if not hmac.compare_digest(lookup_token(settings, code).encode(), data.token.upper().encode()):
        raise NotFound(f"dossier {code} not found")
    dossier = await dossier_repo.get_by_code(session, code)
    if dossier is None:
        raise NotFound(f"dossier {code} not found")
    if dossier.status is not DossierStatus.RETURNED:
        raise Conflict(f"dossier {code} can be rated once its result is returned")
    # The unique dossier_id decides between two concurrent ratings, not a prior read.
    inserted = await session.scalar(
        insert(Rating)
        .values(
            dossier_id=dossier.id,
            dossier_code=dossier.code,
            receiving_agency_code=dossier.receiving_agency_code,
            resolving_agency_code=dossier.resolving_agency_code,
            sector_group=dossier.sector_group,
            rating=data.rating,
            comment=data.comment,
            rated_at=now,
        )
        .on_conflict_do_nothing(index_elements=[Rating.dossier_id])
        .returning(Rating.id)
    )
    if inserted is None:
        raise Conflict(f"dossier {code} has already been rated")
    out = RatingOut(
        dossier_code=dossier.code, rating=data.rating, comment=data.comment, rated_at=now
    )
    emit(
        session,
        "rating.received",
        dossier.code,
        (dossier.receiving_agency_code, dossier.resolving_agency_code),
        {
            "rating": {
                "dossier_code": dossier.code,
                "rating": data.rating.value,
                "comment": data.comment,
                "sector_group": dossier.sector_group,
                "rated_at": as_local(now).isoformat(),
            }
        },
    )
    await session.flush()
    return out
