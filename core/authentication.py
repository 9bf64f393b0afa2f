"""Who is calling: the bearer token of a request turned into the `User` it names."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.types import Scope

from core.security import InvalidTokenError, TokenService
from models.user import User

CURRENT_USER_STATE_KEY = "current_user"
MISSING_TOKEN = "Not authenticated"
INVALID_TOKEN = "Invalid or expired token"

UserLoader = Callable[[Scope, uuid.UUID], User | None]


class AuthenticationFailed(Exception):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header; the scheme is case-insensitive."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return token


def load_user(scope: Scope, user_id: uuid.UUID) -> User | None:
    # A short session of its own: this runs before any route dependency exists.
    with Session(scope["app"].state.engine, expire_on_commit=False) as session:
        return session.get(User, user_id)


class Authenticator:
    """A valid signature is not enough: the user the token names must still exist.
    The answer is kept in `scope["state"]`, so the middleware, the path-owner check and
    `get_current_user` can all ask and only the first one pays for it."""

    def __init__(self, tokens: TokenService, load: UserLoader = load_user) -> None:
        self.tokens = tokens
        self.load = load

    async def __call__(self, scope: Scope) -> User:
        state = scope.setdefault("state", {})
        known: User | None = state.get(CURRENT_USER_STATE_KEY)
        if known is not None:
            return known
        token = bearer_token(Headers(scope=scope).get("authorization"))
        if token is None:
            raise AuthenticationFailed(MISSING_TOKEN)
        try:
            claims = self.tokens.decode(token)
        except InvalidTokenError:
            raise AuthenticationFailed(INVALID_TOKEN) from None
        user = await run_in_threadpool(self.load, scope, claims.subject)
        if user is None:
            raise AuthenticationFailed(INVALID_TOKEN)
        state[CURRENT_USER_STATE_KEY] = user
        return user
