from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.core.types import LocalDateTime, Text
from services.ratings.models import RatingValue

RATING_DOC = (
    "very_satisfied (rất hài lòng), satisfied (hài lòng), neutral (bình thường), "
    "dissatisfied (không hài lòng)"
)


class RatingIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"token": "ABCDEFGH2345", "rating": "satisfied", "comment": "Cán bộ nhiệt tình"}
            ]
        },
    )
    token: Annotated[str, StringConstraints(min_length=4, max_length=64)] = Field(
        description="The lookup token printed on the receipt."
    )
    rating: RatingValue = Field(description=RATING_DOC)
    comment: Text | None = None


class RatingOut(BaseModel):
    dossier_code: str
    rating: RatingValue = Field(description=RATING_DOC)
    comment: str | None
    rated_at: LocalDateTime
