"""Request dependencies: the services the app built at start-up, and the current user."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from core.authentication import AuthenticationFailed, Authenticator
from core.security import PasswordHasher, TokenService
from models.user import User

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


TokensDep = Annotated[TokenService, Depends(get_tokens)]
HasherDep = Annotated[PasswordHasher, Depends(get_hasher)]


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
