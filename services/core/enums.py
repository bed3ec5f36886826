"""Storing StrEnums as their values in VARCHAR columns with a CHECK, not native PG enums."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import Enum


def str_enum(cls: type[StrEnum], name: str) -> Enum:
    # Native PG enums need a migration for every new value; a checked VARCHAR needs only a new
    # CHECK, which Alembic's autogenerate can see through the model.
    return Enum(
        cls,
        name=name,
        values_callable=lambda e: [m.value for m in e],
        native_enum=False,
        length=32,
        validate_strings=True,
        create_constraint=True,
    )
