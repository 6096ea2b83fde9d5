"""Sending: the recipient list is fixed when sending starts, every message is an outbox
row, and pause, resume and cancel change the rows not yet claimed.

Start (now, or by the scheduler at `send_at`) writes, in one transaction and with
set-based INSERT … SELECT statements (100,000 recipients in seconds, not minutes): the
recipient list (`broadcast_recipient`, unique per contact, so nobody is listed twice),
one transcript line per recipient in its conversation, and one outbox row per
recipient (kind "broadcast", priority 1 if urgent else 2, `broadcast_id` set). From
there the dispatcher does the rest, interleaved with conversation replies (priority 0,
claimed first), within the channels' rate limits, across any number of workers. A
worker killed mid-broadcast loses nothing: its leases expire and the rows are sent by
the next claim (the outbox's documented duplicate window applies, nothing more).

Pause marks the broadcast's pending rows `paused` (rows in flight finish); resume makes
them pending again; cancel marks pending and paused rows `cancelled`. Each locks the
broadcast row first, so two of them (or a start) never interleave, and a double send
finds the broadcast already sending and is refused.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from sqlalchemy import case, cast, func, insert, literal, select, update
from sqlalchemy.types import JSON
from sqlmodel import Session

from bot.broadcasts.audience import Target, audience
from bot.broadcasts.errors import Conflict, Invalid, NotFound
from bot.broadcasts.models import Broadcast, BroadcastRecipient
from bot.core.models import Contact, Conversation, Message, Outbox
from bot.core.outbox import PULL_CHANNELS
from bot.core.settings import LANGUAGES, Settings

log = logging.getLogger(__name__)

URGENT, NORMAL = 1, 2  # outbox priorities (replies are 0)
OPEN = ("pending", "sending")


def lock(session: Session, broadcast_id: int) -> Broadcast:
    """The broadcast, its row locked until the transaction ends."""
    broadcast = session.exec(  # type: ignore[call-overload]
        select(Broadcast)
        .where(Broadcast.id == broadcast_id)  # type: ignore[arg-type]
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalars().first()
    if broadcast is None:
        raise NotFound(f"Keine Nachricht mit der Nummer {broadcast_id}.")
    return broadcast  # type: ignore[no-any-return]


def languages(broadcast: Broadcast) -> list[str]:
    """The languages the broadcast has a text in (German always)."""
    return [lang for lang in LANGUAGES if (broadcast.texts.get(lang) or "").strip()]


def reply_body(broadcast: Broadcast, lang: str) -> dict[str, Any]:
    """The outgoing message in one language, as an outbox body holds it."""
    body: dict[str, Any] = {"text": broadcast.texts[lang].strip(), "buttons": broadcast.buttons}
    if broadcast.image_url:
        body["image_url"] = broadcast.image_url
    return body


def start(session: Session, broadcast_id: int, now: datetime, settings: Settings) -> Broadcast:
    """Fix the recipients and queue every message; a draft or scheduled broadcast only."""
    broadcast = lock(session, broadcast_id)
    if broadcast.status not in ("draft", "scheduled"):
        raise Conflict(
            f"Nachricht {broadcast_id} ist schon {_STATE_DE[broadcast.status]}; "
            "sie wird nicht noch einmal gesendet."
        )
    count = _materialise(session, broadcast, now, settings)
    if count == 0:
        raise Invalid("Niemand hat diese Themen auf diesen Kanälen abonniert.")
    broadcast.status, broadcast.recipients, broadcast.started_at = "sending", count, now
    session.add(broadcast)
    session.flush()
    log.info("broadcast %s: sending to %d recipients", broadcast_id, count)
    return broadcast


def _json(session: Session, value: Any):  # type: ignore[no-untyped-def]
    """A JSON constant inside INSERT … SELECT (PostgreSQL needs the cast, SQLite not)."""
    text = literal(json.dumps(value, ensure_ascii=False))
    return cast(text, JSON) if session.get_bind().dialect.name == "postgresql" else text


def _materialise(session: Session, broadcast: Broadcast, now: datetime, settings: Settings) -> int:
    assert broadcast.id is not None
    langs = languages(broadcast)
    target = Target(broadcast.topics, broadcast.districts, broadcast.channels, langs)
    chosen = audience(target, settings.default_language).subquery()
    recipients = BroadcastRecipient.__table__  # type: ignore[attr-defined]
    session.execute(
        insert(recipients).from_select(
            ["broadcast_id", "contact_id", "channel", "language"],
            select(literal(broadcast.id), chosen.c.contact_id, chosen.c.channel, chosen.c.language),
        )
    )
    mine = recipients.c.broadcast_id == broadcast.id
    conversations = Conversation.__table__  # type: ignore[attr-defined]
    session.execute(  # contacts that never wrote (imported) have no conversation yet
        insert(conversations).from_select(
            ["contact_id", "mode", "state", "message_count", "updated_at"],
            select(
                recipients.c.contact_id, literal("bot"), _json(session, {}), literal(0),
                literal(now),
            ).where(
                mine,
                ~select(conversations.c.id)
                .where(conversations.c.contact_id == recipients.c.contact_id)
                .exists(),
            ),
        )
    )
    messages = Message.__table__  # type: ignore[attr-defined]
    outbox = Outbox.__table__  # type: ignore[attr-defined]
    contacts = Contact.__table__  # type: ignore[attr-defined]
    author = f"broadcast:{broadcast.id}"
    priority = URGENT if broadcast.urgent else NORMAL
    pulled = messages.c.channel.in_(sorted(PULL_CHANNELS))
    for lang in langs:
        body = reply_body(broadcast, lang)
        data = {"reply": body, "kind": "broadcast", "broadcast_id": broadcast.id}
        floor = session.execute(select(func.coalesce(func.max(messages.c.id), 0))).scalar_one()
        session.execute(
            insert(messages).from_select(
                ["conversation_id", "direction", "channel", "text", "data", "author", "created_at"],
                select(
                    conversations.c.id, literal("out"), recipients.c.channel,
                    literal(body["text"]),
                    _json(session, data),
                    literal(author), literal(now),
                )
                .join(conversations, conversations.c.contact_id == recipients.c.contact_id)
                .where(mine, recipients.c.language == lang),
            )
        )
        session.execute(
            insert(outbox).from_select(
                [
                    "message_id", "contact_id", "channel", "recipient", "body", "status",
                    "attempts", "next_attempt_at", "created_at", "sent_at", "priority",
                    "broadcast_id",
                ],
                select(
                    messages.c.id, contacts.c.id, messages.c.channel, contacts.c.channel_user_id,
                    _json(session, {**body, "kind": "broadcast"}),
                    case((pulled, literal("sent")), else_=literal("pending")),
                    literal(0), literal(now), literal(now),
                    case((pulled, literal(now)), else_=None),
                    literal(priority), literal(broadcast.id),
                )
                .join(conversations, conversations.c.id == messages.c.conversation_id)
                .join(contacts, contacts.c.id == conversations.c.contact_id)
                .where(messages.c.id > floor, messages.c.author == author),
            )
        )
    return int(session.execute(select(func.count()).where(mine)).scalar_one())


def pause(session: Session, broadcast_id: int, now: datetime) -> Broadcast:
    broadcast = lock(session, broadcast_id)
    if broadcast.status != "sending":
        raise Conflict(f"Nur eine Nachricht im Versand lässt sich anhalten; diese ist "
                       f"{_STATE_DE[broadcast.status]}.")
    _move(session, broadcast_id, ("pending",), "paused")
    return _set_status(session, broadcast, "paused")


def resume(session: Session, broadcast_id: int, now: datetime) -> Broadcast:
    broadcast = lock(session, broadcast_id)
    if broadcast.status != "paused":
        raise Conflict(f"Nur eine angehaltene Nachricht lässt sich fortsetzen; diese ist "
                       f"{_STATE_DE[broadcast.status]}.")
    _move(session, broadcast_id, ("paused",), "pending", next_attempt_at=now)
    return _set_status(session, broadcast, "sending")


def cancel(session: Session, broadcast_id: int, now: datetime) -> Broadcast:
    broadcast = lock(session, broadcast_id)
    if broadcast.status in ("cancelled", "done"):
        raise Conflict(f"Die Nachricht ist schon {_STATE_DE[broadcast.status]}.")
    _move(session, broadcast_id, ("pending", "paused"), "cancelled")
    broadcast.finished_at = now
    return _set_status(session, broadcast, "cancelled")


def _move(
    session: Session, broadcast_id: int, old: tuple[str, ...], new: str, **values: Any
) -> None:
    session.execute(
        update(Outbox)
        .where(
            Outbox.broadcast_id == broadcast_id,  # type: ignore[arg-type]
            Outbox.status.in_(old),  # type: ignore[attr-defined]
        )
        .values(status=new, **values)
    )


def _set_status(session: Session, broadcast: Broadcast, status: str) -> Broadcast:
    broadcast.status = status
    session.add(broadcast)
    session.flush()
    log.info("broadcast %s: %s", broadcast.id, status)
    return broadcast


_STATE_DE = {
    "draft": "ein Entwurf", "scheduled": "geplant", "sending": "im Versand",
    "paused": "angehalten", "cancelled": "abgebrochen", "done": "fertig gesendet",
}


# --- the scheduler's jobs (bot/scheduler.py), safe in any number of workers -----------


def start_due(session: Session, now: datetime, settings: Settings) -> int:
    """Start scheduled broadcasts whose time has come (also those missed while no worker
    ran: they start at the next worker start, late rather than never)."""
    due = session.execute(
        select(Broadcast.id)
        .where(Broadcast.status == "scheduled", Broadcast.send_at <= now)  # type: ignore[arg-type,operator]
        .order_by(Broadcast.send_at)  # type: ignore[arg-type]
        .with_for_update(skip_locked=True)
    ).scalars().all()
    for broadcast_id in due:
        try:
            with session.begin_nested():
                start(session, broadcast_id, now, settings)
        except Invalid as exc:  # nobody subscribed by now: nothing to send, say so
            log.warning("scheduled broadcast %s not sent: %s", broadcast_id, exc)
            broadcast = lock(session, broadcast_id)
            broadcast.finished_at = now
            _set_status(session, broadcast, "done")
    return len(due)


def finish_sent(session: Session, now: datetime, settings: Settings) -> int:
    """Mark broadcasts done whose rows are all out of the queue (sent, failed, held,
    cancelled)."""
    sending = session.execute(
        select(Broadcast.id).where(Broadcast.status == "sending")  # type: ignore[arg-type]
    ).scalars().all()
    finished = 0
    for broadcast_id in sending:
        still_open = session.execute(
            select(Outbox.id)
            .where(
                Outbox.broadcast_id == broadcast_id,  # type: ignore[arg-type]
                Outbox.status.in_(OPEN),  # type: ignore[attr-defined]
            )
            .limit(1)
        ).first()
        if still_open is None:
            broadcast = lock(session, broadcast_id)
            if broadcast.status == "sending":
                broadcast.finished_at = now
                _set_status(session, broadcast, "done")
                finished += 1
    return finished
