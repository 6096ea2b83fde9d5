"""The full text of a knowledge page on the web: what an answer's source links to.

Public like the chat (the pages are the city's public content); the page is rendered by
Jinja with autoescaping, so an editor's Markdown can carry no script into it.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from api.deps import EngineDep
from api.routes.qr import templates

router = APIRouter()


@router.get("/knowledge/{page_id}", response_class=HTMLResponse, responses={404: {}})
def knowledge_page(request: Request, page_id: str, engine: EngineDep) -> HTMLResponse:
    page = engine.knowledge.page(page_id) if engine.knowledge is not None else None
    if page is None:
        raise HTTPException(404, "no such page")
    return templates.TemplateResponse(request, "knowledge_page.html", {"page": page})
