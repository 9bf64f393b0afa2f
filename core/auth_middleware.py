"""Pure ASGI middleware: every `/api/` request but `/api/auth/*` needs a valid bearer token."""

from __future__ import annotations

from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.authentication import CALLER_STATE_KEY, INVALID_TOKEN, AuthenticationFailed, Caller, caller_of
from core.errors import DATABASE_UNAVAILABLE_ERRORS, database_unavailable_response
from core.security import TokenService
from services.errors import AccountGone

API_PREFIX = "/api/"
PUBLIC_PREFIX = "/api/auth/"

# Verifies a caller against the database, raising AccountGone; runs in a worker thread.
CallerCheck = Callable[[Scope, Caller], None]


def unauthorized(detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=401, headers={"WWW-Authenticate": "Bearer"})


def is_protected(path: str) -> bool:
    return path.startswith(API_PREFIX) and not path.startswith(PUBLIC_PREFIX)


def check_with_app_database(scope: Scope, caller: Caller) -> None:
    with scope["app"].state.database.read_session() as session:
        caller.verify(session)


class JWTAuthMiddleware:
    """Rejects API requests without a valid token before routing, so such a caller learns
    nothing else (not even whether a route exists), and leaves the decoded caller in
    `scope["state"]` for the routes.

    A valid signature is not the whole answer: the account may have been deleted. Routes
    verify that inside their own database work; when the app answers with an error before
    any route did (a 403 for a foreign path, a 400 for a malformed body, a 404 for no such
    route), this middleware verifies first, so a deleted account's token is a 401 there too."""

    def __init__(self, app: ASGIApp, tokens: TokenService, check: CallerCheck = check_with_app_database) -> None:
        self.app = app
        self.tokens = tokens
        self.check = check

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(API_PREFIX):
            await self.app(scope, receive, send)
            return
        if scope["method"] != "OPTIONS" and is_protected(scope["path"]):
            try:
                caller_of(scope, self.tokens)
            except AuthenticationFailed as failure:
                await unauthorized(failure.detail)(scope, receive, send)
                return
        await self.app(scope, receive, self._verifying_send(scope, receive, send))

    def _verifying_send(self, scope: Scope, receive: Receive, send: Send) -> Send:
        replaced = False

        async def verifying_send(message: Message) -> None:
            nonlocal replaced
            if replaced:
                return  # the rest of an answer we replaced
            if message["type"] == "http.response.start" and self._unverified_error(scope, message["status"]):
                answer = await self._verify(scope)
                if answer is not None:
                    replaced = True
                    await answer(scope, receive, send)
                    return
            await send(message)

        return verifying_send

    @staticmethod
    def _unverified_error(scope: Scope, status: int) -> bool:
        caller: Caller | None = scope.get("state", {}).get(CALLER_STATE_KEY)
        return caller is not None and not caller.verified and 400 <= status < 500 and status != 401

    async def _verify(self, scope: Scope) -> Response | None:
        try:
            await run_in_threadpool(self.check, scope, scope["state"][CALLER_STATE_KEY])
        except AccountGone:
            return unauthorized(INVALID_TOKEN)
        except DATABASE_UNAVAILABLE_ERRORS:
            return database_unavailable_response()
        return None
