"""The to-do API: application factory, start-up and wiring."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.concurrency import run_in_threadpool

from core.auth_middleware import JWTAuthMiddleware
from core.body_limit import BodySizeLimitMiddleware
from core.config import Settings
from core.cursors import CursorCodec
from core.db import Database
from core.docs import install_docs
from core.errors import UnhandledErrorMiddleware, install_error_handlers
from core.log_format import logging_config
from core.openapi import install_openapi
from core.request_log import RequestLogMiddleware
from core.security import PasswordHasher, TokenService
from core.security_headers import SecurityHeadersMiddleware
from core.threads import HashingPool, size_route_threads
from routers import auth, health, tasks
from services.throttle import Limit, Throttle

logger = logging.getLogger("todo")

DESCRIPTION = """Per-user task management with JWT authentication.

Sign up or log in under **auth**, press **Authorize** and paste the `access_token`.
Every `/api/` route except `/api/auth/*` needs it, and `{user_id}` must be your own id."""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()  # refuses to build without a valid secret
    tokens = TokenService(settings.secret, settings.jwt_expire_minutes)
    hasher = PasswordHasher(settings.bcrypt_rounds)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.database = Database(settings.database_url)
        size_route_threads()
        app.state.hashing = HashingPool()
        await run_in_threadpool(hasher.warm_up)
        # What exists now (modules, routes, schemas) lives as long as the process: keep the
        # cyclic garbage collector from scanning it again on every collection.
        gc.freeze()
        logger.info("ready: %r", settings)
        yield
        app.state.database.dispose()

    # docs_url and redoc_url off: FastAPI's pages load their scripts from a CDN; core/docs.py serves them.
    app = FastAPI(
        title="To-do API",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.tokens = tokens
    app.state.hasher = hasher
    app.state.cursors = CursorCodec(settings.secret)
    app.state.throttle = Throttle(
        login=Limit(settings.login_max_failures, timedelta(seconds=settings.login_window_seconds)),
        signup=Limit(settings.signup_max_per_ip, timedelta(seconds=settings.signup_window_seconds)),
    )

    # Routes are tried one after another (each try costs some 17,000 instructions): the task
    # routes, which nearly every request is for, first. The document keeps reading order.
    app.include_router(tasks.router)
    app.include_router(auth.router)
    app.include_router(auth.account_router)
    app.include_router(health.router)
    install_error_handlers(app)
    install_openapi(app, tag_order=("auth", "tasks", "health"))
    install_docs(app)

    # Added innermost first. The request log is outermost, so that it times and logs every
    # answer; then CORS, so preflights never need a token and every answer (401, 413 and
    # 500 included) carries CORS and security headers; the token is checked before the
    # body size, so a caller without a token learns nothing else.
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(JWTAuthMiddleware, tokens=tokens)
    app.add_middleware(UnhandledErrorMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(settings.cors_origins),
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
        # A browser may send the conditional and idempotency headers, and read ETag and
        # Idempotent-Replayed, only when told so.
        allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "If-Match", "If-None-Match"],
        expose_headers=[
            "ETag",
            "Idempotent-Replayed",
            "Location",
            "Retry-After",
            "WWW-Authenticate",
            "X-Request-ID",
        ],
        max_age=600,
    )
    app.add_middleware(RequestLogMiddleware)
    return app


app = create_app()

if __name__ == "__main__":
    import sys

    import uvicorn

    if sys.argv[1:] not in ([], ["serve"]):
        sys.exit("usage: python main.py [serve]")
    serving = app.state.settings
    # `python main.py serve` (make serve): WORKERS processes, each importing this module and
    # building the same app from the same settings. `python main.py` (make run): this one.
    production = sys.argv[1:] == ["serve"]
    uvicorn.run(
        "main:app" if production else app,
        host=serving.host,
        port=serving.port,
        workers=serving.workers if production else 1,
        # In production behind a proxy, uvicorn takes the client address and scheme from
        # X-Forwarded-For and X-Forwarded-Proto, from FORWARDED_ALLOW_IPS peers only.
        proxy_headers=production,
        forwarded_allow_ips=[str(network) for network in serving.forwarded_allow_ips],
        log_config=logging_config(serving.log_format, serving.log_level),
        access_log=False,  # core/request_log.py logs each request, as JSON by default
    )
