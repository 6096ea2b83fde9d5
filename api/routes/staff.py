"""Staff inbox: a page and a JSON API to read conversations and answer citizens."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field
from sqlmodel import Session

from api.auth import StaffDep, current_staff
from api.deps import DbDep
from bot.core.db import transaction
from bot.inbox import NotFound, list_conversations, release, staff_reply, transcript
from bot.transcript import message_view

router = APIRouter()
templates = Jinja2Templates(directory=Path(__file__).resolve().parent.parent / "templates")


class StaffReply(BaseModel):
    text: str = Field(min_length=1, max_length=4000)


class ConversationPublic(BaseModel):
    id: int
    channel: str
    name: str | None
    mode: str
    message_count: int


@router.get("/staff", response_class=HTMLResponse, include_in_schema=False)
def inbox_page(request: Request, db: DbDep, conversation: int | None = None) -> Response:
    """The inbox; without a login it sends the browser to the login page."""
    user = current_staff(request)
    if user is None:
        return RedirectResponse("/login?next=/staff", status_code=303)
    if not user.has_role("staff"):
        raise HTTPException(403, "This needs the role 'staff'.")
    with Session(db) as session:
        conversations = list_conversations(session)
        selected = None
        if conversation is not None:
            try:
                conv, contact, messages = transcript(session, conversation)
            except NotFound:
                raise HTTPException(404, "No such conversation.") from None
            selected = {"id": conv.id, "mode": conv.mode, "contact": contact, "messages": messages}
    return templates.TemplateResponse(
        request, "staff.html", {"user": user, "conversations": conversations, "selected": selected}
    )


@router.post("/staff/{conversation_id}/reply", include_in_schema=False)
def inbox_reply(
    conversation_id: int,
    user: StaffDep,
    db: DbDep,
    text: Annotated[str, Form(min_length=1, max_length=4000)],
) -> Response:
    _reply(db, conversation_id, text, user.username)
    return RedirectResponse(f"/staff?conversation={conversation_id}", status_code=303)


@router.post("/staff/{conversation_id}/release", include_in_schema=False)
def inbox_release(conversation_id: int, user: StaffDep, db: DbDep) -> Response:
    _release(db, conversation_id, user.username)
    return RedirectResponse(f"/staff?conversation={conversation_id}", status_code=303)


@router.get("/api/staff/conversations", response_model=list[ConversationPublic], tags=["staff"])
def api_conversations(
    user: StaffDep, db: DbDep, mode: str | None = None
) -> list[ConversationPublic]:
    with Session(db) as session:
        return [ConversationPublic(**s.__dict__) for s in list_conversations(session, mode)]


@router.get("/api/staff/conversations/{conversation_id}", tags=["staff"])
def api_transcript(conversation_id: int, user: StaffDep, db: DbDep) -> dict:
    with Session(db) as session:
        try:
            conv, contact, messages = transcript(session, conversation_id)
        except NotFound:
            raise HTTPException(404, "No such conversation.") from None
        return {
            "id": conv.id,
            "mode": conv.mode,
            "channel": contact.channel,
            "name": contact.name,
            "messages": [message_view(m) for m in messages],
        }


@router.post("/api/staff/conversations/{conversation_id}/reply", status_code=201, tags=["staff"])
def api_reply(conversation_id: int, body: StaffReply, user: StaffDep, db: DbDep) -> dict:
    return _reply(db, conversation_id, body.text, user.username)


@router.post("/api/staff/conversations/{conversation_id}/release", status_code=204, tags=["staff"])
def api_release(conversation_id: int, user: StaffDep, db: DbDep) -> Response:
    _release(db, conversation_id, user.username)
    return Response(status_code=204)


def _reply(db, conversation_id: int, text: str, author: str) -> dict:  # type: ignore[no-untyped-def]
    try:
        with transaction(db) as session:
            return message_view(staff_reply(session, conversation_id, text.strip(), author))
    except NotFound:
        raise HTTPException(404, "No such conversation.") from None


def _release(db, conversation_id: int, actor: str) -> None:  # type: ignore[no-untyped-def]
    try:
        with transaction(db) as session:
            release(session, conversation_id, actor)
    except NotFound:
        raise HTTPException(404, "No such conversation.") from None
