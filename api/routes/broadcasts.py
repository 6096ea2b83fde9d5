"""Broadcasts: topics, compose/preview/create, send/pause/resume/cancel, reports, CSV,
images, and the compose and report pages (role `communications`).

Thin: the checks and state changes live in bot/broadcasts; `BroadcastError`s map to
404 / 409 / 422 in one place (`_errors`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field
from sqlmodel import Session

from api.auth import CommunicationsDep, current_staff
from api.deps import DbDep, Id, SettingsDep
from api.errors import ErrorBody
from bot.broadcasts import compose, reports, sending
from bot.broadcasts.audience import preview
from bot.broadcasts.errors import BroadcastError, Conflict, Invalid, NotFound
from bot.broadcasts.images import image, store_image
from bot.core.db import transaction
from bot.core.models import utcnow
from bot.core.subscriptions import districts, topics

router = APIRouter(
    tags=["broadcasts"], responses={status: {"model": ErrorBody} for status in (400, 409)}
)
templates = Jinja2Templates(directory=Path(__file__).resolve().parent.parent / "templates")
MAX_IMAGE_BYTES = 5 * 1024 * 1024  # WhatsApp's limit for images


class ButtonIn(BaseModel):
    title: str = Field(max_length=100)
    payload: str = Field(max_length=200)


class BroadcastIn(BaseModel):
    """SPEC's request body, plus parts of town, image and buttons."""

    texts: dict[str, str]
    topics: list[str] = Field(max_length=20)
    channels: list[str] = Field(default_factory=list, max_length=4)
    districts: list[str] = Field(default_factory=list, max_length=10)
    send_at: datetime | None = None
    urgent: bool = False
    image_url: str | None = Field(default=None, max_length=300)
    buttons: list[ButtonIn] = Field(default_factory=list, max_length=10)

    def draft(self) -> compose.Draft:
        return compose.draft_from(self.model_dump())


class TestSendIn(BaseModel):
    channel: str = Field(max_length=20)
    recipient: str = Field(min_length=1, max_length=128)


class TopicOut(BaseModel):
    id: str
    title: dict[str, str]


class StateOut(BaseModel):
    id: int
    status: str


class CreatedOut(StateOut):
    recipients: int


@contextmanager
def _errors() -> Iterator[None]:
    """Broadcast errors as the API's statuses, with the message as `detail`."""
    try:
        yield
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    except Conflict as exc:
        raise HTTPException(409, str(exc)) from None
    except Invalid as exc:
        raise HTTPException(422, str(exc)) from None
    except BroadcastError as exc:  # pragma: no cover - every subclass is mapped above
        raise HTTPException(400, str(exc)) from None


@router.get("/api/topics", response_model=list[TopicOut])
def api_topics() -> list[TopicOut]:
    """The topics citizens can subscribe to (city data, bot/core/topics.yaml)."""
    return [TopicOut(id=topic.id, title=topic.title) for topic in topics()]


@router.post("/api/broadcasts/preview")
def api_preview(
    body: BroadcastIn, user: CommunicationsDep, db: DbDep, settings: SettingsDep
) -> dict[str, Any]:
    """Audience per channel and language, and who needs a WhatsApp template."""
    with _errors(), Session(db) as session:
        draft = compose.check(session, body.draft(), settings, utcnow())
        return preview(session, draft.target(), settings)


