"""Boat rental at the Schlossgraben dock: search, quote, book, list and cancel.

No two bookings of one boat overlap, and the database guarantees it: `book` locks the
rows of all boats of the wanted type (`SELECT … FOR UPDATE`, in id order so two
bookers never deadlock) before it looks for overlaps, so a second booker waits until
the first has committed and then sees that booking. On SQLite every write transaction
starts with `BEGIN IMMEDIATE`, which serialises writers the same way.

Actions (params → result keys; times are local ISO 8601 strings):

- `boats.search` {type, date, time, duration} or {type, start, duration} →
  {available, boat: {id, name, type, price_per_hour_cents} | None, start, end,
  duration_minutes, price_cents, alternatives: [{boat_id, boat_name, type, start, end,
  price_cents}]}
- `boats.quote` {type, duration} → {type, duration_minutes, price_per_hour_cents, price_cents}
- `boats.book` {type | boat_id, date, time, duration} or {…, start, …} → {reference,
  boat_id, boat_name, type, dock, start, end, date, start_time, end_time,
  duration_minutes, price_cents, ticket_path, ticket_url, free_cancellation_until}
- `boats.my_bookings` {} → {bookings: [same keys as `book` plus status, cancellable]}
- `boats.cancel` {reference} → {reference, status: "cancelled", boat_name, start}

Error codes: missing_param, invalid_param, unknown_boat_type, invalid_duration,
invalid_time, out_of_season, outside_opening_hours, in_past, too_far_ahead,
slot_taken (details: alternatives), not_found, already_cancelled,
cancellation_deadline_passed (details: deadline).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from sqlmodel import Session, col, select

from actions import datafiles
from actions.models import BOAT_TYPES, Boat, BoatBooking
from actions.params import as_date, as_int, as_local_datetime, as_minutes, as_time, required
from actions.registry import ActionContext, ActionError, action
from actions.secure import new_public_id, new_token

MAX_ALTERNATIVES = 4


@dataclass(frozen=True)
class BoatConfig:
    """The dock's rules from `actions/data/boats.yaml`."""

    dock: str
    season_start: tuple[int, int]
    season_end: tuple[int, int]
    opens: time
    closes: time
    slot_minutes: int
    min_minutes: int
    max_minutes: int
    book_ahead_days: int
    free_cancel_hours: int
    reminder_minutes: int


@lru_cache
def config() -> BoatConfig:
    """The parsed dock configuration."""
    raw = datafiles.load("boats")

    def month_day(text: str) -> tuple[int, int]:
        month, day = text.split("-")
        return int(month), int(day)

    return BoatConfig(
        dock=raw["dock"],
        season_start=month_day(raw["season"]["start"]),
        season_end=month_day(raw["season"]["end"]),
        opens=time.fromisoformat(raw["hours"]["open"]),
        closes=time.fromisoformat(raw["hours"]["close"]),
        slot_minutes=int(raw["slot_minutes"]),
        min_minutes=int(raw["min_duration_minutes"]),
        max_minutes=int(raw["max_duration_minutes"]),
        book_ahead_days=int(raw["book_ahead_days"]),
        free_cancel_hours=int(raw["cancellation"]["free_until_hours_before"]),
        reminder_minutes=int(raw["reminder_minutes_before"]),
    )


def price_cents(price_per_hour_cents: int, minutes: int) -> int:
    """Price for `minutes`, pro rata per started slot, rounded to whole cents."""
    return (price_per_hour_cents * minutes + 59) // 60


def boat_type(value: Any) -> str:
    """The canonical boat type for a slot value (`tretboot`, `Pedal boat` is the flow's job)."""
    text = str(value or "").strip().lower()
    for known in BOAT_TYPES:
        if known.lower() == text:
            return known
    raise ActionError("unknown_boat_type", value=str(value)[:40], known=list(BOAT_TYPES))


@dataclass(frozen=True)
class Window:
    """A requested rental time, local and UTC."""

    start: datetime  # local, aware
    minutes: int

    @property
    def end(self) -> datetime:
        return self.start + timedelta(minutes=self.minutes)

    @property
    def start_utc(self) -> datetime:
        return self.start.astimezone(UTC)

    @property
    def end_utc(self) -> datetime:
        return self.end.astimezone(UTC)


