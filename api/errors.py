"""Error answers in the shape SPEC promises, `{"detail": str}`, never a traceback dump.

- `ErrorGuard` (pure ASGI) turns an exception no route handled into a fixed 500 text
  and one log line naming the exception's type and where it was raised. Starlette's own
  handler re-raises after answering, so uvicorn would log the whole traceback (17 KB
  for a 20-byte request); this middleware stops it there.
- `validation_error` answers FastAPI's 422 with one sentence naming the field and what
  is wrong, without echoing the input (which the default body does).
"""

from __future__ import annotations

import json
import logging
import traceback

from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.requests import Request
from starlette.types import Message, Receive, Scope, Send

from api.asgi import HttpMiddleware
from api.reject_log import log_rejected

log = logging.getLogger("stadtbot.errors")
INTERNAL_ERROR = "Internal error; it has been logged."


class ErrorBody(BaseModel):
    """Every error answer: one sentence (SPEC: errors are `{"detail": str}`)."""

    detail: str


class ErrorGuard(HttpMiddleware):
    """Catches what escaped the app: one log line, a fixed 500 if nothing was sent yet."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] in ("http.response.start", "websocket.accept")
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            frame = traceback.extract_tb(exc.__traceback__)[-1]
            log.error(
                "unhandled %s in %s %s at %s:%s",
                type(exc).__name__, scope.get("method", "WS"), scope.get("path", "")[:120],
                frame.filename, frame.lineno,
            )
            if scope["type"] == "http" and not started:
                await send_detail(send, 500, INTERNAL_ERROR)


async def send_detail(
    send: Send, status: int, detail: str, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    """Answer `{"detail": detail}` from pure ASGI code (the middlewares' refusals)."""
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), *(headers or [])],
        }
    )
    await send({"type": "http.response.body", "body": json.dumps({"detail": detail}).encode()})


def describe(exc: RequestValidationError) -> str:
    """The first error as one sentence: "body.text: String should have at most 4000 …"."""
    errors = exc.errors()
    if not errors:
        return "The request is not valid."
    first = errors[0]
    where = ".".join(str(part) for part in first.get("loc", ()))
    message = str(first.get("msg", "is not valid"))[:200]
    return f"{where}: {message}" if where else message


async def validation_error(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's 422, as `{"detail": str}`, and the refusal's log line."""
    detail = describe(exc) if isinstance(exc, RequestValidationError) else "Invalid request."
    log_rejected(request.scope, 422, detail)
    return JSONResponse({"detail": detail}, status_code=422)
