"""Who is asking: Rasa's `sender_id` and input channel as a Stadtbot contact.

Rasa's Telegram and Twilio channels use the same sender ids as Stadtbot's own adapters
(the Telegram chat id, `whatsapp:+49…`), so a citizen who talks to the Rasa assistant on
Telegram is the same contact as on Stadtbot's Telegram bot: the same bookings, the same
claimed vouchers. Every other channel (`rest`, `socketio`, a custom one) gets contacts of
the channel `rasa`, keyed by channel and sender.
"""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from bot.core.models import Contact, Conversation, utcnow

SHARED_CHANNELS = frozenset({"telegram", "twilio"})
RASA_CHANNEL = "rasa"
MAX_USER_ID = 128


def contact_key(sender_id: str, input_channel: str | None) -> tuple[str, str]:
    """(channel, channel_user_id) of the Stadtbot contact for a Rasa sender."""
    channel = (input_channel or "").strip().lower()
    if channel in SHARED_CHANNELS:
        return channel, sender_id[:MAX_USER_ID]
    return RASA_CHANNEL, f"{channel or 'rest'}:{sender_id}"[:MAX_USER_ID]


def contact_for(session: Session, sender_id: str, input_channel: str | None) -> Contact:
    """The contact of this sender, created (with its conversation) on first use.

    Safe when two calls of a new sender arrive at once: INSERT … ON CONFLICT DO NOTHING,
    then read.
    """
    channel, user_id = contact_key(sender_id, input_channel)
    query = select(Contact).where(Contact.channel == channel, Contact.channel_user_id == user_id)
    contact = session.exec(query).first()
    if contact is not None:
        return contact
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.exec(  # type: ignore[call-overload]
        insert(Contact)
        .values(
            channel=channel,
            channel_user_id=user_id,
            language_locked=False,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing()
    )
    contact = session.exec(query).one()
    session.exec(  # type: ignore[call-overload]
        insert(Conversation)
        .values(contact_id=contact.id, mode="bot", state={}, message_count=0, updated_at=utcnow())
        .on_conflict_do_nothing()
    )
    return contact