def read_window(ctx: ActionContext, params: dict[str, Any]) -> Window:
    """The rental window from `start` or `date` + `time`, plus `duration`."""
    minutes = as_minutes(required(params, "duration"))
    if params.get("start"):
        start = as_local_datetime(ctx, params["start"])
    else:
        day = as_date(required(params, "date"))
        at = as_time(required(params, "time"))
        start = datetime.combine(day, at, tzinfo=ctx.settings.tz)
    return Window(start=start, minutes=minutes)


def check_window(ctx: ActionContext, window: Window) -> None:
    """Refuse windows outside the dock's rules, each with its own code."""
    cfg = config()
    if (
        window.minutes % cfg.slot_minutes
        or not cfg.min_minutes <= window.minutes <= cfg.max_minutes
    ):
        raise ActionError(
            "invalid_duration",
            min_minutes=cfg.min_minutes,
            max_minutes=cfg.max_minutes,
            step_minutes=cfg.slot_minutes,
        )
    start = window.start
    if start.minute % cfg.slot_minutes or start.second:
        raise ActionError("invalid_time", step_minutes=cfg.slot_minutes)
    month_day = (start.month, start.day)
    if not cfg.season_start <= month_day <= cfg.season_end:
        raise ActionError(
            "out_of_season",
            season_start="{:02d}-{:02d}".format(*cfg.season_start),
            season_end="{:02d}-{:02d}".format(*cfg.season_end),
        )
    closes = datetime.combine(start.date(), cfg.closes, tzinfo=start.tzinfo)
    if start.time() < cfg.opens or window.end > closes:
        latest = closes - timedelta(minutes=window.minutes)
        raise ActionError(
            "outside_opening_hours",
            open=cfg.opens.strftime("%H:%M"),
            close=cfg.closes.strftime("%H:%M"),
            latest_start=latest.strftime("%H:%M"),
        )
    if start < ctx.now:
        raise ActionError("in_past")
    if start.date() > ctx.now.date() + timedelta(days=cfg.book_ahead_days):
        raise ActionError("too_far_ahead", max_days=cfg.book_ahead_days)


def boats_of_type(session: Session, kind: str, lock: bool = False) -> list[Boat]:
    """Active boats of one type in id order, optionally row-locked for booking."""
    query = select(Boat).where(Boat.type == kind, Boat.active == True).order_by(Boat.id)  # noqa: E712
    if lock:
        query = query.with_for_update()
    return list(session.exec(query).all())


def busy_boat_ids(
    session: Session, boat_ids: list[int], start: datetime, end: datetime
) -> set[int]:
    """Boats among `boat_ids` with a booking overlapping [start, end) (UTC)."""
    if not boat_ids:
        return set()
    rows = session.exec(
        select(BoatBooking.boat_id).where(
            col(BoatBooking.boat_id).in_(boat_ids),
            BoatBooking.status == "booked",
            BoatBooking.start_at < end,
            BoatBooking.end_at > start,
        )
    ).all()
    return set(rows)


def first_free(session: Session, boats: list[Boat], window: Window) -> Boat | None:
    """The first boat in `boats` that is free for the whole window."""
    busy = busy_boat_ids(session, [b.id for b in boats if b.id], window.start_utc, window.end_utc)
    return next((b for b in boats if b.id not in busy), None)


def _iso(moment: datetime, ctx: ActionContext) -> str:
    return moment.astimezone(ctx.settings.tz).isoformat()


def alternatives(ctx: ActionContext, kind: str, window: Window) -> list[dict[str, Any]]:
    """Nearest free times the same day for this type, then other types at this time."""
    cfg = config()
    found: list[dict[str, Any]] = []
    opens = datetime.combine(window.start.date(), cfg.opens, tzinfo=window.start.tzinfo)
    closes = datetime.combine(window.start.date(), cfg.closes, tzinfo=window.start.tzinfo)
    step = timedelta(minutes=cfg.slot_minutes)
    candidates: list[datetime] = []
    for k in range(1, 48):
        for sign in (1, -1):
            moment = window.start + sign * k * step
            if opens <= moment and moment + timedelta(minutes=window.minutes) <= closes:
                candidates.append(moment)
    boats = boats_of_type(ctx.session, kind)
    for moment in candidates:
        if len(found) >= MAX_ALTERNATIVES - 1 or moment < ctx.now:
            continue
        other = Window(start=moment, minutes=window.minutes)
        boat = first_free(ctx.session, boats, other)
        if boat:
            found.append(_offer(ctx, boat, other))
    for other_type in BOAT_TYPES:
        if other_type != kind and len(found) < MAX_ALTERNATIVES:
            boat = first_free(ctx.session, boats_of_type(ctx.session, other_type), window)
            if boat:
                found.append(_offer(ctx, boat, window))
    return found


