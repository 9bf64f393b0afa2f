"""Small helpers for the pure ASGI middlewares."""

from __future__ import annotations

from starlette.types import Message, Send


class TrackedSend:
    """Wraps `send` and remembers whether the response has started, which decides whether
    a middleware may still answer with an error of its own."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self.response_started = False

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.response_started = True
        await self._send(message)
