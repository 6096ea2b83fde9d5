"""Staff authentication for pages and API: a signed session cookie or HTTP Basic.

Pages log in through `/login` and get an HttpOnly, SameSite=Strict cookie signed with
SECRET_KEY (so no cross-site request carries it); scripts and the API may send HTTP
Basic credentials instead. `require_role` answers 401 without a login and 403 when
the login lacks the role.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlmodel import Session

from bot.core.settings import Settings
from bot.staff import StaffUser, authenticate, find_user

COOKIE = "stadtbot_staff"
SESSION_MAX_AGE = 12 * 3600


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt="staff-session")


def session_cookie(settings: Settings, user: StaffUser) -> str:
    """The cookie value that proves `user` logged in."""
    return _serializer(settings).dumps({"u": user.username})


def current_staff(request: Request) -> StaffUser | None:
    """The logged-in staff user of this request, or None."""
    settings: Settings = request.app.state.settings
    with Session(request.app.state.engine.db) as session:
        cookie = request.cookies.get(COOKIE)
        if cookie:
            try:
                data = _serializer(settings).loads(cookie, max_age=SESSION_MAX_AGE)
            except BadSignature:
                data = None
            user = find_user(session, data["u"]) if isinstance(data, dict) else None
            if user is not None and user.active:
                return user
        basic = _basic_credentials(request.headers.get("authorization", ""))
        if basic:
            return authenticate(session, *basic)
    return None


def _basic_credentials(header: str) -> tuple[str, str] | None:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        username, sep, password = base64.b64decode(encoded).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (username, password) if sep else None


def require_role(role: str):  # type: ignore[no-untyped-def]
    """A dependency that lets only logged-in users with `role` (or admin) through."""

    def dependency(request: Request) -> StaffUser:
        user = current_staff(request)
        if user is None:
            raise HTTPException(401, "Login required.", headers={"WWW-Authenticate": "Basic"})
        if not user.has_role(role):
            raise HTTPException(403, f"This needs the role {role!r}.")
        return user

    return dependency


StaffDep = Annotated[StaffUser, Depends(require_role("staff"))]
CommunicationsDep = Annotated[StaffUser, Depends(require_role("communications"))]
