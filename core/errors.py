"""Every failure becomes a JSON answer with a `detail`, and nothing internal leaks."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

from core.asgi import TrackedSend
from core.conditional import version_tag
from models.task import TaskConflict, TaskPublic
from services.errors import (
    AccountGone,
    AlreadyTaken,
    DomainError,
    IdempotencyKeyInFlight,
    IdempotencyKeyReused,
    InvalidCredentials,
    InvalidCursor,
    InvalidRefreshToken,
    NoSession,
    NotTaskOwner,
    SessionNotFound,
    SyncTokenExpired,
    TaskContended,
    TaskNotFound,
    TooManyAttempts,
    VersionMismatch,
    WrongPassword,
)

logger = logging.getLogger("todo.errors")

DATABASE_RETRY_AFTER_SECONDS = 5
DATABASE_UNAVAILABLE = "Database unavailable, try again shortly"
INTERNAL_ERROR = "Internal server error"
HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
# What a lost, refused or exhausted connection raises: the database, not the request, failed.
DATABASE_UNAVAILABLE_ERRORS = (OperationalError, InterfaceError, PoolTimeoutError)

DOMAIN_STATUS: dict[type[DomainError], int] = {
    AlreadyTaken: 409,
    IdempotencyKeyInFlight: 409,
    IdempotencyKeyReused: 422,  # the one 422 of the API, as the Idempotency-Key draft says
    InvalidCredentials: 401,
    AccountGone: 401,
    InvalidRefreshToken: 401,
    WrongPassword: 400,
    InvalidCursor: 400,
    SyncTokenExpired: 410,
    NoSession: 400,
    SessionNotFound: 404,
    TaskNotFound: 404,
    TaskContended: 503,
    NotTaskOwner: 403,
    TooManyAttempts: 429,
}


async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
    # 400 rather than FastAPI's 422 (the contract), and only loc/msg/type: the rejected
    # input is not echoed, since it may be a password.
    issues = [
        {"loc": list(error.get("loc", ())), "msg": str(error.get("msg", "")), "type": str(error.get("type", ""))}
        for error in exc.errors()
    ]
    return JSONResponse({"detail": issues}, status_code=400)


async def domain_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    status = next(code for kind, code in DOMAIN_STATUS.items() if isinstance(exc, kind))
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
    if isinstance(exc, TooManyAttempts | TaskContended):
        headers["Retry-After"] = str(exc.retry_after)
    return JSONResponse({"detail": exc.message}, status_code=status, headers=headers)


async def version_mismatch(_request: Request, exc: Exception) -> Response:
    # 412 with the task as it is now and its ETag: the client merges and tries again.
    assert isinstance(exc, VersionMismatch)
    task = TaskPublic.model_validate(exc.current)
    body = TaskConflict(**task.model_dump(), detail=exc.message)
    return Response(
        body.model_dump_json(),
        status_code=412,
        headers={"ETag": version_tag(body.version)},
        media_type="application/json",
    )


def database_unavailable_response() -> JSONResponse:
    return JSONResponse(
        {"detail": DATABASE_UNAVAILABLE},
        status_code=503,
        headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
    )


async def database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    logger.warning("database unavailable on %s %s: %s", request.method, request.url.path, type(exc).__name__)
    return database_unavailable_response()


async def method_not_allowed(request: Request, _exc: Exception) -> JSONResponse:
    # Starlette's `Allow` lists only the first route whose path matched (`POST` for the task
    # collection, which also serves GET); list every method some route takes at this path.
    allowed = [
        method
        for method in HTTP_METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL for route in request.app.router.routes
        )
    ]
    return JSONResponse({"detail": "Method Not Allowed"}, status_code=405, headers={"Allow": ", ".join(allowed)})


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(DomainError, domain_error)
    app.add_exception_handler(VersionMismatch, version_mismatch)
    app.add_exception_handler(405, method_not_allowed)
    for kind in DATABASE_UNAVAILABLE_ERRORS:
        app.add_exception_handler(kind, database_unavailable)


class UnhandledErrorMiddleware:
    """The last line: a generic 500 that is logged. It sits inside the CORS middleware,
    so even this answer carries CORS headers and a browser can read it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        tracked_send = TrackedSend(send)
        try:
            await self.app(scope, receive, tracked_send)
        except Exception:
            logger.exception("unhandled error on %s %s", scope["method"], scope["path"])
            if tracked_send.response_started:
                raise
            await JSONResponse({"detail": INTERNAL_ERROR}, status_code=500)(scope, receive, send)
