"""The staff pages: the inbox and the admin page. Both are shells; their scripts
(`static/staff.js`, `static/admin.js`) fill them from `/api/staff/…`, so the page does
exactly what the API allows and every citizen text reaches the DOM as text, never HTML.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from api.auth import current_staff

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).resolve().parent.parent / "templates")


def _page(request: Request, template: str, role: str, path: str) -> Response:
    user = current_staff(request)
    if user is None:
        return RedirectResponse(f"/login?next={path}", status_code=303)
    if not user.has_role(role):
        raise HTTPException(403, f"This needs the role {role!r}.")
    return templates.TemplateResponse(request, template, {"user": user})


@router.get("/staff", response_class=HTMLResponse)
def inbox_page(request: Request) -> Response:
    """The live inbox; without a login the browser goes to the login page."""
    return _page(request, "staff.html", "staff", "/staff")


@router.get("/staff/admin", response_class=HTMLResponse)
def admin_page(request: Request) -> Response:
    """Users, their teams, and the ratings per team (role admin)."""
    return _page(request, "staff_admin.html", "admin", "/staff/admin")
