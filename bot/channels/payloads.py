"""Button payloads on channels that cannot carry them as they are.

- Telegram callback data holds at most 64 bytes: longer payloads are stored in
  `channel_payload` under `h:` + a hash, so the same payload always gets the same key
  (a retried send needs no new row) and the key leads back to the payload.
- Where buttons become a numbered list (Twilio without Content templates, long lists
  on the Cloud API), the answer "2" or a button's title is resolved by the engine
  against the last buttons shown, which the conversation's state keeps
  (`flows.state.typed_choice`).
"""

from __future__ import annotations

import base64
import hashlib

from sqlalchemy.engine import Engine as DbEngine
from sqlmodel import Session

from bot.channels.models import ChannelPayload
from bot.core.db import insert_ignore, transaction

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
