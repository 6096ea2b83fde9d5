"""Login and logout for the staff pages."""

from __future__ import annotations

import time
from collections import defaultdict, deque
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlmodel import Session

from api.auth import COOKIE, SESSION_MAX_AGE, session_cookie
from api.deps import DbDep, SettingsDep
from bot.staff import authenticate

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).resolve().parent.parent / "templates")
FAILURES_ALLOWED = 10
FAILURE_WINDOW_SECONDS = 15 * 60
_failures: dict[str, deque[float]] = defaultdict(deque)


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
    """Check the password; after too many failures from one address, refuse for a while."""
    client = request.client.host if request.client else "?"
    if _too_many(client):
        return _again(request, next, "Zu viele Versuche. Bitte in 15 Minuten erneut.", 429)
    with Session(db) as session:
        user = authenticate(session, username, password)
    if user is None:
        _failures[client].append(time.monotonic())
        return _again(request, next, "Benutzername oder Passwort ist falsch.", 401)
    response = RedirectResponse(_safe(next), status_code=303)
    response.set_cookie(
        COOKIE,
        session_cookie(settings, user),
        max_age=SESSION_MAX_AGE,
        httponly=True,
        samesite="strict",
        secure=settings.public_base_url.startswith("https://"),
    )
    return response


@router.post("/logout")
def logout() -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response


def _again(request: Request, next: str, error: str, status: int) -> Response:
    context = {"next": _safe(next), "error": error}
    return templates.TemplateResponse(request, "login.html", context, status_code=status)


def _too_many(client: str) -> bool:
    window = _failures[client]
    while window and time.monotonic() - window[0] > FAILURE_WINDOW_SECONDS:
        window.popleft()
    return len(window) >= FAILURES_ALLOWED


def _safe(target: str) -> str:
    """Only same-site paths as redirect targets (no open redirect)."""
    return target if target.startswith("/") and not target.startswith("//") else "/staff"
