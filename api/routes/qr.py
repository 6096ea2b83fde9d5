"""QR code images, boat tickets and printable posters.

- `GET /qr/link.png|svg?payload=…&channel=web|telegram|whatsapp` — a deep link as QR
- `GET /qr/ticket/{reference}?token=…` — the booking's ticket QR (PNG); 404 on a bad token
- `GET /qr/ticket/{reference}/check?token=…` — what the dock attendant sees on scanning
- `GET /qr/poster/{payload}` — an A4 page to print and hang at the place
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlmodel import select

from actions import qr
from actions.models import Boat, BoatBooking
from actions.secure import same_token
from api.deps import DbDep, SettingsDep
from api.errors import ErrorBody
from bot.core.db import transaction

router = APIRouter()
templates = Jinja2Templates(directory=Path(__file__).resolve().parent.parent / "templates")
PNG = {"content": {"image/png": {}}}
UNCONFIGURED = {404: {"model": ErrorBody, "description": "The channel is not configured"}}
NO_STORE = {"Cache-Control": "no-store"}


def _link(payload: str, channel: str, settings: SettingsDep) -> str:
    try:
        links = qr.deep_links(payload, settings)
    except qr.PayloadError as exc:
        raise HTTPException(422, str(exc)) from None
    if channel not in links:
        raise HTTPException(404, f"channel {channel!r} is not configured")
    return links[channel]


PayloadQuery = Annotated[str, Query(pattern=qr.PAYLOAD.pattern)]
ChannelQuery = Annotated[str, Query(pattern="^(web|telegram|whatsapp)$")]


@router.get("/qr/link.png", response_class=Response, responses={200: PNG, **UNCONFIGURED})
def link_png(
    settings: SettingsDep, payload: PayloadQuery, channel: ChannelQuery = "web"
) -> Response:
    """A deep link as a PNG QR code."""
    return Response(qr.qr_png(_link(payload, channel, settings)), media_type="image/png")


@router.get(
    "/qr/link.svg",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}}, **UNCONFIGURED},
)
def link_svg(
    settings: SettingsDep, payload: PayloadQuery, channel: ChannelQuery = "web"
) -> Response:
    """A deep link as an SVG QR code, for print."""
    return Response(qr.qr_svg(_link(payload, channel, settings)), media_type="image/svg+xml")


def _booking(db: DbDep, reference: str, token: str | None) -> tuple[BoatBooking, Boat]:
    """The booking if the token matches; 404 alike for unknown reference and bad token."""
    with transaction(db) as session:
        booking = session.exec(
            select(BoatBooking).where(BoatBooking.reference == reference.upper())
        ).first()
        boat = session.get(Boat, booking.boat_id) if booking else None
    if booking is None or boat is None or not same_token(booking.ticket_token, token):
        raise HTTPException(404, "ticket not found")
    return booking, boat


@router.get("/qr/ticket/{reference}", response_class=Response, responses={200: PNG, 404: {}})
def ticket_png(
    reference: str, db: DbDep, settings: SettingsDep, token: str | None = None
) -> Response:
    """The ticket QR: it encodes the check page, which the attendant's phone opens."""
    booking, _ = _booking(db, reference, token)
    url = (
        f"{qr.base_url(settings)}/qr/ticket/{booking.reference}/check?token={booking.ticket_token}"
    )
    return Response(qr.qr_png(url), media_type="image/png", headers=NO_STORE)


@router.get("/qr/ticket/{reference}/check", response_class=HTMLResponse, responses={404: {}})
def ticket_check(
    request: Request,
    reference: str,
    db: DbDep,
    settings: SettingsDep,
    token: str | None = None,
) -> HTMLResponse:
    """Is this ticket valid? Boat, time and status for the dock attendant."""
    booking, boat = _booking(db, reference, token)
    return templates.TemplateResponse(
        request,
        "qr_ticket_check.html",
        {
            "booking": booking,
            "boat": boat,
            "start": booking.start_at.astimezone(settings.tz),
            "end": booking.end_at.astimezone(settings.tz),
        },
        headers=NO_STORE,
    )


@router.get("/qr/poster/{payload}", response_class=HTMLResponse)
def poster(
    request: Request,
    payload: Annotated[str, PathParam(pattern=qr.PAYLOAD.pattern)],
    db: DbDep,
    settings: SettingsDep,
) -> HTMLResponse:
    """A printable A4 poster with the QR code of every configured channel."""
    try:
        links = qr.deep_links(payload, settings)
    except qr.PayloadError as exc:
        raise HTTPException(422, str(exc)) from None
    codes = [
        {"channel": channel, "url": url, "svg": qr.qr_svg(url, scale=6)}
        for channel, url in links.items()
    ]
    with transaction(db) as session:
        text = qr.describe(session, payload)
    return templates.TemplateResponse(request, "qr_poster.html", {"codes": codes, **text})
