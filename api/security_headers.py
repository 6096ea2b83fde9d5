"""Browser hardening headers on every response.

- `Content-Security-Policy`: scripts only from our own files (no inline scripts or
  handlers anywhere: the templates load `api/static/*.js`), no plugins, no `<base>`,
  forms post only to us. Styles may be inline (posters and ticket pages carry theirs);
  images may come from https (a staff reply may show an image by URL).
- Framing: no page may be framed (`frame-ancestors 'none'`, `X-Frame-Options: DENY`)
  except the web chat `/chat`, which this site and the origins in
  `CHAT_ALLOWED_ORIGINS` may embed.
- `X-Content-Type-Options: nosniff` and `Referrer-Policy: same-origin` (ticket and
  merchant links carry tokens; no other site learns them from a Referer).
- `Cache-Control: no-store` on staff pages and APIs, login, the chat API and the
  merchant page: what a clerk or a citizen saw stays out of shared and browser caches.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.core.settings import Settings

_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob: https:; connect-src 'self'; font-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors {ancestors}"
)
PRIVATE_PREFIXES = (
    "/staff", "/api/staff", "/login", "/logout", "/broadcasts", "/api/broadcasts",
    "/api/topics", "/api/chat", "/m/", "/media/",
)
CHAT_PAGE = "/chat"


def _encoded(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [(name.encode(), value.encode()) for name, value in headers.items()]


class SecurityHeaders:
    """Pure ASGI middleware adding the headers above to every HTTP response."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        common = {"x-content-type-options": "nosniff", "referrer-policy": "same-origin"}
        embedders = " ".join(["'self'", *settings.chat_allowed_origins.split()])
        page = {**common, "content-security-policy": _POLICY.format(ancestors="'none'")}
        self.page = _encoded({**page, "x-frame-options": "DENY"})
        chat = {**common, "content-security-policy": _POLICY.format(ancestors=embedders)}
        if not settings.chat_allowed_origins.split():
            chat["x-frame-options"] = "SAMEORIGIN"  # for browsers without frame-ancestors
        self.chat = _encoded(chat)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        added = self.chat if path == CHAT_PAGE else self.page
        private = path.startswith(PRIVATE_PREFIXES)

        def keep(name: bytes) -> bool:
            name = name.lower()
            return not private if name == b"cache-control" else name not in _OURS

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if keep(k)]
                headers.extend(added)
                if private:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


_OURS = frozenset(
    {b"x-content-type-options", b"referrer-policy", b"content-security-policy", b"x-frame-options"}
)
