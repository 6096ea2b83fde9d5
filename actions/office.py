"""The citizens' office calendar: free appointment slots and booking one.

Slots follow the office's opening hours (holidays included) in steps of
`appointments.slot_minutes`, with `appointments.desks` parallel desks. A booking is an
`office_appointment` row whose unique (starts_at, desk) constraint makes double booking
impossible even if two citizens confirm the same slot at the same moment; the loser gets
`slot_taken` and the next free slots. Each booking is also a case with a reference.

Actions (params → result keys; times local ISO 8601):

- `citizens_office.free_slots` {date?, limit?} → {date, slots: [{start, time}],
  address} (without a date: the first day from today with free slots, within 14 days)
- `citizens_office.book` {slot, concern} → {reference, start, date, time, desk,
  address, concern}

Error codes: missing_param, invalid_param, closed (details: holiday), no_free_slots,
invalid_slot, slot_taken (details: slots), in_past.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from actions import hours
from actions.cases import create_case
from actions.models import OfficeAppointment
from actions.params import as_date, as_int, as_local_datetime, required
from actions.registry import ActionContext, ActionError, action

PLACE = "citizens_office"
SEARCH_DAYS = 14
MIN_LEAD = timedelta(hours=1)


def slot_starts(ctx: ActionContext, day: date) -> list[datetime]:
    """Every slot start of `day` in local time, booked or not, from now + 1 h on."""
    rules = hours.appointment_rules()
    step = timedelta(minutes=rules["slot_minutes"])
    tz = ctx.settings.tz
    result = []
    for opens, closes in hours.hours_on(PLACE, day).intervals:
        moment = datetime.combine(day, opens, tzinfo=tz)
        end = datetime.combine(day, closes, tzinfo=tz)
        while moment + step <= end:
            if moment >= ctx.now + MIN_LEAD:
                result.append(moment)
            moment += step
    return result


def _taken(session: Session, starts: list[datetime]) -> dict[datetime, set[int]]:
    if not starts:
        return {}
    utc = [s.astimezone(UTC) for s in starts]
    rows = session.exec(
        select(OfficeAppointment.starts_at, OfficeAppointment.desk).where(
            col(OfficeAppointment.starts_at).in_(utc)
        )
    ).all()
    taken: dict[datetime, set[int]] = {}
    for starts_at, desk in rows:
        taken.setdefault(starts_at.astimezone(UTC), set()).add(desk)
    return taken


def free_slots_on(ctx: ActionContext, day: date) -> list[datetime]:
    """Slots of `day` with at least one free desk."""
    desks = hours.appointment_rules()["desks"]
    starts = slot_starts(ctx, day)
    taken = _taken(ctx.session, starts)
    return [s for s in starts if len(taken.get(s.astimezone(UTC), set())) < desks]


def _slot_dict(moment: datetime) -> dict[str, str]:
    return {"start": moment.isoformat(), "time": moment.strftime("%H:%M")}


@action("citizens_office.free_slots", writes=False)
def free_slots(ctx: ActionContext, params: dict[str, Any]) -> dict[str, Any]:
    """Free appointment slots on a date, or on the next day that has any.

    params {date?, limit?} → {date, slots: [{start, time}], address}.
    """
    limit = max(1, min(as_int(params.get("limit") or 50, "limit"), 50))
    address = hours.place_info(PLACE)["address"]
    if params.get("date"):
        day = as_date(params["date"])
        day_hours = hours.hours_on(PLACE, day)
        if not day_hours.is_open:
            raise ActionError("closed", date=day.isoformat(), holiday=day_hours.holiday)
        slots = free_slots_on(ctx, day)
        if not slots:
            raise ActionError("no_free_slots", date=day.isoformat())
        return {
            "date": day.isoformat(),
            "slots": [_slot_dict(s) for s in slots[:limit]],
            "address": address,
        }
    for offset in range(SEARCH_DAYS):
        day = ctx.now.date() + timedelta(days=offset)
        slots = free_slots_on(ctx, day)
        if slots:
            return {
                "date": day.isoformat(),
                "slots": [_slot_dict(s) for s in slots[:limit]],
                "address": address,
            }
    raise ActionError("no_free_slots", date=None)


@action("citizens_office.book", writes=True)
def book(ctx: ActionContext, params: dict[str, Any]) -> dict[str, Any]:
    """Book a free slot for a concern (ID card, passport, …); creates a case.

    params {slot, concern} → {reference, start, date, time, desk, address, concern}.
    """
    start = as_local_datetime(ctx, required(params, "slot"), "slot")
    concern = str(required(params, "concern")).strip()[:200]
    if start < ctx.now:
        raise ActionError("in_past")
    if start not in slot_starts(ctx, start.date()):
        raise ActionError("invalid_slot", slot=start.isoformat())
    desks = hours.appointment_rules()["desks"]
    start_utc = start.astimezone(UTC)
    taken = _taken(ctx.session, [start]).get(start_utc, set())
    for desk in (d for d in range(1, desks + 1) if d not in taken):
        try:
            # One savepoint for case and slot: if the desk is lost, no case is left behind.
            with ctx.session.begin_nested():
                case = create_case(
                    ctx,
                    "citizens_office_appointment",
                    {"concern": concern, "slot": start.isoformat()},
                )
                ctx.session.add(
                    OfficeAppointment(
                        case_id=case.id,  # type: ignore[arg-type]
                        contact_id=ctx.contact_id,
                        starts_at=start_utc,
                        desk=desk,
                        created_at=ctx.now.astimezone(UTC),
                    )
                )
                ctx.session.flush()
            break
        except IntegrityError:
            continue  # another citizen took this desk since we looked: try the next one
    else:
        raise _slot_taken(ctx, start)
    return {
        "reference": case.reference,
        "start": start.isoformat(),
        "date": start.date().isoformat(),
        "time": start.strftime("%H:%M"),
        "desk": desk,
        "address": hours.place_info(PLACE)["address"],
        "concern": concern,
    }


def _slot_taken(ctx: ActionContext, start: datetime) -> ActionError:
    """`slot_taken` with the free slots nearest to the wanted one (later ones first on ties)."""
    free = free_slots_on(ctx, start.date())
    nearest = sorted(free, key=lambda s: (abs(s - start), s < start))[:5]
    return ActionError("slot_taken", slots=[_slot_dict(s) for s in nearest])
