"""Use cases for agencies, users and API keys: validate, write, flush (the caller commits)."""

from __future__ import annotations

import time
import uuid
from typing import Any

import jwt
from sqlalchemy.ext.asyncio import AsyncSession

from services.core import security
from services.core.cache import TTLCache, clear_all
from services.core.clock import utcnow
from services.core.errors import Conflict, NotFound, Unauthorized, Unprocessable
from services.core.settings import Settings
from services.identity import repository
from services.identity.models import Agency, AgencyLevel, ApiKey, Role, User
from services.identity.principal import Principal
from services.identity.schemas import AgencyCreate, AgencyUpdate, ApiKeyCreate, UserCreate


async def create_agency(session: AsyncSession, data: AgencyCreate) -> Agency:
    if await repository.get_agency(session, data.code):
        raise Conflict(f"agency {data.code} already exists")
    if data.parent_code and not await repository.get_agency(session, data.parent_code):
        raise Unprocessable(f"parent_code: agency {data.parent_code} does not exist")
    agency = Agency(**data.model_dump())
    session.add(agency)
    await session.flush()
    return agency


async def update_agency(session: AsyncSession, agency: Agency, data: AgencyUpdate) -> Agency:
    for key, value in data.model_dump(exclude_unset=True).items():
        if key == "name" and value is None:
            raise Unprocessable("name: must not be null")
        setattr(agency, key, value)
    await session.flush()
    return agency


async def require_agency(session: AsyncSession, code: str, field: str = "agency_code") -> Agency:
    agency = await repository.get_agency(session, code)
    if agency is None:
        raise Unprocessable(f"{field}: agency {code} does not exist")
    return agency


async def create_user(session: AsyncSession, data: UserCreate) -> User:
    problem = security.password_problem(data.password, data.username)
    if problem:
        raise Unprocessable(f"password: {problem}")
    await require_agency(session, data.agency_code)
    if await repository.get_user_by_username(session, data.username):
        raise Conflict(f"user {data.username} already exists")
    user = User(
        username=data.username,
        password_hash=security.hash_password(data.password),
        full_name=data.full_name,
        role=data.role,
        agency_code=data.agency_code,
    )
    session.add(user)
    await session.flush()
    return user


async def authenticate(session: AsyncSession, username: str, password: str) -> User:
    user = await repository.get_user_by_username(session, username.strip().lower())
    ok = security.verify_password(password, user.password_hash if user else None)
    if user is None or not ok or not user.is_active:
        raise Unauthorized("Incorrect username or password")
    user.last_login_at = utcnow()
    return user


def issue_token(settings: Settings, user: User) -> tuple[str, int]:
    return security.create_access_token(
        settings, str(user.id), {"agency": user.agency_code, "role": user.role.value}
    )


async def create_api_key(session: AsyncSession, data: ApiKeyCreate) -> tuple[ApiKey, str]:
    await require_agency(session, data.agency_code)
    key, prefix, key_hash = security.new_api_key()
    api_key = ApiKey(
        name=data.name,
        prefix=prefix,
        key_hash=key_hash,
        agency_code=data.agency_code,
        scopes=data.scopes,
    )
    session.add(api_key)
    await session.flush()
    return api_key, key


async def revoke_api_key(session: AsyncSession, api_key: ApiKey) -> None:
    api_key.is_active = False
    clear_all()
    await session.flush()


_principals: TTLCache[Principal] = TTLCache("principals")


# Tokens already verified, with their claims: checking a signature costs 35 µs, every
# request of a staff member. Expiry is still checked on each use.
_verified: TTLCache[dict[str, Any]] = TTLCache("verified-tokens")


async def principal_from_token(session: AsyncSession, settings: Settings, token: str) -> Principal:
    async def verify() -> dict[str, Any]:
        return security.decode_access_token(settings, token)

    try:
        claims = await _verified.get(token, verify)
        if not claims["exp"] > time.time():
            raise jwt.ExpiredSignatureError("Signature has expired")
        user_id = uuid.UUID(claims["sub"])
    except (jwt.PyJWTError, ValueError, KeyError, TypeError) as exc:
        raise Unauthorized("Invalid or expired token") from exc

    async def load() -> Principal:
        user = await repository.get_user(session, user_id)
        if user is None or not user.is_active:
            raise Unauthorized("Invalid or expired token")
        return Principal(
            kind="user",
            id=user.id,
            name=user.username,
            agency_code=user.agency_code,
            role=user.role,
            tokens_valid_since=user.password_changed_at,
        )

    principal = await _principals.get(("user", user_id), load)
    since = principal.tokens_valid_since
    # iat is in whole seconds: a token issued in the second of the change stays valid.
    if since is not None and int(claims["iat"]) < int(since.timestamp()):
        raise Unauthorized("Invalid or expired token: the password was changed since")
    return principal


async def principal_from_api_key(session: AsyncSession, key: str) -> Principal:
    key_hash = security.hash_api_key(key)

    async def load() -> Principal:
        prefix = security.api_key_prefix(key)
        api_key = await repository.get_api_key_by_prefix(session, prefix) if prefix else None
        if (
            api_key is None
            or not api_key.is_active
            or not security.same_hash(api_key.key_hash, key_hash)
        ):
            raise Unauthorized("Invalid API key")
        await repository.touch_api_key(session, api_key.id)
        return Principal(
            kind="api_key",
            id=api_key.id,
            name=api_key.name,
            agency_code=api_key.agency_code,
            scopes=frozenset(api_key.scopes),
        )

    return await _principals.get(("key", key_hash), load)


async def ensure_admin(
    session: AsyncSession, username: str, password: str, agency_code: str, agency_name: str
) -> tuple[User, bool]:
    """Idempotent: creates the agency and admin when missing; returns (user, created)."""
    if await repository.get_agency(session, agency_code) is None:
        session.add(Agency(code=agency_code, name=agency_name, level=AgencyLevel.PROVINCE))
        await session.flush()
    existing = await repository.get_user_by_username(session, username)
    if existing is not None:
        if not security.verify_password(password, existing.password_hash):
            existing.password_hash = security.hash_password(password)
            existing.password_changed_at = utcnow()
        existing.role, existing.is_active = Role.ADMIN, True
        await session.flush()
        return existing, False
    user = await create_user(
        session,
        UserCreate(
            username=username,
            password=password,
            full_name="Quản trị hệ thống",
            role=Role.ADMIN,
            agency_code=agency_code,
        ),
    )
    return user, True


async def get_agency_or_404(session: AsyncSession, principal: Principal, code: str) -> Agency:
    agency = await repository.get_agency(session, code)
    if agency is None or not principal.sees_agency(agency.code):
        raise NotFound(f"agency {code} not found")
    return agency