@router.post("/api/broadcasts", status_code=201, response_model=CreatedOut)
def api_create(
    body: BroadcastIn,
    user: CommunicationsDep,
    db: DbDep,
    settings: SettingsDep,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> CreatedOut:
    """A draft (or, with `send_at`, a scheduled broadcast); the same Idempotency-Key
    with the same body returns the same broadcast, with another body 409."""
    with _errors(), transaction(db) as session:
        broadcast, _ = compose.create(
            session, body.draft(), author=user.username, idempotency_key=idempotency_key,
            settings=settings, now=utcnow(),
        )
        assert broadcast.id is not None
        return CreatedOut(id=broadcast.id, status=broadcast.status, recipients=broadcast.recipients)


@router.get("/api/broadcasts")
def api_list(user: CommunicationsDep, db: DbDep) -> list[dict[str, Any]]:
    with Session(db) as session:
        return reports.listing(session)


@router.get("/api/broadcasts/{broadcast_id}")
def api_report(broadcast_id: Id, user: CommunicationsDep, db: DbDep) -> dict[str, Any]:
    """Status, recipients and counts per state (also per channel and language)."""
    with _errors(), Session(db) as session:
        return reports.report(session, broadcast_id)


def _change(db: Any, broadcast_id: int, action: Any, *args: Any) -> StateOut:
    with _errors(), transaction(db) as session:
        broadcast = action(session, broadcast_id, utcnow(), *args)
        return StateOut(id=broadcast_id, status=broadcast.status)


@router.post("/api/broadcasts/{broadcast_id}/send", response_model=StateOut)
def api_send(
    request: Request, broadcast_id: Id, user: CommunicationsDep, db: DbDep,
    settings: SettingsDep,
) -> StateOut:
    """Start now (a draft, or a scheduled one early); a second call is 409."""
    result = _change(db, broadcast_id, sending.start, settings)
    _wake(request)
    return result


@router.post("/api/broadcasts/{broadcast_id}/pause", response_model=StateOut)
def api_pause(broadcast_id: Id, user: CommunicationsDep, db: DbDep) -> StateOut:
    return _change(db, broadcast_id, sending.pause)


@router.post("/api/broadcasts/{broadcast_id}/resume", response_model=StateOut)
def api_resume(
    request: Request, broadcast_id: Id, user: CommunicationsDep, db: DbDep
) -> StateOut:
    result = _change(db, broadcast_id, sending.resume)
    _wake(request)
    return result


@router.post("/api/broadcasts/{broadcast_id}/cancel", response_model=StateOut)
def api_cancel(broadcast_id: Id, user: CommunicationsDep, db: DbDep) -> StateOut:
    return _change(db, broadcast_id, sending.cancel)


@router.post("/api/broadcasts/{broadcast_id}/test", status_code=201)
def api_test_send(
    request: Request, broadcast_id: Id, body: TestSendIn, user: CommunicationsDep, db: DbDep
) -> dict[str, int]:
    """Send it to one contact (oneself), marked [TEST], not counted in the report."""
    with _errors(), transaction(db) as session:
        message_id = compose.send_to_self(session, broadcast_id, body.channel, body.recipient)
    _wake(request)
    return {"message_id": message_id}


@router.get("/api/broadcasts/{broadcast_id}/recipients.csv")
def api_csv(broadcast_id: Id, user: CommunicationsDep, db: DbDep) -> Response:
    with _errors(), Session(db) as session:
        text = reports.recipients_csv(session, broadcast_id)
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="broadcast-{broadcast_id}.csv"'},
    )


@router.post("/api/broadcasts/images", status_code=201)
async def api_image(file: UploadFile, user: CommunicationsDep, db: DbDep) -> dict[str, str]:
    """Upload a PNG, JPEG or WebP picture (checked by its bytes, ≤ 5 MB)."""
    data = await file.read(MAX_IMAGE_BYTES + 1)
    with _errors(), transaction(db) as session:
        return {"image_url": store_image(session, data, MAX_IMAGE_BYTES, user.username)}


@router.get("/media/broadcasts/{image_id}", include_in_schema=False)
def media(image_id: Id, db: DbDep) -> Response:
    """A broadcast's picture (public: the providers fetch it)."""
    with _errors(), Session(db) as session:
        content_type, data = image(session, image_id)
    return Response(data, media_type=content_type, headers={"Cache-Control": "max-age=86400"})


# --- pages ----------------------------------------------------------------------------


def _page(request: Request, name: str, **context: Any) -> Response:
    user = current_staff(request)
    if user is None:
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    if not user.has_role("communications"):
        raise HTTPException(403, "This needs the role 'communications'.")
    return templates.TemplateResponse(request, name, {"user": user, **context})


@router.get("/broadcasts", response_class=HTMLResponse, include_in_schema=False)
def compose_page(request: Request, db: DbDep) -> Response:
    """Compose page with the list of broadcasts."""
    with Session(db) as session:
        listing = reports.listing(session)
    return _page(
        request, "broadcasts.html", topics=topics(), districts=districts(),
        channels=compose.CHANNELS, limits=compose.TEXT_LIMITS, broadcasts=listing,
    )


@router.get("/broadcasts/{broadcast_id}", response_class=HTMLResponse, include_in_schema=False)
def report_page(request: Request, broadcast_id: Id, db: DbDep) -> Response:
    """Live report of one broadcast (the page polls the API)."""
    with _errors(), Session(db) as session:
        data = reports.report(session, broadcast_id)
    return _page(request, "broadcast_report.html", broadcast=data)


def _wake(request: Request) -> None:
    """Tell an in-process dispatcher (`serve` on SQLite) there is work; workers poll."""
    dispatcher = getattr(request.app.state, "dispatcher", None)
    if dispatcher is not None:
        dispatcher.wake()
