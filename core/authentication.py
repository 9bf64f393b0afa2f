"""Who is calling: the bearer token of a request, and the account it names."""

from __future__ import annotations

import uuid

from sqlmodel import Session
from starlette.datastructures import Headers
from starlette.types import Scope

from core.security import InvalidTokenError, TokenClaims, TokenService
from models.user import User
from services.sessions import live_user

CALLER_STATE_KEY = "caller"
MISSING_TOKEN = "Not authenticated"
INVALID_TOKEN = "Invalid or expired token"


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


class Caller:
    """Whoever a validly signed token names. The signature says who they were; whether the
    token is still live (its session not revoked, its account not deleted) is proved by the
    database. Task routes prove it within what they read anyway (see services/tasks.py); the
    account routes call `verify` or the session services; and when the app answers a 4xx
    before anything proved it, the middleware calls `verify` first (see JWTAuthMiddleware)."""

    def __init__(self, claims: TokenClaims) -> None:
        self.claims = claims
        self.user: User | None = None

    @property
    def user_id(self) -> uuid.UUID:
        return self.claims.subject

    @property
    def verified(self) -> bool:
        return self.user is not None

    def verify(self, session: Session) -> User:
        """The account, proving that the token is still live (raises AccountGone)."""
        if self.user is None:
            self.user = live_user(session, self.claims)
        return self.user


def caller_of(scope: Scope, tokens: TokenService) -> Caller:
    """The request's caller from its bearer token, decoded once per request."""
    state = scope.setdefault("state", {})
    caller: Caller | None = state.get(CALLER_STATE_KEY)
    if caller is None:
        token = bearer_token(Headers(scope=scope).get("authorization"))
        if token is None:
            raise AuthenticationFailed(MISSING_TOKEN)
        try:
            claims = tokens.decode(token)
        except InvalidTokenError:
            raise AuthenticationFailed(INVALID_TOKEN) from None
        caller = state[CALLER_STATE_KEY] = Caller(claims)
    return caller
