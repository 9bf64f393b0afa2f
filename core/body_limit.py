"""Pure ASGI middleware: request bodies larger than the limit get a 413, chunked ones too."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.asgi import TrackedSend

TOO_LARGE = "Request body too large"


class BodyTooLarge(HTTPException):
    # An HTTPException, so FastAPI re-raises it from its body reading instead of
    # turning it into a 400, and the exception handlers answer with a JSON 413.
    def __init__(self) -> None:
        super().__init__(status_code=413, detail=TOO_LARGE)


class BodySizeLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await JSONResponse({"detail": TOO_LARGE}, status_code=413)(scope, receive, send)
            return

        received = 0
        tracked_send = TrackedSend(send)

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge
            return message

        try:
            await self.app(scope, limited_receive, tracked_send)
        except BodyTooLarge:
            if tracked_send.response_started:
                raise
            await JSONResponse({"detail": TOO_LARGE}, status_code=413)(scope, receive, send)
