"""Staff authentication for pages and API: a server-side session cookie or a Bearer token.

Pages log in through `/login` and get an HttpOnly, SameSite=Strict cookie holding a
random session id (stored hashed, `bot.staff_credentials`), so logout, disabling the
login or a new password end it at once. Scripts send `Authorization: Bearer TOKEN`
(`stadtbot user token NAME`). HTTP Basic is not accepted: it would be a password
check outside the `/login` throttle.

CSRF: a state-changing call that rides on the cookie must carry the header
`X-CSRF-Token` (an HMAC of the session id under SECRET_KEY, put in the pages' `<meta
name="csrf-token">`), and a browser's `Origin` / `Sec-Fetch-Site` must say same origin.
A Bearer call carries no ambient credential and needs neither. `require_role` answers
401 without a login, 403 when the login lacks the role or the CSRF check fails, 429
while token guesses from the address are throttled.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, HTTPException, Request
from sqlmodel import Session

from bot.core.db import transaction
from bot.core.models import utcnow
from bot.core.settings import Settings
from bot.staff import StaffUser
from bot.staff_credentials import Refused, session_user, token_user

COOKIE = "stadtbot_staff"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Login:
    """Who is asking, and by which credential (a cookie needs the CSRF check)."""

    user: StaffUser
    cookie: str | None


def csrf_token(settings: Settings, cookie: str) -> str:
    """The CSRF token of one session: knowing it needs the cookie and SECRET_KEY."""
    key = settings.secret_key.encode()
    return hmac.new(key, b"csrf:" + cookie.encode(), hashlib.sha256).hexdigest()


def client_address(request: Request) -> str:
    """The client's address as the server sees it (forwarded only by trusted proxies)."""
    return request.client.host if request.client else "?"


def _login(request: Request) -> Login | None:
    """A Bearer header, when sent, is the credential (a wrong one is no login); else the cookie."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        return _bearer(request, token.strip())
    cookie = request.cookies.get(COOKIE)
    if not cookie:
        return None
    with Session(request.app.state.engine.db) as session:
        user = session_user(session, cookie, utcnow())
    if user is None:
        return None
    request.state.csrf_token = csrf_token(request.app.state.settings, cookie)
    return Login(user, cookie)


def _bearer(request: Request, token: str) -> Login | None:
    if not token:
        return None
    with transaction(request.app.state.engine.db) as session:
        found = token_user(session, token, client_address(request), utcnow())
    if isinstance(found, Refused):
        raise HTTPException(
            429, "Too many tries; please wait.", headers={"Retry-After": str(found.retry_after)}
        )
    return Login(found, None) if found is not None else None


def current_staff(request: Request) -> StaffUser | None:
    """The logged-in staff user of this request, or None."""
    login = _login(request)
    return login.user if login is not None else None


def same_origin(request: Request) -> bool:
    """Whether a browser says this request comes from one of our own pages.

    A request without `Origin` and `Sec-Fetch-Site` (curl, a script) passes this check;
    cookies then still need the CSRF token.
    """
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is None:
        return True
    ours = {request.headers.get("host", "")}
    public = request.app.state.settings.public_base_url
    if public:
        ours.add(urlsplit(public).netloc)
    return urlsplit(origin).netloc in ours


def check_csrf(request: Request, cookie: str, given: str | None) -> None:
    """403 unless a cookie-authenticated change comes from our page with its token."""
    expected = csrf_token(request.app.state.settings, cookie)
    if not same_origin(request) or not hmac.compare_digest(expected, given or ""):
        raise HTTPException(403, "CSRF check failed: reload the page and try again.")


def require_role(role: str):  # type: ignore[no-untyped-def]
    """A dependency that lets only logged-in users with `role` (or admin) through."""

    def dependency(request: Request) -> StaffUser:
        login = _login(request)
        if login is None:
            raise HTTPException(401, "Login required.", headers={"WWW-Authenticate": "Bearer"})
        if login.cookie is not None and request.method not in SAFE_METHODS:
            check_csrf(request, login.cookie, request.headers.get(CSRF_HEADER))
        if not login.user.has_role(role):
            raise HTTPException(403, f"This needs the role {role!r}.")
        return login.user

    return dependency


StaffDep = Annotated[StaffUser, Depends(require_role("staff"))]
CommunicationsDep = Annotated[StaffUser, Depends(require_role("communications"))]