def _offer(ctx: ActionContext, boat: Boat, window: Window) -> dict[str, Any]:
    return {
        "boat_id": boat.id,
        "boat_name": boat.name,
        "type": boat.type,
        "start": _iso(window.start, ctx),
        "end": _iso(window.end, ctx),
        "price_cents": price_cents(boat.price_per_hour_cents, window.minutes),
    }


def ticket_path(booking: BoatBooking) -> str:
    """Where the booking's QR ticket image is served (relative to the public base URL)."""
    return f"/qr/ticket/{booking.reference}?token={booking.ticket_token}"


def booking_dict(ctx: ActionContext, booking: BoatBooking, boat: Boat) -> dict[str, Any]:
    """What the flows show about a booking."""
    start = booking.start_at.astimezone(ctx.settings.tz)
    end = booking.end_at.astimezone(ctx.settings.tz)
    deadline = start - timedelta(hours=config().free_cancel_hours)
    path = ticket_path(booking)
    base = ctx.settings.public_base_url.rstrip("/")
    return {
        "reference": booking.reference,
        "boat_id": boat.id,
        "boat_name": boat.name,
        "type": boat.type,
        "dock": boat.dock,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "date": start.date().isoformat(),
        "start_time": start.strftime("%H:%M"),
        "end_time": end.strftime("%H:%M"),
        "duration_minutes": int((end - start).total_seconds() // 60),
        "price_cents": booking.price_cents,
        "ticket_path": path,
        "ticket_url": f"{base}{path}" if base else path,
        "free_cancellation_until": deadline.isoformat(),
        "status": booking.status,
        "cancellable": booking.status == "booked" and ctx.now <= deadline,
    }


@action("boats.search", writes=False)
def search(ctx: ActionContext, params: dict[str, Any]) -> dict[str, Any]:
    """Is a boat of this type free then? If not, the nearest alternatives.

    params {type, date, time, duration} or {type, start, duration} → {available, boat,
    start, end, duration_minutes, price_cents, alternatives}.
    """
    kind = boat_type(required(params, "type"))
    window = read_window(ctx, params)
    check_window(ctx, window)
    boat = first_free(ctx.session, boats_of_type(ctx.session, kind), window)
    price = None
    boat_info = None
    if boat:
        price = price_cents(boat.price_per_hour_cents, window.minutes)
        boat_info = {
            "id": boat.id,
            "name": boat.name,
            "type": boat.type,
            "price_per_hour_cents": boat.price_per_hour_cents,
        }
    return {
        "available": boat is not None,
        "boat": boat_info,
        "start": _iso(window.start, ctx),
        "end": _iso(window.end, ctx),
        "duration_minutes": window.minutes,
        "price_cents": price,
        "alternatives": [] if boat else alternatives(ctx, kind, window),
    }


@action("boats.quote", writes=False)
def quote(ctx: ActionContext, params: dict[str, Any]) -> dict[str, Any]:
    """What a type costs for a duration ("was kostet das?" mid-flow).

    params {type, duration} → {type, duration_minutes, price_per_hour_cents, price_cents}.
    """
    kind = boat_type(required(params, "type"))
    minutes = as_minutes(params.get("duration") or 60)
    boats = boats_of_type(ctx.session, kind)
    if not boats:
        raise ActionError("unknown_boat_type", value=kind, known=list(BOAT_TYPES))
    hourly = min(b.price_per_hour_cents for b in boats)
    return {
        "type": kind,
        "duration_minutes": minutes,
        "price_per_hour_cents": hourly,
        "price_cents": price_cents(hourly, minutes),
    }


@action("boats.book", writes=True)
def book(ctx: ActionContext, params: dict[str, Any]) -> dict[str, Any]:
    """Book a free boat of a type (or one boat) for a window; safe under concurrency.

    params {type | boat_id, date, time, duration} or {…, start, …} → {reference, boat_id,
    boat_name, type, dock, start, end, date, start_time, end_time, duration_minutes,
    price_cents, ticket_path, ticket_url, free_cancellation_until}.
    """
    window = read_window(ctx, params)
    check_window(ctx, window)
    if params.get("boat_id") is not None:
        boat_id = as_int(params["boat_id"], "boat_id")
        wanted = ctx.session.exec(
            select(Boat).where(Boat.id == boat_id, Boat.active == True).with_for_update()  # noqa: E712
        ).first()
        if wanted is None:
            raise ActionError("not_found", what="boat")
        kind, candidates = wanted.type, [wanted]
    else:
        kind = boat_type(required(params, "type"))
        candidates = boats_of_type(ctx.session, kind, lock=True)
    boat = first_free(ctx.session, candidates, window)
    if boat is None:
        raise ActionError("slot_taken", alternatives=alternatives(ctx, kind, window))
    booking = BoatBooking(
        reference=new_public_id("B", 6),
        boat_id=boat.id,  # type: ignore[arg-type]
        contact_id=ctx.contact_id,
        start_at=window.start_utc,
        end_at=window.end_utc,
        price_cents=price_cents(boat.price_per_hour_cents, window.minutes),
        ticket_token=new_token(),
        created_at=ctx.now.astimezone(UTC),
    )
    ctx.session.add(booking)
    ctx.session.flush()
    return booking_dict(ctx, booking, boat)


@action("boats.my_bookings", writes=False)
def my_bookings(ctx: ActionContext, params: dict[str, Any]) -> dict[str, Any]:
    """The asking contact's bookings that have not ended yet, soonest first.

    params {} → {bookings: [booking dict with status and cancellable]}.
    """
    rows = ctx.session.exec(
        select(BoatBooking, Boat)
        .join(Boat, Boat.id == BoatBooking.boat_id)  # type: ignore[arg-type]
        .where(
            BoatBooking.contact_id == ctx.contact_id,
            BoatBooking.status == "booked",
            BoatBooking.end_at > ctx.now.astimezone(UTC),
        )
        .order_by(BoatBooking.start_at)  # type: ignore[arg-type]
    ).all()
    return {"bookings": [booking_dict(ctx, booking, boat) for booking, boat in rows]}


def own_booking(ctx: ActionContext, reference: Any, lock: bool = False) -> tuple[BoatBooking, Boat]:
    """The contact's booking by reference; anyone else's is `not_found`."""
    ref = str(reference).strip().upper()
    query = select(BoatBooking).where(
        BoatBooking.reference == ref, BoatBooking.contact_id == ctx.contact_id
    )
    booking = ctx.session.exec(query.with_for_update() if lock else query).first()
    if booking is None:
        raise ActionError("not_found", what="booking", reference=ref[:20])
    boat = ctx.session.get(Boat, booking.boat_id)
    assert boat is not None  # foreign key
    return booking, boat


@action("boats.cancel", writes=True)
def cancel(ctx: ActionContext, params: dict[str, Any]) -> dict[str, Any]:
    """Cancel one's own booking while the free cancellation period lasts.

    params {reference} → {reference, status: "cancelled", boat_name, start}.
    """
    booking, boat = own_booking(ctx, required(params, "reference"), lock=True)
    if booking.status != "booked":
        raise ActionError("already_cancelled", reference=booking.reference)
    deadline = booking.start_at - timedelta(hours=config().free_cancel_hours)
    if ctx.now > deadline:
        raise ActionError(
            "cancellation_deadline_passed",
            deadline=_iso(deadline, ctx),
            reference=booking.reference,
        )
    booking.status = "cancelled"
    booking.cancelled_at = ctx.now.astimezone(UTC)
    ctx.session.add(booking)
    ctx.session.flush()
    return {
        "reference": booking.reference,
        "status": "cancelled",
        "boat_name": boat.name,
        "start": _iso(booking.start_at, ctx),
    }
