"""Request dependencies: the services the app built at start-up, and the current user."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from core.authentication import AuthenticationFailed, Authenticator
from core.client_address import client_address
from core.security import PasswordHasher, TokenService
from models.user import User
from services.throttle import Throttle

# auto_error=False: we answer 401 ourselves (with WWW-Authenticate); this dependency is
# here so the OpenAPI document declares the bearer scheme and Swagger UI can Authorize.
bearer_scheme = HTTPBearer(auto_error=False, description="The `access_token` from signup or login")


def unauthorized(detail: str) -> HTTPException:
    return HTTPException(status_code=401, detail=detail, headers={"WWW-Authenticate": "Bearer"})


def get_tokens(request: Request) -> TokenService:
    tokens: TokenService = request.app.state.tokens
    return tokens


def get_hasher(request: Request) -> PasswordHasher:
    hasher: PasswordHasher = request.app.state.hasher
    return hasher


def get_throttle(request: Request) -> Throttle:
    throttle: Throttle = request.app.state.throttle
    return throttle


def get_client_address(request: Request) -> str:
    return client_address(request.scope, request.app.state.settings.trusted_proxies)


TokensDep = Annotated[TokenService, Depends(get_tokens)]
HasherDep = Annotated[PasswordHasher, Depends(get_hasher)]
ThrottleDep = Annotated[Throttle, Depends(get_throttle)]
ClientAddressDep = Annotated[str, Depends(get_client_address)]


async def authenticate(request: Request) -> User:
    authenticator: Authenticator = request.app.state.authenticator
    try:
        return await authenticator(request.scope)
    except AuthenticationFailed as failure:
        raise unauthorized(failure.detail) from None


async def get_current_user(
    request: Request, _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]
) -> User:
    """The caller; on `/api/` routes the middleware already found it, elsewhere (`/me`) we look."""
    return await authenticate(request)


CurrentUser = Annotated[User, Depends(get_current_user)]
