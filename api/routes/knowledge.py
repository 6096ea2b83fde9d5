"""The knowledge pages on the web, and the editors' list of unanswered questions.

`/knowledge/{id}` is public like the chat (the pages are the city's public content), the
target of an answer's "full text". `/staff/knowledge` (staff login) lists the questions
the bot could not answer, grouped by similarity. Both are rendered by Jinja with
autoescaping: neither an editor's Markdown nor a citizen's text can carry markup in.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from api.auth import current_staff
from api.deps import EngineDep
from api.routes.qr import templates
from bot.core.fallbacks import list_fallbacks
from bot.knowledge.unanswered import Asked, group_questions

#: How many of the newest unanswered questions the editors' page groups.
UNANSWERED_LIMIT = 1000

router = APIRouter()


@router.get("/knowledge/{page_id}", response_class=HTMLResponse, responses={404: {}})
def knowledge_page(request: Request, page_id: str, engine: EngineDep) -> HTMLResponse:
    page = engine.knowledge.page(page_id) if engine.knowledge is not None else None
    if page is None:
        raise HTTPException(404, "no such page")
    return templates.TemplateResponse(request, "knowledge_page.html", {"page": page})


@router.get("/staff/knowledge", response_class=HTMLResponse, include_in_schema=False)
def unanswered_page(request: Request, engine: EngineDep) -> Response:
    """Unanswered questions (no source, not understood), grouped, the largest first."""
    user = current_staff(request)
    if user is None:
        return RedirectResponse("/login?next=/staff/knowledge", status_code=303)
    if not user.has_role("staff"):
        raise HTTPException(403, "This needs the role 'staff'.")
    with Session(engine.db) as session:
        rows = list_fallbacks(session, limit=UNANSWERED_LIMIT)
    asked = [
        Asked(row.text, row.language or engine.settings.default_language, row.created_at)
        for row in rows
        if row.text.strip()
    ]
    groups = group_questions(asked, engine.knowledge.index) if engine.knowledge and asked else []
    return templates.TemplateResponse(
        request, "knowledge_unanswered.html", {"user": user, "groups": groups, "total": len(asked)}
    )
