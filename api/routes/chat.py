"""The web chat: the page, its JSON API and its live WebSocket.

The session id is a random token the server hands out on the first call; it is the
only key to a web conversation, so unknown ids start a new session instead of
guessing. Replies come back in the POST response; messages that arrive later (a staff
answer, a reminder) are pushed over the WebSocket from the transcript.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request, WebSocket, WebSocketDisconnect
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlmodel import Session, select
from starlette.requests import HTTPConnection

from api.chat_limits import ChatLimits
from api.deps import DbDep, EngineDep
from api.errors import ErrorBody
from api.input_guard import BadInput, check_json
from api.json_route import JsonBodyRoute
from api.reject_log import log_line
from api.turns import TurnRunner
from bot.core.i18n import t
from bot.core.messages import Button, InboundMessage, Location
from bot.core.models import Contact
from bot.engine import Engine, Handled
from bot.ingest import ingest
from bot.transcript import (
    WEB_CHANNEL,
    last_message_id,
    message_view,
    messages_after,
    web_conversation_id,
    web_session_known,
)

router = APIRouter(tags=["web chat"])
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
WS_POLL_SECONDS = 0.5
MAX_TEXT = 4000
MAX_FRAME_CHARS = 16 * 1024  # a ChatRequest is far smaller; bigger frames close the socket
LIMITED = {
    "model": ErrorBody,
    "description": "Too many messages; `Retry-After` says when to try again.",
    "headers": {"Retry-After": {"schema": {"type": "integer"}}},
}


class SharedLocation(BaseModel):
    """A position the citizen chose to share (report a problem, nearest shop); strict,
    so `false` is not read as 0."""

    model_config = ConfigDict(strict=True)
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)


class ChatRequest(BaseModel):
    """One message from the web page (or any HTTP client)."""

    session_id: str | None = Field(default=None, max_length=64)
    text: str | None = Field(default=None, max_length=MAX_TEXT)
    payload: str | None = Field(default=None, max_length=512)
    lang: Literal["de", "en", "nl"] | None = None
    message_id: str | None = Field(
        default=None, max_length=64, description="Client id; a repeated id gets no second reply."
    )
    location: SharedLocation | None = None


class ChatMessage(BaseModel):
    """One bot message as the page renders it."""

    id: int | None = None
    text: str
    buttons: list[Button] = Field(default_factory=list)
    image_url: str | None = None


class ChatResponse(BaseModel):
    session_id: str
    messages: list[ChatMessage]


class HistoryResponse(BaseModel):
    session_id: str
    messages: list[dict]


@router.get("/chat", include_in_schema=False)
def chat_page() -> FileResponse:
    """The web chat page; `?start=PAYLOAD` is read by its script."""
    return FileResponse(STATIC_DIR / "chat.html", media_type="text/html")


@router.get("/favicon.ico", include_in_schema=False)
def favicon() -> FileResponse:
    """The city's icon for every page: browsers ask for it unprompted, a 404 fills the log."""
    return FileResponse(
        STATIC_DIR / "favicon.ico",
        media_type="image/x-icon",
        headers={"Cache-Control": "public, max-age=86400"},
    )


async def post_chat(body: ChatRequest, request: Request) -> Response:
    """Send one message (or open a session) and get the bot's replies.

    Limited per session, per client IP and in new chats per IP (429 with Retry-After and
    a polite note in the citizen's language as `detail`)."""
    engine: Engine = request.app.state.engine
    turns: TurnRunner = request.app.state.turns
    reply = await turns.run(_post, engine, _limits(request), _client_ip(request), body)
    # Built and encoded once here: FastAPI would validate the model again to encode it.
    return Response(reply.model_dump_json(exclude_none=True), media_type="application/json")


router.add_api_route(
    "/api/chat",
    post_chat,
    methods=["POST"],
    response_model=ChatResponse,
    response_model_exclude_none=True,
    responses={400: {"model": ErrorBody}, 429: LIMITED},
    route_class_override=JsonBodyRoute,  # the body validated once (api/json_route.py)
)


def _post(engine: Engine, limits: ChatLimits, ip: str, body: ChatRequest) -> ChatResponse:
    """The blocking part of `POST /api/chat`: session lookup, limits, the turn."""
    known = body.session_id is not None and web_session_known(engine.db, body.session_id)
    session_id = body.session_id if known else secrets.token_urlsafe(24)
    wait = limits.message(ip, session_id if known else None)
    if wait is not None:
        language = _language(engine, session_id if known else None, body.lang)
        log_line("chat limit: 429 for %ss", wait, status=429)
        raise HTTPException(429, t("chat.slow_down", language), {"Retry-After": str(wait)})
    text = _clean(body.text)
    if not text and not body.payload and body.location is None:
        if known:
            raise HTTPException(400, "Send 'text' or 'payload'; the message was empty.")
        body = body.model_copy(update={"payload": "intent:greet"})
    handled = _handle(engine, session_id, text, body, ip)  # type: ignore[arg-type]
    return ChatResponse(
        session_id=session_id,  # type: ignore[arg-type]
        messages=[ChatMessage(id=r.message_id, **r.reply.model_dump()) for r in handled.replies],
    )


