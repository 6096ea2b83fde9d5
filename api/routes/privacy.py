"""A citizen's data download (one link, once, for an hour), the staff's erasure review,
and export and erasure of a conversation's contact from the staff inbox."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel
from sqlalchemy import update
from sqlmodel import Session, select

from actions.privacy import DataExport, ErasureRequest, token_hash
from api.auth import StaffDep
from api.deps import DbDep, EngineDep, Id, SettingsDep
from api.routes.staff import refusal
from bot.core.db import transaction
from bot.core.i18n import t
from bot.core.models import utcnow
from bot.inbox import InboxError, access_for
from bot.privacy import export_contact
from bot.retention import retention_text
from bot.staff_privacy import staff_erase, staff_export

router = APIRouter(tags=["privacy"])
templates = Jinja2Templates(directory=Path(__file__).resolve().parent.parent / "templates")
NOTICE_PARTS = ("stored", "why", "how_long", "who", "rights")
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")
GONE = "This link has expired or was already used. Ask the bot for a new one."


@router.get("/privacy", response_class=HTMLResponse, include_in_schema=False)
def privacy_page(
    request: Request, settings: SettingsDep, lang: Literal["de", "en", "nl"] = "de"
) -> HTMLResponse:
    """The notice the first message links to: what is stored, why, how long, who sees it."""
    parts = [
        retention_text(f"privacy.page.{part}", lang, settings)
        if part == "how_long"
        else t(f"privacy.page.{part}", lang)
        for part in NOTICE_PARTS
    ]
    context = {"title": t("privacy.page.title", lang), "parts": parts, "lang": lang}
    return templates.TemplateResponse(request, "privacy.html", context)


@router.get(
    "/privacy/export/{token}",
    responses={200: {"content": {"application/json": {}}}, 404: {"description": GONE}},
)
def download_export(token: str, db: DbDep) -> Response:
    """Everything stored about the citizen, as JSON; the link works once, for an hour."""
    if not _TOKEN.fullmatch(token):
        raise HTTPException(404, GONE)
    now = utcnow()
    with transaction(db) as session:
        row = session.exec(
            select(DataExport).where(DataExport.token_hash == token_hash(token))
        ).first()
        expires = row.expires_at if row else None
        if expires is not None and expires.tzinfo is None:
            expires = expires.replace(tzinfo=now.tzinfo)
        if row is None or expires is None or expires <= now:
            raise HTTPException(404, GONE)
        # One download: whoever sets downloaded_at first wins, also under a race.
        claimed = session.exec(  # type: ignore[call-overload]
            update(DataExport)
            .where(DataExport.id == row.id, DataExport.downloaded_at.is_(None))  # type: ignore[arg-type,union-attr]
            .values(downloaded_at=now)
        )
        if claimed.rowcount != 1:
            raise HTTPException(404, GONE)
        data = export_contact(session, row.contact_id)
    return export_response(data, now, "stadtbot-meine-daten.json")


def export_response(data: dict[str, Any], now: datetime, filename: str) -> Response:
    """The export as a JSON download that no cache keeps."""
    body = json.dumps(
        {"exported_at": now.isoformat(), "data": data}, ensure_ascii=False, indent=2
    )
    return Response(
        body,
        media_type="application/json; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


class ErasurePublic(BaseModel):
    id: int
    status: str
    created_at: str


@router.get("/api/staff/privacy/erasures", response_model=list[ErasurePublic])
def erasures_to_review(_user: StaffDep, db: DbDep) -> list[ErasurePublic]:
    """Erasure requests waiting for a person's approval (`PRIVACY_ERASURE_REVIEW`)."""
    with Session(db) as session:
        rows = session.exec(
            select(ErasureRequest).where(ErasureRequest.status == "review")
            .order_by(ErasureRequest.id)  # type: ignore[arg-type]
        ).all()
    return [ErasurePublic(id=r.id, status=r.status, created_at=r.created_at.isoformat())
            for r in rows if r.id is not None]


@router.post(
    "/api/staff/privacy/erasures/{request_id}/approve",
    response_model=ErasurePublic,
    responses={404: {"description": "No such request waiting for review."}},
)
def approve_erasure(request_id: Id, user: StaffDep, db: DbDep) -> ErasurePublic:
    """Approve the erasure; the worker carries it out within a minute."""
    with transaction(db) as session:
        row = session.get(ErasureRequest, request_id)
        if row is None or row.status != "review":
            raise HTTPException(404, "No such request waiting for review.")
        row.status, row.approved_by = "pending", user.username
        return ErasurePublic(id=request_id, status=row.status,
                             created_at=row.created_at.isoformat())


# --- from the staff inbox ----------------------------------------------------------

INBOX_RESPONSES: dict[int | str, dict[str, Any]] = {
    403: {"description": "Not a staff login, or not allowed on this chat's team."},
    404: {"description": "No such conversation."},
}


@router.post(
    "/api/staff/conversations/{conversation_id}/export",
    responses={200: {"content": {"application/json": {}}}, **INBOX_RESPONSES},
)
def export_from_inbox(conversation_id: Id, user: StaffDep, engine: EngineDep) -> Response:
    """Everything stored about the chat's contact, as a JSON download (audited)."""
    now = utcnow()
    try:
        with transaction(engine.db) as session:
            access = access_for(session, user, engine.teams)
            data = staff_export(session, conversation_id, access, engine.teams)
    except InboxError as exc:
        raise refusal(exc) from None
    return export_response(data, now, f"stadtbot-daten-chat-{conversation_id}.json")


class ErasureDone(BaseModel):
    erasure_id: int
    done_at: str


@router.post(
    "/api/staff/conversations/{conversation_id}/erase",
    response_model=ErasureDone,
    responses=INBOX_RESPONSES,
)
def erase_from_inbox(conversation_id: Id, user: StaffDep, engine: EngineDep) -> ErasureDone:
    """Erase the chat's contact now: transcript, chat, notes, everything not kept by law.

    The page asks for confirmation first; no second review (the clerk is the review)."""
    try:
        with transaction(engine.db) as session:
            access = access_for(session, user, engine.teams)
            record = staff_erase(session, conversation_id, access, engine.teams)
            assert record.id is not None and record.done_at is not None
            return ErasureDone(erasure_id=record.id, done_at=record.done_at.isoformat())
    except InboxError as exc:
        raise refusal(exc) from None
