"""Staff inbox API under /api/staff: queue, conversation, claim, assign, reply, notes,
hand back, close, and a live event stream. The page `/staff` is built on exactly these.

Routes and fields of SPEC's "Staff and broadcast API" are the contract; everything
else here is added beside them. Logic lives in `bot.inbox`; this module maps its
refusals to status codes (404, 403, 409, 422) and shapes the JSON.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlmodel import Session

from actions.overview import contact_overview
from api.auth import StaffDep
from api.deps import DbDep, EngineDep, Id, SettingsDep
from api.errors import ErrorBody
from api.staff_events import event_stream
from bot.channels.window import window_open
from bot.core.db import transaction
from bot.core.models import Contact, Conversation
from bot.core.settings import Settings
from bot.engine import Engine
from bot.inbox import (
    Conflict,
    Forbidden,
    InboxError,
    Invalid,
    NotFound,
    access_for,
    add_note,
    assign,
    claim,
    close,
    detail,
    message_line,
    queue,
    release,
    staff_reply,
    summary,
    team_members,
)
from bot.staff_tables import Handoff

router = APIRouter(prefix="/api/staff", tags=["staff"], responses={409: {"model": ErrorBody}})
WINDOW_CHANNELS = ("twilio", "whatsapp")
_ERRORS: dict[type[InboxError], int] = {NotFound: 404, Forbidden: 403, Conflict: 409, Invalid: 422}
Status = Literal["waiting", "open", "closed"]


class ConversationSummary(BaseModel):
    """One chat in the queue (SPEC's fields first)."""

    id: int
    channel: str
    language: str | None
    status: str = Field(description="waiting, open, closed, or bot (never handed over)")
    team: str | None
    assignee: str | None
    waiting_since: datetime | None
    reason: str | None
    reason_text: str | None = Field(description="the reason in the inbox's German")
    team_name: str | None
    name: str | None
    mode: str = Field(description="bot, human, rating or comment")
    message_count: int
    last_inbound_at: datetime | None
    handoff_id: int | None


class TranscriptLine(BaseModel):
    id: int
    conversation_id: int
    direction: str
    author: str
    text: str
    intent: str | None
    confidence: float | None
    created_at: datetime
    kind: str | None = None
    buttons: list[str] = Field(default_factory=list)
    image_url: str | None = None


class Note(BaseModel):
    id: int
    author: str
    text: str
    created_at: datetime


class AuditLine(BaseModel):
    actor: str
    action: str = Field(description="escalate, claim, assign, reply, note, release, close")
    detail: dict[str, Any]
    created_at: datetime


class FlowSlot(BaseModel):
    name: str
    label: str
    value: str


class OpenFlow(BaseModel):
    name: str
    title: str
    slots: list[FlowSlot]


class ContactPanel(BaseModel):
    """The contact and what the city's backend knows of it (read-only)."""

    name: str | None
    channel: str
    language: str | None
    cases: list[dict[str, Any]]
    bookings: list[dict[str, Any]]
    vouchers: list[dict[str, Any]]


class Window(BaseModel):
    """WhatsApp's 24-hour window: outside it only the configured template goes out."""

    applies: bool
    open: bool
    template: str | None = Field(description="the template configured for staff answers")
    template_text: str | None


class Canned(BaseModel):
    title: str
    text: str


class FlowChoice(BaseModel):
    name: str
    title: str


class ConversationDetail(ConversationSummary):
    messages: list[TranscriptLine]
    notes: list[Note]
    audit: list[AuditLine]
    flow: OpenFlow | None
    contact: ContactPanel
    window: Window
    canned: list[Canned]
    flows: list[FlowChoice] = Field(description="flows the chat can be handed back into")
    can_act: bool


class TextBody(BaseModel):
    text: str = Field(min_length=1, max_length=4000)


class ReplyBody(BaseModel):
    text: str = Field(default="", max_length=4000)
    image_url: str | None = Field(
        default=None,
        max_length=500,
        pattern=r"^(https://|/)[^\s\"'<>]*$",
        description="an https address or a path on this server",
    )
    template: bool = Field(default=False, description="send the 24-hour-window template text")


class AssignBody(BaseModel):
    assignee: str | None = Field(default=None, max_length=100)
    team: str | None = Field(default=None, max_length=40)


class ReleaseBody(BaseModel):
    flow: str | None = Field(default=None, max_length=60, description="offer this flow")


class TeamOut(BaseModel):
    key: str
    name: str
    in_office: bool
    access: str | None
    members: list[str]


class Me(BaseModel):
    username: str
    roles: list[str]
    teams: dict[str, str]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def fast_json(content: Any) -> Response:
    """The shape the response model documents, serialised without validating it again:
    the queue and the transcript are built from the database's own typed columns and
    are the two hottest reads of the inbox."""
    return Response(
        json.dumps(content, default=_plain, ensure_ascii=False), media_type="application/json"
    )


def refusal(exc: InboxError) -> HTTPException:
    """The inbox's refusal as the HTTP error it means (404, 403, 409, 422)."""
    return HTTPException(_ERRORS.get(type(exc), 409), str(exc) or type(exc).__name__)


@router.get("/conversations", response_model=list[ConversationSummary])
def list_conversations(
    user: StaffDep,
    engine: EngineDep,
    status: Status | None = None,
    mode: Annotated[str | None, Query(max_length=10)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> Response:
    """Chats with staff, waiting first (longest wait on top); `status` filters."""
    with Session(engine.db) as session:
        access = access_for(session, user, engine.teams)
        rows = queue(session, access, engine.teams, status, limit)
    return fast_json([r for r in rows if mode is None or r["mode"] == mode])


@router.get("/conversations/{conversation_id}", response_model=ConversationDetail)
def get_conversation(
    conversation_id: Id, user: StaffDep, engine: EngineDep, settings: SettingsDep
) -> Response:
    """The chat with transcript (intent, confidence), notes, audit log, open flow, contact."""
    with Session(engine.db) as session:
        try:
            view, contact = detail(
                session, conversation_id, access_for(session, user, engine.teams), engine.teams
            )
        except InboxError as exc:
            raise refusal(exc) from None
        lang = view["language"] or settings.default_language
        view["contact"] = {
            "name": contact.name,
            "channel": contact.channel,
            "language": contact.language,
            **contact_overview(session, contact.id),  # type: ignore[arg-type]
        }
    view["flow"] = _open_flow(engine, view.pop("flow_state"))
    view["window"] = _window(settings, engine, contact, lang)
    view["canned"] = engine.teams.canned_for(lang)
    view["flows"] = [
        {"name": f.name, "title": f.title.get("de", f.name)} for f in engine.dialogue.flows.values()
    ]
    return fast_json(view)


@router.post("/conversations/{conversation_id}/claim", response_model=ConversationSummary)
def claim_conversation(conversation_id: Id, user: StaffDep, engine: EngineDep) -> dict[str, Any]:
    """Take the chat: 200, or 409 when someone else holds it."""
    return _act(
        engine, user, conversation_id, lambda s, a: claim(s, conversation_id, a, engine.teams)
    )


@router.post("/conversations/{conversation_id}/assign", response_model=ConversationSummary)
def assign_conversation(
    conversation_id: Id, body: AssignBody, user: StaffDep, engine: EngineDep
) -> dict[str, Any]:
    """Give the chat to a colleague (`assignee`) and/or another `team` (its queue)."""
    return _act(
        engine,
        user,
        conversation_id,
        lambda s, a: assign(
            s, conversation_id, a, engine.teams, assignee=body.assignee, team=body.team
        ),
    )


@router.post(
    "/conversations/{conversation_id}/reply", status_code=201, response_model=TranscriptLine
)
def reply(
    conversation_id: Id, body: ReplyBody, user: StaffDep, engine: EngineDep
) -> dict[str, Any]:
    """Answer on the citizen's channel (text, an image, or the 24-hour template)."""
    text = body.text.strip()
    if not (text or body.image_url or body.template):
        raise HTTPException(422, "Send 'text', 'image_url' or 'template'.")
    try:
        with transaction(engine.db) as session:
            access = access_for(session, user, engine.teams)
            if body.template:
                view, _ = detail(session, conversation_id, access, engine.teams)
                lang = view["language"] or engine.settings.default_language
                text = engine.teams.window_template.get(lang) or engine.teams.window_template["de"]
            message = staff_reply(
                session, conversation_id, access, engine.teams, text, body.image_url
            )
            return message_line(message)
    except InboxError as exc:
        raise refusal(exc) from None


@router.post("/conversations/{conversation_id}/notes", status_code=201, response_model=Note)
def note(conversation_id: Id, body: TextBody, user: StaffDep, engine: EngineDep) -> dict[str, Any]:
    """An internal note; never shown to the citizen."""
    try:
        with transaction(engine.db) as session:
            row = add_note(
                session,
                conversation_id,
                access_for(session, user, engine.teams),
                engine.teams,
                body.text.strip(),
            )
            return {
                "id": row.id,
                "author": row.author,
                "text": row.text,
                "created_at": row.created_at,
            }
    except InboxError as exc:
        raise refusal(exc) from None


@router.post("/conversations/{conversation_id}/release", status_code=204)
def release_conversation(
    conversation_id: Id,
    user: StaffDep,
    engine: EngineDep,
    body: Annotated[ReleaseBody | None, Body()] = None,
) -> Response:
    """Back to the bot (204); with `flow`, the citizen is offered that flow to start."""
    offered = None
    if body is not None and body.flow:
        flow = engine.dialogue.flows.get(body.flow)
        if flow is None:
            raise HTTPException(422, f"Unknown flow {body.flow!r}.")
        offered = (flow.name, dict(flow.title))
    _act(
        engine,
        user,
        conversation_id,
        lambda s, a: release(s, conversation_id, a, engine.teams, offered),
    )
    return Response(status_code=204)


@router.post("/conversations/{conversation_id}/close", status_code=204)
def close_conversation(conversation_id: Id, user: StaffDep, engine: EngineDep) -> Response:
    """Close the chat (204); the citizen is asked for a rating in their language."""
    _act(engine, user, conversation_id, lambda s, a: close(s, conversation_id, a, engine.teams))
    return Response(status_code=204)


@router.get("/me", response_model=Me)
def me(user: StaffDep, engine: EngineDep) -> dict[str, Any]:
    """The login, its roles and its teams (member or reader)."""
    with Session(engine.db) as session:
        access = access_for(session, user, engine.teams)
    return {"username": user.username, "roles": user.roles.split(","), "teams": access.teams}


@router.get("/teams", response_model=list[TeamOut])
def teams(user: StaffDep, engine: EngineDep, db: DbDep) -> list[dict[str, Any]]:
    """Every team with its members and whether it is in office now (for transfers)."""
    now = datetime.now(engine.settings.tz)
    with Session(db) as session:
        access = access_for(session, user, engine.teams)
        members = team_members(session, engine.teams)
    return [
        {
            "key": key,
            "name": team.name("de"),
            "in_office": team.in_office(now),
            "access": access.teams.get(key),
            "members": members.get(key, []),
        }
        for key, team in engine.teams.teams.items()
    ]


@router.get("/events", response_class=Response)
async def events(request: Request, user: StaffDep, engine: EngineDep) -> Response:
    """Server-sent events: `message` (a new transcript line) and `queue` (a chat changed)."""
    return await event_stream(request, engine, user)


def _act(engine: Engine, user: Any, conversation_id: int, action: Any) -> dict[str, Any]:
    try:
        with transaction(engine.db) as session:
            handoff = action(session, access_for(session, user, engine.teams))
            if isinstance(handoff, Handoff):
                conversation = session.get(Conversation, conversation_id)
                contact = session.get(Contact, conversation.contact_id)  # type: ignore[union-attr]
                return summary(conversation, contact, handoff, engine.teams)  # type: ignore[arg-type]
            return {}
    except InboxError as exc:
        raise refusal(exc) from None


def _open_flow(engine: Engine, state: dict[str, Any]) -> dict[str, Any] | None:
    flow = engine.dialogue.flows.get(state.get("flow") or "")
    if flow is None:
        return None
    slots = []
    for name, value in (state.get("slots") or {}).items():
        slot = flow.slots.get(name)
        label = (slot.label or {}).get("de") if slot is not None else None
        slots.append({"name": name, "label": label or name, "value": str(value)})
    return {"name": flow.name, "title": flow.title.get("de", flow.name), "slots": slots}


def _window(settings: Settings, engine: Engine, contact: Contact, lang: str) -> dict[str, Any]:
    applies = contact.channel in WINDOW_CHANNELS
    templates = (
        settings.twilio_content_templates
        if contact.channel == "twilio"
        else settings.whatsapp_templates
    )
    template = templates.get("staff") if applies else None
    return {
        "applies": applies,
        "open": window_open(contact.last_inbound_at) if applies else True,
        "template": template,
        "template_text": engine.teams.window_template.get(lang) if template else None,
    }