@router.get(
    "/api/chat/history", response_model=HistoryResponse, responses={404: {"model": ErrorBody}}
)
def chat_history(db: DbDep, session_id: Annotated[str, Query(max_length=64)]) -> HistoryResponse:
    """The whole transcript of a web session, so a reload keeps the conversation."""
    with Session(db) as session:
        conversation_id = web_conversation_id(session, session_id)
        if conversation_id is None:
            raise HTTPException(404, "Unknown session.")
        rows = messages_after(session, conversation_id)
        return HistoryResponse(session_id=session_id, messages=[message_view(m) for m in rows])


@router.websocket("/api/chat/ws")
async def chat_ws(
    websocket: WebSocket, engine: EngineDep, session_id: str, after: int | None = None
) -> None:
    """Live conversation: the client may send `{"text"|"payload"}`, new replies are pushed."""
    conversation_id = await run_in_threadpool(_conversation_id, engine, session_id)
    if conversation_id is None:
        await websocket.close(code=4404, reason="unknown session")
        return
    await websocket.accept()
    cursor = (
        after if after is not None else await run_in_threadpool(_last_id, engine, conversation_id)
    )
    wake = asyncio.Event()
    reader = asyncio.create_task(_read_client(websocket, engine, session_id, wake))
    try:
        while not reader.done():
            rows = await run_in_threadpool(_outbound_after, engine, conversation_id, cursor)
            for row in rows:
                await websocket.send_json(row)
                cursor = row["id"]
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), WS_POLL_SECONDS)
            wake.clear()
    except WebSocketDisconnect:
        pass
    finally:
        reader.cancel()


async def _read_client(
    websocket: WebSocket, engine: Engine, session_id: str, wake: asyncio.Event
) -> None:
    """Handle messages the page sends over the socket; bad frames get an error frame.

    The chat limits count these messages too: over a limit the first frame gets the
    polite note and `retry_after`, the following ones are dropped until one passes."""
    limits, ip, noted = _limits(websocket), _client_ip(websocket), False
    try:
        while True:
            raw = await websocket.receive_text()
            if len(raw) > MAX_FRAME_CHARS:
                await websocket.close(code=1009, reason="message too big")
                return
            wait = limits.message(ip, session_id)
            if wait is not None:
                if not noted:
                    language = await run_in_threadpool(_language, engine, session_id, None)
                    note = t("chat.slow_down", language)
                    await websocket.send_json({"error": note, "retry_after": wait})
                noted = True
                continue
            noted = False
            try:
                check_json(raw.encode("utf-8", "surrogatepass"))
                body = ChatRequest.model_validate_json(raw)
            except BadInput as exc:
                await websocket.send_json({"error": str(exc)})
                continue
            except ValidationError as exc:
                await websocket.send_json({"error": exc.errors(include_url=False)[0]["msg"]})
                continue
            text = _clean(body.text)
            if text or body.payload or body.location:
                turns: TurnRunner = websocket.app.state.turns
                await turns.run(_handle, engine, session_id, text, body, ip)
                wake.set()
    except WebSocketDisconnect:
        return


def _handle(engine: Engine, session_id: str, text: str, body: ChatRequest, ip: str) -> Handled:
    inbound = InboundMessage(
        client_address=ip,
        channel=WEB_CHANNEL,
        sender_id=session_id,
        text=text or None,
        payload=body.payload,
        # Scoped to the session: a client's id must not match another session's message
        # (the engine dedupes per channel and would replay that message's replies).
        provider_message_id=f"{session_id}/{body.message_id}" if body.message_id else None,
        language_hint=body.lang,
        location=Location(**body.location.model_dump()) if body.location else None,
    )
    return ingest(engine, inbound)


def _clean(text: str | None) -> str:
    """Drop control characters (keep newlines and tabs) and outer white space."""
    if not text:
        return ""
    return "".join(ch for ch in text if ch in "\n\t" or ch.isprintable()).strip()


def _limits(connection: HTTPConnection) -> ChatLimits:
    return connection.app.state.chat_limits


def _client_ip(connection: HTTPConnection) -> str:
    """The peer's address; behind a proxy uvicorn sets it from trusted forwarded headers."""
    return connection.client.host if connection.client else "unknown"


def _language(engine: Engine, session_id: str | None, hint: str | None) -> str:
    """The language to be polite in: the contact's, else the page's hint, else the city's."""
    if session_id is not None:
        with Session(engine.db) as session:
            known = session.exec(
                select(Contact.language).where(
                    Contact.channel == WEB_CHANNEL, Contact.channel_user_id == session_id
                )
            ).first()
        if known:
            return known
    return hint or engine.settings.default_language


def _conversation_id(engine: Engine, session_id: str) -> int | None:
    with Session(engine.db) as session:
        return web_conversation_id(session, session_id)


def _last_id(engine: Engine, conversation_id: int) -> int:
    with Session(engine.db) as session:
        return last_message_id(session, conversation_id)


def _outbound_after(engine: Engine, conversation_id: int, cursor: int) -> list[dict]:
    with Session(engine.db) as session:
        rows = messages_after(session, conversation_id, cursor, direction="out")
        return [message_view(m) for m in rows]
