"""Boat reminders go out once, an hour before the start, never for cancelled bookings."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from actions.reminders import enqueue_due_reminders
from bot.core.db import transaction
from bot.core.models import Message, Outbox


def test_reminder_once_an_hour_before(engine, demo, call, new_contact, now, settings):
    me, other = new_contact(), new_contact(language="nl")
    booking = call("boats.book", me, type="Kanu", date="2027-06-01", time="14:00", duration=60)
    kept = call("boats.book", other, type="Tretboot", date="2027-06-01", time="14:30", duration=60)
    gone = call("boats.book", other, type="Ruderboot", date="2027-06-01", time="14:00", duration=60)
    call("boats.cancel", other, reference=gone["reference"])

    def run(at):
        with transaction(engine) as session:
            return enqueue_due_reminders(session, at, settings)

    assert run(now.replace(hour=12, minute=55)) == 0  # 65 minutes before: too early
    assert run(now.replace(hour=13, minute=0)) == 1
    assert run(now.replace(hour=13, minute=5)) == 0  # idempotent
    assert run(now.replace(hour=13, minute=30)) == 1  # the pedal boat at 14:30
    assert run(now.replace(hour=15) + timedelta(days=1)) == 0
    with transaction(engine) as session:
        rows = session.exec(select(Outbox).order_by(Outbox.id)).all()
        assert [(r.contact_id, r.body["kind"]) for r in rows] == [
            (me, "reminder"),
            (other, "reminder"),
        ]
        first = session.get(Message, rows[0].message_id)
        assert booking["reference"] in first.text and "14:00" in first.text
        assert "https://stadtbot.example/qr/ticket/" in first.text
        second = session.get(Message, rows[1].message_id)
        assert kept["reference"] in second.text and "Herinnering" in second.text
