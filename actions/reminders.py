"""Boat reminders: one message an hour before the rental starts, sent once.

`enqueue_due_reminders` is called periodically by the worker. It claims due bookings
with `FOR UPDATE SKIP LOCKED` on PostgreSQL (several workers never remind twice; SQLite
serialises writers anyway) and marks each as reminded in the same transaction that
writes the outbox row, so a crash can neither lose nor duplicate a reminder.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from actions.boats import config, ticket_path
from actions.models import Boat, BoatBooking
from actions.notify import notify_reminder
from bot.core.models import Contact
from bot.core.settings import Settings, get_settings


def enqueue_due_reminders(session: Session, now: datetime, settings: Settings | None = None) -> int:
    """Queue reminders for bookings starting within the reminder lead; returns how many."""
    settings = settings or get_settings()
    now_utc = now.astimezone(UTC)
    horizon = now_utc + timedelta(minutes=config().reminder_minutes)
    due = session.exec(
        select(BoatBooking)
        .where(
            BoatBooking.status == "booked",
            BoatBooking.reminder_sent == False,  # noqa: E712
            BoatBooking.start_at > now_utc,
            BoatBooking.start_at <= horizon,
        )
        .order_by(BoatBooking.id)  # type: ignore[arg-type]
        .with_for_update(skip_locked=True)
    ).all()
    base = settings.public_base_url.rstrip("/")
    for booking in due:
        contact = session.get(Contact, booking.contact_id)
        boat = session.get(Boat, booking.boat_id)
        if contact is not None and boat is not None:
            notify_reminder(
                session,
                contact,
                boat=boat.name,
                reference=booking.reference,
                time=booking.start_at.astimezone(settings.tz).strftime("%H:%M"),
                dock=boat.dock,
                ticket_url=f"{base}{ticket_path(booking)}",
            )
        booking.reminder_sent = True
        session.add(booking)
    session.flush()
    return len(due)
