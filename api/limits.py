"""Refuse oversized request bodies before anything reads them (413, not a crash).

Every route gets `max_bytes` (MAX_REQUEST_BYTES); the anonymous chat and NLU routes,
whose bodies are a few hundred bytes, get `SMALL_BODY_BYTES`.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import send_detail

MAX_BODY_BYTES = 1024 * 1024
SMALL_BODY_BYTES = 64 * 1024
SMALL_BODY_PREFIXES = ("/api/chat", "/api/nlu/")


class BodySizeLimit:
    """Pure ASGI middleware: counts body bytes and answers 413 past `max_bytes`."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes
        if scope["path"].startswith(SMALL_BODY_PREFIXES):
            limit = min(limit, SMALL_BODY_BYTES)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(send, limit)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await self._refuse(send, limit)

    async def _refuse(self, send: Send, limit: int) -> None:
        await send_detail(send, 413, f"request body larger than {limit} bytes")


class _TooLarge(Exception):
    """Raised inside the app's receive when the body passes the limit."""
