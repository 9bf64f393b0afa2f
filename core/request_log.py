"""Pure ASGI middleware: one log line per HTTP request, and an `X-Request-ID` on every answer."""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.authentication import CALLER_STATE_KEY
from core.log_format import FIELDS

REQUEST_ID_HEADER = b"x-request-id"
# A caller's own id is kept (a proxy's or the SPA's, to follow one request through both
# logs) when it is short and plain; anything else could forge or break a log line.
_ACCEPTABLE_REQUEST_ID = re.compile(rb"[A-Za-z0-9._:-]{1,128}")


def request_id_of(scope: Scope) -> str:
    value: bytes
    for name, value in scope["headers"]:
        if name == REQUEST_ID_HEADER:
            if _ACCEPTABLE_REQUEST_ID.fullmatch(value):
                return value.decode()
            break
    return uuid.uuid4().hex


class RequestLogMiddleware:
    """Outermost, so that it times and logs every answer, preflights and 401s included.
    The line holds no header, query string or body: nothing that can carry a token or a
    password."""

    def __init__(self, app: ASGIApp, logger: logging.Logger | None = None) -> None:
        self.app = app
        self.logger = logger or logging.getLogger("todo.request")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = request_id_of(scope)
        header = (REQUEST_ID_HEADER, request_id.encode())
        status = 500  # what the server answers when the app fails before starting a response

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self._log(scope, request_id, status, time.perf_counter() - started)

    def _log(self, scope: Scope, request_id: str, status: int, seconds: float) -> None:
        level = logging.ERROR if status >= 500 else logging.INFO
        if not self.logger.isEnabledFor(level):
            return
        caller = scope.get("state", {}).get(CALLER_STATE_KEY)
        # The path as the client sent it (still percent-encoded): no decoded control characters.
        raw_path = scope.get("raw_path")
        path = raw_path.decode("latin-1") if raw_path else scope["path"]
        fields = {
            "request_id": request_id,
            "method": scope["method"],
            "path": path,
            "status": status,
            "duration_ms": round(seconds * 1000, 2),
            "user_id": str(caller.user_id) if caller is not None else None,
        }
        self.logger.log(level, "%s %s %d", scope["method"], path, status, extra={FIELDS: fields})
