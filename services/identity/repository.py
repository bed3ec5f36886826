from __future__ import annotations

import uuid

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.identity.models import Agency, ApiKey, User
from services.identity.principal import Principal


async def get_agency(session: AsyncSession, code: str) -> Agency | None:
    return (await session.scalars(select(Agency).where(Agency.code == code))).first()


async def list_agencies(
    session: AsyncSession, principal: Principal, after: str | None, limit: int
) -> list[Agency]:
    stmt = select(Agency).order_by(Agency.code).limit(limit)
    if not principal.is_admin:
        stmt = stmt.where(Agency.code == principal.agency_code)
    if after is not None:
        stmt = stmt.where(Agency.code > after)
    return list(await session.scalars(stmt))


async def get_user_by_username(session: AsyncSession, username: str) -> User | None:
    return (await session.scalars(select(User).where(User.username == username))).first()


async def get_user(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


async def list_users(
    session: AsyncSession,
    principal: Principal,
    agency_code: str | None,
    after: str | None,
    limit: int,
) -> list[User]:
    stmt = select(User).order_by(User.username).limit(limit)
    if not principal.is_admin:
        stmt = stmt.where(User.agency_code == principal.agency_code)
    if agency_code is not None:
        stmt = stmt.where(User.agency_code == agency_code)
    if after is not None:
        stmt = stmt.where(User.username > after)
    return list(await session.scalars(stmt))


async def get_api_key_by_prefix(session: AsyncSession, prefix: str) -> ApiKey | None:
    return (await session.scalars(select(ApiKey).where(ApiKey.prefix == prefix))).first()


async def get_api_key(session: AsyncSession, key_id: uuid.UUID) -> ApiKey | None:
    return await session.get(ApiKey, key_id)


async def list_api_keys(session: AsyncSession, after: str | None, limit: int) -> list[ApiKey]:
    stmt = select(ApiKey).order_by(ApiKey.prefix).limit(limit)
    if after is not None:
        stmt = stmt.where(ApiKey.prefix > after)
    return list(await session.scalars(stmt))


async def touch_api_key(session: AsyncSession, key_id: uuid.UUID) -> None:
    """Records that a key was used, at most once a minute, never waiting on the key's row
    (another request may hold it): a busy key costs one short write per process and minute."""
    recent = func.now() - text("interval '1 minute'")
    unlocked = (
        select(ApiKey.id)
        .where(
            ApiKey.id == key_id,
            (ApiKey.last_used_at.is_(None)) | (ApiKey.last_used_at < recent),
        )
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    await session.execute(
        update(ApiKey)
        .where(ApiKey.id == unlocked)
        .values(last_used_at=func.now())
        .execution_options(synchronize_session=False)
    )
