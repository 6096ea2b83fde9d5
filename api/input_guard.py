"""Input no route should ever see, refused at the door with a fixed 4xx text.

Python, JSON and the databases disagree about what a string or a number is: JSON may
carry a lone UTF-16 surrogate (`"\\ud800"`) that no UTF-8 encoder accepts; `NaN`,
`Infinity` and `1e999` parse to floats no JSON response can carry back; integers past
2^63 fit no BIGINT column; PostgreSQL refuses NUL in text; deeply nested JSON exhausts
the parser's recursion. Each of these used to reach a route and end in a 500 with a
traceback. This pure ASGI middleware checks the path, the query string and JSON or
form bodies before routing and answers 422 `{"detail": …}` with a fixed text, logging
one (rate-limited) line per refusal.

Webhooks are the exception: a provider retries any non-2xx, so for `POST /webhooks/…`
the guard only notes the reason in `scope["state"]["bad_input"]`; the route checks the
signature first and then acknowledges and drops a well-signed bad update.
"""

from __future__ import annotations

import json
import math
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import Message, Receive, Scope, Send

from api.asgi import HttpMiddleware
from api.errors import send_detail
from api.reject_log import log_rejected
from bot.core.db import MAX_DB_INT

MAX_JSON_DEPTH = 32
BAD_TEXT = "Text must be UTF-8 without NUL characters or unpaired surrogates."
BAD_NUMBER = "Numbers must be finite and integers must fit in 64 bits."
TOO_DEEP = f"JSON may be nested at most {MAX_JSON_DEPTH} levels deep."
BAD_QUERY = "The query string must be UTF-8 without NUL characters."
BAD_PATH = "The path must not contain NUL characters."
WEBHOOK_PREFIX = "/webhooks/"
CHECKED_JSON = "checked_json"  # scope["state"] key: the body as parsed and checked here


class BadInput(ValueError):
    """Raised by the checks below; its text is one of the fixed texts above."""


def _refuse_constant(name: str) -> Any:
    raise BadInput(BAD_NUMBER)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BadInput(BAD_NUMBER)
    return value


def _bounded_int(text: str) -> int:
    if len(text) > 20 or not -MAX_DB_INT - 1 <= (value := int(text)) <= MAX_DB_INT:
        raise BadInput(BAD_NUMBER)
    return value


def check_text(text: str) -> None:
    """Refuse NUL and anything that is not encodable as UTF-8 (lone surrogates)."""
    if "\x00" in text:
        raise BadInput(BAD_TEXT)
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise BadInput(BAD_TEXT) from None


def check_value(value: Any) -> None:
    """Walk parsed JSON (iteratively: depth is what is being checked)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            check_text(item)
        elif isinstance(item, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise BadInput(TOO_DEEP)
            if isinstance(item, dict):
                for key, child in item.items():
                    check_text(key)
                    stack.append((child, depth + 1))
            else:
                stack.extend((child, depth + 1) for child in item)


def check_json(body: bytes) -> Any:
    """Refuse a body that is JSON but holds values no route can handle; else its value.

    A body that is not JSON at all passes (as None): the route answers that in its own
    words.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadInput(BAD_TEXT) from None
    try:
        value = json.loads(
            text,
            parse_constant=_refuse_constant,
            parse_float=_finite_float,
            parse_int=_bounded_int,
        )
    except RecursionError:
        raise BadInput(TOO_DEEP) from None
    except BadInput:
        raise
    except ValueError:
        return None
    check_value(value)
    return value


def check_form(body: bytes) -> None:
    """An urlencoded form: every name and value UTF-8 and NUL-free."""
    _check_pairs(body.decode("latin-1"), BAD_TEXT)


def _check_pairs(encoded: str, reason: str) -> None:
    try:
        pairs = parse_qsl(encoded, keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise BadInput(reason) from None
    for name, value in pairs:
        if "\x00" in name or "\x00" in value:
            raise BadInput(reason)


def check_target(scope: Scope) -> None:
    """Path and query string of any HTTP request or WebSocket."""
    if "\x00" in scope.get("path", ""):
        raise BadInput(BAD_PATH)
    query = scope.get("query_string") or b""
    if query:
        _check_pairs(query.decode("latin-1"), BAD_QUERY)


def _body_check(headers: list[tuple[bytes, bytes]]) -> Any:
    """Which check a body gets by its content type (multipart and others: none).

    By the *first* Content-Type header, the one Starlette and FastAPI read the body by:
    a request with a second, harmless one must not slip its JSON past the checks."""
    first = next((value for name, value in headers if name == b"content-type"), b"")
    kind = first.split(b";")[0].strip().lower()
    if kind == b"application/x-www-form-urlencoded":
        return check_form
    if not kind or kind == b"application/json" or kind.endswith(b"+json"):
        return check_json
    return None


class InputGuard(HttpMiddleware):
    """Pure ASGI middleware: checks target and body, then replays the body to the app."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            check_target(scope)
        except BadInput as exc:
            await _refuse(scope, send, str(exc))
            return
        check = _body_check(list(scope.get("headers") or [])) if scope["type"] == "http" else None
        if check is None:
            await self.app(scope, receive, send)
            return
        body, replay = await _buffered(receive)
        try:
            value = check(body)
        except BadInput as exc:
            if not scope["path"].startswith(WEBHOOK_PREFIX):
                await _refuse(scope, send, str(exc))
                return
            scope.setdefault("state", {})["bad_input"] = str(exc)
        else:
            if value is not None:
                scope.setdefault("state", {})[CHECKED_JSON] = value
        await self.app(scope, replay, send)


def checked_json(scope: Scope) -> Any:
    """The body as this guard parsed and checked it, if the request's (first)
    content type is `application/json`, the rule by which FastAPI reads a body as JSON;
    else None (api/json_route.py then leaves the body to FastAPI)."""
    value = scope.get("state", {}).get(CHECKED_JSON)
    if value is None:
        return None
    for name, content_type in scope.get("headers") or ():
        if name == b"content-type":
            kind = content_type.split(b";")[0].strip().lower()
            return value if kind == b"application/json" else None
    return None


async def _buffered(receive: Receive) -> tuple[bytes, Receive]:
    """Read the whole body (BodySizeLimit, outside, bounds it) and a receive replaying it."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return body, replay


async def _refuse(scope: Scope, send: Send, reason: str) -> None:
    log_rejected(scope, 422, reason)
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008, "reason": "bad request"})
        return
    await send_detail(send, 422, reason)
