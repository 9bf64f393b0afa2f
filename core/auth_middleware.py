"""Pure ASGI middleware: every `/api/` request but `/api/auth/*` needs a valid bearer token."""

from __future__ import annotations

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from core.authentication import AuthenticationFailed, Authenticator
from core.errors import DATABASE_UNAVAILABLE_ERRORS, database_unavailable_response

PROTECTED_PREFIX = "/api/"
PUBLIC_PREFIX = "/api/auth/"


def unauthorized(detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=401, headers={"WWW-Authenticate": "Bearer"})


def is_protected(path: str) -> bool:
    return path.startswith(PROTECTED_PREFIX) and not path.startswith(PUBLIC_PREFIX)


class JWTAuthMiddleware:
    """Rejects unauthenticated API requests before routing, so a caller without a valid
    token learns nothing else (not even whether a route exists). The user it finds stays
    in `scope["state"]` for the routes."""

    def __init__(self, app: ASGIApp, authenticate: Authenticator) -> None:
        self.app = app
        self.authenticate = authenticate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] == "OPTIONS" or not is_protected(scope["path"]):
            await self.app(scope, receive, send)
            return
        try:
            await self.authenticate(scope)
        except AuthenticationFailed as failure:
            await unauthorized(failure.detail)(scope, receive, send)
            return
        except DATABASE_UNAVAILABLE_ERRORS:
            await database_unavailable_response()(scope, receive, send)
            return
        await self.app(scope, receive, send)
