"""Request dependencies: the services the app built at start-up, and the current user.
All `async`: they only look things up, and a sync dependency would cost a thread hop."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from core.authentication import AuthenticationFailed, Caller, caller_of
from core.client_address import client_address
from core.config import Settings
from core.cursors import CursorCodec
from core.security import PasswordHasher, TokenService
from core.threads import HashingPool
from services.sessions import SessionStart
from services.throttle import Throttle

# auto_error=False: we answer 401 ourselves (with WWW-Authenticate); this dependency is
# here so the OpenAPI document declares the bearer scheme and Swagger UI can Authorize.
bearer_scheme = HTTPBearer(auto_error=False, description="The `access_token` from signup or login")


def unauthorized(detail: str) -> HTTPException:
    return HTTPException(status_code=401, detail=detail, headers={"WWW-Authenticate": "Bearer"})


async def get_tokens(request: Request) -> TokenService:
    tokens: TokenService = request.app.state.tokens
    return tokens


async def get_hasher(request: Request) -> PasswordHasher:
    hasher: PasswordHasher = request.app.state.hasher
    return hasher


async def get_hashing(request: Request) -> HashingPool:
    hashing: HashingPool = request.app.state.hashing
    return hashing


async def get_throttle(request: Request) -> Throttle:
    throttle: Throttle = request.app.state.throttle
    return throttle


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_cursors(request: Request) -> CursorCodec:
    cursors: CursorCodec = request.app.state.cursors
    return cursors


async def get_client_address(request: Request) -> str:
    return client_address(request.scope, request.app.state.settings.trusted_proxies)


async def get_session_start(request: Request) -> SessionStart:
    """What a login made by this request records: the client's User-Agent, and how long
    its refresh tokens last."""
    return SessionStart(
        user_agent=request.headers.get("user-agent"),
        refresh_lifetime=timedelta(days=request.app.state.settings.refresh_expire_days),
    )


async def get_current_user(
    request: Request, _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]
) -> Caller:
    """The caller named by the bearer token (the middleware decoded it on `/api/` routes;
    `/api/auth/me` decodes it here). It is not yet proved that the account exists: see Caller."""
    try:
        return caller_of(request.scope, request.app.state.tokens)
    except AuthenticationFailed as failure:
        raise unauthorized(failure.detail) from None


TokensDep = Annotated[TokenService, Depends(get_tokens)]
HasherDep = Annotated[PasswordHasher, Depends(get_hasher)]
HashingDep = Annotated[HashingPool, Depends(get_hashing)]
ThrottleDep = Annotated[Throttle, Depends(get_throttle)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
CursorsDep = Annotated[CursorCodec, Depends(get_cursors)]
ClientAddressDep = Annotated[str, Depends(get_client_address)]
SessionStartDep = Annotated[SessionStart, Depends(get_session_start)]
CurrentUser = Annotated[Caller, Depends(get_current_user)]
