"""Login and logout for the staff pages.

A login starts a new server-side session (a fresh random id each time, so a session id
planted before the login is worth nothing) and ends the one the browser had; guesses
are counted in the database per address, per name and city-wide
(`bot.staff_credentials.log_in`). Both forms refuse a post from another origin.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from api.auth import COOKIE, check_csrf, client_address, same_origin
from api.deps import DbDep, SettingsDep
from bot.core.db import transaction
from bot.core.models import utcnow
from bot.staff_credentials import SESSION_LIFETIME, Refused, end_session, log_in, start_session

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).resolve().parent.parent / "templates")


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/staff") -> Response:
    return templates.TemplateResponse(request, "login.html", {"next": _safe(next), "error": None})


@router.post("/login")
def login(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    username: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form(max_length=200)] = "/staff",
) -> Response:
    """Check the password; after too many failures, refuse for a while (even the right one)."""
    if not same_origin(request):
        return _again(request, next, "Anmeldung nur über diese Seite.", 403)
    now = utcnow()
    with transaction(db) as session:
        found = log_in(session, username, password, client_address(request), now)
        if isinstance(found, Refused) or found is None:
            cookie = None
        else:
            old = request.cookies.get(COOKIE)
            if old:
                end_session(session, old)
            cookie = start_session(session, found, now)
    if isinstance(found, Refused):
        response = _again(request, next, "Zu viele Versuche. Bitte in 15 Minuten erneut.", 429)
        response.headers["Retry-After"] = str(found.retry_after)
        return response
    if cookie is None:
        return _again(request, next, "Benutzername oder Passwort ist falsch.", 401)
    response = RedirectResponse(_safe(next), status_code=303)
    response.set_cookie(
        COOKIE,
        cookie,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=settings.public_base_url.startswith("https://"),
    )
    return response


@router.post("/logout")
def logout(
    request: Request, db: DbDep, csrf_token: Annotated[str, Form(max_length=100)] = ""
) -> Response:
    """End the session on the server (the cookie is worthless afterwards) and drop it."""
    cookie = request.cookies.get(COOKIE)
    if cookie:
        check_csrf(request, cookie, csrf_token)
        with transaction(db) as session:
            end_session(session, cookie)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response


def _again(request: Request, next: str, error: str, status: int) -> Response:
    context = {"next": _safe(next), "error": error}
    return templates.TemplateResponse(request, "login.html", context, status_code=status)


def _safe(target: str) -> str:
    """Only same-site paths as redirect targets (no open redirect)."""
    plain = target.startswith("/") and not target.startswith("//") and "\\" not in target
    return target if plain else "/staff"
