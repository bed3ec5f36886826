"""Authentication and authorisation as typed dependencies, checked in one place."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer
from sqlalchemy.ext.asyncio import AsyncSession

from services.core.db import SessionDep
from services.core.errors import Forbidden, Unauthorized
from services.core.settings import get_settings
from services.identity import service
from services.identity.models import Role
from services.identity.principal import Principal

oauth2_scheme = OAuth2PasswordBearer(
    tokenUrl="/api/v1/auth/token", auto_error=False, description="Staff login (JWT)."
)
api_key_scheme = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="Integrator key bound to an agency."
)


async def current_principal(
    request: Request,
    session: SessionDep,
    token: Annotated[str | None, Depends(oauth2_scheme)],
    api_key: Annotated[str | None, Depends(api_key_scheme)],
) -> Principal:
    if token:
        principal = await service.principal_from_token(session, get_settings(), token)
    elif api_key:
        principal = await service.principal_from_api_key(session, api_key)
    else:
        raise Unauthorized()
    request.state.principal = principal
    return principal


async def authenticate(request: Request, session: AsyncSession) -> Principal:
    """``current_principal`` for a route that reads its inputs itself."""
    return await current_principal(
        request, session, await oauth2_scheme(request), await api_key_scheme(request)
    )


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]

STAFF = (Role.LEADER, Role.OFFICER, Role.SPECIALIST, Role.VIEWER)


class Rule:
    """An authorisation rule: which staff roles, and which API-key scope, may call a route.

    Admins always pass. Routes keep their rule on ``route.dependant``-visible metadata so that the
    authorisation matrix test can enumerate every route with the rule it declares.
    """

    def __init__(self, roles: tuple[Role, ...], scope: str | None = None) -> None:
        self.roles = frozenset(roles)
        self.scope = scope

    def allows(self, principal: Principal) -> bool:
        if principal.is_admin:
            return True
        if principal.kind == "api_key":
            return self.scope is not None and self.scope in principal.scopes
        return principal.role in self.roles

    def check(self, principal: Principal) -> Principal:
        if not self.allows(principal):
            raise Forbidden(
                "Your role may not do this"
                if principal.kind == "user"
                else f"This API key lacks the scope {self.scope or '(admin only)'}"
            )
        return principal

    async def authorise(self, request: Request, session: AsyncSession) -> Principal:
        """The rule, for a route that reads its inputs itself (``routing.reads_itself``)."""
        return self.check(await authenticate(request, session))

    def dependency(self) -> Callable[[Principal], Awaitable[Principal]]:
        async def check(principal: CurrentPrincipal) -> Principal:
            return self.check(principal)

        check.rule = self  # type: ignore[attr-defined]
        return check

    def depends(self) -> Any:
        return Depends(self.dependency())


def allow(*roles: Role, scope: str | None = None) -> Any:
    """``principal: Annotated[Principal, allow(Role.OFFICER, scope="dossiers:write")]``."""
    return Rule(roles, scope).depends()


AdminOnly = Annotated[Principal, allow()]
AnyStaff = Annotated[Principal, allow(*STAFF)]
