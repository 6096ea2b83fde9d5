"""Button payloads on channels that cannot carry them as they are.

- Telegram callback data holds at most 64 bytes: longer payloads are stored in
  `channel_payload` under `h:` + a hash, so the same payload always gets the same key
  (a retried send needs no new row) and the key leads back to the payload.
- Where buttons become a numbered list (Twilio without Content templates, long lists
  on the Cloud API), the answer "2" or a button's title is resolved against the last
  buttons the contact was shown, read from the transcript: the transcript already
  records every reply with its buttons, so nothing else has to remember them.
"""

from __future__ import annotations

import base64
import hashlib

from sqlalchemy import bindparam
from sqlalchemy.engine import Engine as DbEngine
from sqlmodel import Session, select

from bot.channels.models import ChannelPayload
from bot.core.db import insert_ignore, transaction
from bot.core.messages import Button
from bot.core.models import Message

CALLBACK_LIMIT = 64
KEY_PREFIX = "h:"


def short_key(payload: str) -> str:
    """The callback data for `payload`: itself when it fits, else a stable hash key."""
    if len(payload.encode()) <= CALLBACK_LIMIT and not payload.startswith(KEY_PREFIX):
        return payload
    digest = hashlib.sha256(payload.encode()).digest()
    return KEY_PREFIX + base64.urlsafe_b64encode(digest).decode()[:22]


def store_payloads(db: DbEngine, payloads: list[str]) -> dict[str, str]:
    """Map every payload to its callback data, storing the long ones."""
    keys = {payload: short_key(payload) for payload in payloads}
    long = {k: p for p, k in keys.items() if k != p}
    if long:
        with transaction(db) as session:
            for key, payload in long.items():
                insert_ignore(session, ChannelPayload, {"key": key, "payload": payload})
    return keys


def resolve_payload(db: DbEngine, data: str) -> str | None:
    """The payload behind callback data (None for an unknown key)."""
    if not data.startswith(KEY_PREFIX):
        return data
    with Session(db) as session:
        row = session.get(ChannelPayload, data)
        return row.payload if row else None


_RECENT = (
    select(Message.direction, Message.data)
    .where(Message.conversation_id == bindparam("conversation_id"))
    .order_by(Message.id.desc())  # type: ignore[union-attr]
    .limit(10)
)


def conversation_buttons(session: Session, conversation_id: int) -> list[Button]:
    """The buttons of the newest bot message since the contact's last inbound message."""
    recent = session.exec(  # type: ignore[call-overload]
        _RECENT, params={"conversation_id": conversation_id}
    ).all()
    for direction, data in recent:
        if direction == "in":
            return []
        buttons = ((data or {}).get("reply") or {}).get("buttons") or []
        if buttons:
            return [Button(**b) for b in buttons]
    return []


def choice_in(session: Session, conversation_id: int, text: str) -> Button | None:
    """The button a typed answer means: its number in the list, or its exact title
    (read in the caller's transaction: the engine's, under the conversation's lock)."""
    answer = _answer(text)
    if answer is None:
        return None
    return _match(answer, conversation_buttons(session, conversation_id))


def _answer(text: str) -> str | None:
    answer = text.strip().rstrip(".").casefold()
    return answer if answer and len(answer) <= 100 else None


def _match(answer: str, buttons: list[Button]) -> Button | None:
    if answer.isdigit() and 1 <= int(answer) <= len(buttons):
        return buttons[int(answer) - 1]
    return next((b for b in buttons if b.title.casefold() == answer), None)
