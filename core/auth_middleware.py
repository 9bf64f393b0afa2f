"""Pure ASGI middleware: every `/api/` request but `/api/auth/*` needs a valid bearer token."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from core.security import InvalidTokenError, TokenService

CLAIMS_STATE_KEY = "token_claims"
PROTECTED_PREFIX = "/api/"
PUBLIC_PREFIX = "/api/auth/"

MISSING_TOKEN = "Not authenticated"
INVALID_TOKEN = "Invalid or expired token"


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header; the scheme is case-insensitive."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return token


def unauthorized(detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=401, headers={"WWW-Authenticate": "Bearer"})


def is_protected(path: str) -> bool:
    return path.startswith(PROTECTED_PREFIX) and not path.startswith(PUBLIC_PREFIX)


class JWTAuthMiddleware:
    """Rejects unauthenticated API requests before routing, so a caller without a valid
    token learns nothing else (not even whether a route exists). The verified claims go
    to `scope["state"]` for `get_current_user`, which then need not decode again."""

    def __init__(self, app: ASGIApp, tokens: TokenService) -> None:
        self.app = app
        self.tokens = tokens

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] == "OPTIONS" or not is_protected(scope["path"]):
            await self.app(scope, receive, send)
            return
        token = bearer_token(Headers(scope=scope).get("authorization"))
        if token is None:
            await unauthorized(MISSING_TOKEN)(scope, receive, send)
            return
        try:
            claims = self.tokens.decode(token)
        except InvalidTokenError:
            await unauthorized(INVALID_TOKEN)(scope, receive, send)
            return
        scope.setdefault("state", {})[CLAIMS_STATE_KEY] = claims
        await self.app(scope, receive, send)
