"""Broadcast service on SQLite and PostgreSQL: checks, idempotency, the fixed recipient
list in the outbox, pause/resume/cancel, withdrawal, scheduling, reports."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bot.broadcasts import compose, reports, sending
from bot.broadcasts.consent import apply_consent
from bot.broadcasts.errors import Conflict, Invalid
from bot.broadcasts.models import Broadcast
from bot.core.db import make_engine, transaction
from bot.core.models import Outbox, utcnow
from flows.events import ConsentChanged
from tests.broadcasts.conftest import subscriber

TEXTS = {"de": "Sturmwarnung für Ahaus", "en": "Storm warning for Ahaus"}


@pytest.fixture
def db(db_url: str):
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


def create(db, settings, **values) -> Broadcast:
    data = {"texts": TEXTS, "topics": ["warnungen"], **values}
    key = data.pop("key", None)
    with transaction(db) as session:
        broadcast, _ = compose.create(
            session, compose.draft_from(data), author="presse", idempotency_key=key,
            settings=settings, now=utcnow(),
        )
        return broadcast


def outbox(db) -> list[Outbox]:
    with Session(db) as session:
        return list(session.exec(select(Outbox).order_by(Outbox.id)))


def test_start_queues_one_message_per_subscriber_in_its_language(db, db_url, settings_for):
    settings = settings_for(db_url)
    subscriber(db, "telegram", "1", language="de")
    subscriber(db, "twilio", "+491", language="en")
    subscriber(db, "whatsapp", "+492", language="nl")  # no Dutch text: German
    subscriber(db, "telegram", "3", topic="abfall")  # other topic
    subscriber(db, "web", "w1", language="en")
    broadcast = create(db, settings, urgent=True)
    assert (broadcast.status, broadcast.recipients) == ("draft", 4)
    with transaction(db) as session:
        sending.start(session, broadcast.id, utcnow(), settings)
    rows = outbox(db)
    assert sorted((r.channel, r.body["text"]) for r in rows) == [
        ("telegram", "Sturmwarnung für Ahaus"), ("twilio", "Storm warning for Ahaus"),
        ("web", "Storm warning for Ahaus"), ("whatsapp", "Sturmwarnung für Ahaus"),
    ]
    marks = {(r.priority, r.broadcast_id, r.body["kind"]) for r in rows}
    assert marks == {(1, broadcast.id, "broadcast")}
    assert {r.channel: r.status for r in rows}["web"] == "sent"  # the page pulls it
    with transaction(db) as session, pytest.raises(Conflict, match="nicht noch einmal"):
        sending.start(session, broadcast.id, utcnow(), settings)
    assert len(outbox(db)) == 4
    with Session(db) as session:
        counts = reports.report(session, broadcast.id)["counts"]
    assert (counts["pending"], counts["sent"]) == (3, 1)


def test_same_key_same_broadcast_other_body_conflict(db, db_url, settings_for):
    settings = settings_for(db_url)
    subscriber(db, "telegram", "1")
    first = create(db, settings, key="k-1")
    assert create(db, settings, key="k-1").id == first.id
    with pytest.raises(Conflict, match="Idempotency-Key"):
        create(db, settings, key="k-1", texts={"de": "anders"})
    with Session(db) as session:
        assert len(session.exec(select(Broadcast)).all()) == 1


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"texts": {"de": "  "}}, "deutsche Text fehlt"),
        ({"texts": {"de": "x" * 1001}}, "twilio erlaubt höchstens 1000"),
        ({"topics": ["kirmes"]}, "Unbekanntes Thema 'kirmes'"),
        ({"topics": []}, "mindestens ein Thema"),
        ({"districts": ["Berlin"]}, "Unbekannter Ortsteil"),
        ({"channels": ["sms"]}, "Unbekannter Kanal"),
        ({"send_at": utcnow() - timedelta(hours=1)}, "in der Vergangenheit"),
        ({"image_url": "/media/broadcasts/99"}, "nicht hochgeladen"),
        ({"buttons": [{"title": "x", "payload": "a b"}]}, "Aktion eines Knopfs"),
        ({"topics": ["abfall"]}, "Niemand hat"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(db, db_url, settings_for, values, message):
    subscriber(db, "telegram", "1")
    with pytest.raises(Invalid, match=message):
        create(db, settings_for(db_url), **values)


def test_long_text_is_fine_on_telegram_only(db, db_url, settings_for):
    subscriber(db, "telegram", "1")
    assert create(db, settings_for(db_url), texts={"de": "x" * 3000}, channels=["telegram"])


def test_pause_resume_cancel_move_only_unsent_rows(db, db_url, settings_for):
    settings = settings_for(db_url)
    for i in range(4):
        subscriber(db, "telegram", str(i))
    broadcast = create(db, settings)
    with transaction(db) as session:
        sending.start(session, broadcast.id, utcnow(), settings)
    first = outbox(db)[0]
    with transaction(db) as session:
        session.get(Outbox, first.id).status = "sent"
    with transaction(db) as session:
        assert sending.pause(session, broadcast.id, utcnow()).status == "paused"
    assert [r.status for r in outbox(db)] == ["sent", "paused", "paused", "paused"]
    with transaction(db) as session, pytest.raises(Conflict):
        sending.pause(session, broadcast.id, utcnow())
    with transaction(db) as session:
        assert sending.resume(session, broadcast.id, utcnow()).status == "sending"
    assert [r.status for r in outbox(db)] == ["sent", "pending", "pending", "pending"]
    with transaction(db) as session:
        assert sending.cancel(session, broadcast.id, utcnow()).status == "cancelled"
    assert [r.status for r in outbox(db)] == ["sent", "cancelled", "cancelled", "cancelled"]
    with Session(db) as session:
        report = reports.report(session, broadcast.id)
    assert (report["counts"]["sent"], report["counts"]["cancelled"]) == (1, 3)
    assert report["progress"] == 1.0


def test_withdrawal_cancels_the_unsent_message_and_is_counted(db, db_url, settings_for):
    settings = settings_for(db_url)
    stays = subscriber(db, "telegram", "1")
    leaves = subscriber(db, "telegram", "2")
    broadcast = create(db, settings)
    with transaction(db) as session:
        sending.start(session, broadcast.id, utcnow(), settings)
        apply_consent(
            session, contact_id=leaves, channel="telegram", language="de",
            event=ConsentChanged(broadcasts=False, wording="STOP", source="stop"), now=utcnow(),
        )
    by_contact = {r.contact_id: r for r in outbox(db)}
    assert by_contact[stays].status == "pending"
    assert (by_contact[leaves].status, by_contact[leaves].last_error) == ("cancelled", "withdrawn")
    with Session(db) as session:
        report = reports.report(session, broadcast.id)
        csv_text = reports.recipients_csv(session, broadcast.id)
    assert (report["counts"]["withdrawn"], report["withdrawn_since"]) == (1, 1)
    assert csv_text.splitlines()[0].startswith("contact_id,channel,recipient,language,state")
    assert ",2,de,withdrawn," in csv_text


def test_scheduled_broadcast_starts_when_due_and_finishes(db, db_url, settings_for):
    settings = settings_for(db_url)
    subscriber(db, "telegram", "1")
    at = utcnow() + timedelta(seconds=5)
    broadcast = create(db, settings, send_at=at.isoformat())
    assert broadcast.status == "scheduled"
    with transaction(db) as session:
        assert sending.start_due(session, utcnow(), settings) == 0
    with transaction(db) as session:
        assert sending.start_due(session, at, settings) == 1
    [row] = outbox(db)
    with transaction(db) as session:
        assert sending.finish_sent(session, at, settings) == 0
        session.get(Outbox, row.id).status = "sent"
    with transaction(db) as session:
        assert sending.finish_sent(session, at, settings) == 1
    with Session(db) as session:
        assert session.get(Broadcast, broadcast.id).status == "done"
