"""Request ids and the access log: every request gets an id, every response its line.

Pure ASGI middleware (no body buffering, WebSockets pass through with an id too). The id
comes from a proxy's `X-Request-ID` when it is a plain token, else a new one; it is
echoed in the response so a citizen's or a provider's complaint can be traced to the
log lines of that request. The line has no query string and no client address.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.types import Message, Receive, Scope, Send

from api.asgi import HttpMiddleware
from bot.core.logs import request_id
from bot.core.metrics import REQUEST_SECONDS

log = logging.getLogger("stadtbot.access")
_TOKEN = re.compile(rb"[A-Za-z0-9._-]{8,64}")


class RequestLog(HttpMiddleware):
    """Sets `bot.core.logs.request_id` for the request and logs one line at its end."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        given = dict(scope.get("headers") or []).get(b"x-request-id", b"")
        rid = given.decode() if _TOKEN.fullmatch(given) else uuid.uuid4().hex
        token = request_id.set(rid)
        started = time.perf_counter()
        status = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            # The route's template ("/api/staff/conversations/{id}"), never the raw path:
            # ids in paths would make a new time series per conversation.
            route = getattr(scope.get("route"), "path", "unmatched")
            REQUEST_SECONDS.labels(scope.get("method", "WS"), route, str(status)).observe(elapsed)
            log.info(
                "%s %s %s",
                scope.get("method", "WS"),
                scope.get("path", ""),
                status,
                extra={
                    "method": scope.get("method", "WS"),
                    "path": scope.get("path", ""),
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 1),
                },
            )
            request_id.reset(token)
