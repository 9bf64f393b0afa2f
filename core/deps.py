"""Request dependencies: the services the app built at start-up, and the current user."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from core.auth_middleware import CLAIMS_STATE_KEY, INVALID_TOKEN, MISSING_TOKEN
from core.db import SessionDep
from core.security import InvalidTokenError, PasswordHasher, TokenClaims, TokenService
from models.user import User
from services import accounts
from services.errors import AccountGone

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


def get_token_claims(
    request: Request,
    tokens: TokensDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> TokenClaims:
    claims: TokenClaims | None = request.scope.get("state", {}).get(CLAIMS_STATE_KEY)
    if claims is not None:  # the middleware already verified this request's token
        return claims
    if credentials is None:
        raise unauthorized(MISSING_TOKEN)
    try:
        return tokens.decode(credentials.credentials)
    except InvalidTokenError:
        raise unauthorized(INVALID_TOKEN) from None


def get_current_user(session: SessionDep, claims: Annotated[TokenClaims, Depends(get_token_claims)]) -> User:
    try:
        return accounts.get_user(session, claims.subject)
    except AccountGone:
        raise unauthorized(INVALID_TOKEN) from None


CurrentUser = Annotated[User, Depends(get_current_user)]
