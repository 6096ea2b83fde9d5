"""Composing a broadcast: the checks every way in shares (API, page, CLI), creation
with an idempotency key, and the test send to oneself.

A request is checked whole, and the first problem is named in words the team
understands: an empty German text, a text too long for a channel it goes to, a time in
the past, an unknown topic or part of town, an image that was not uploaded, buttons a
channel cannot show, nobody to send to.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot.broadcasts.audience import Target, preview
from bot.broadcasts.errors import Conflict, Invalid, NotFound
from bot.broadcasts.models import Broadcast, BroadcastImage
from bot.core.messages import Reply
from bot.core.models import Contact
from bot.core.outbox import enqueue
from bot.core.settings import LANGUAGES, Settings
from bot.core.subscriptions import district_ids, topic_ids

CHANNELS = ("telegram", "twilio", "whatsapp", "web")
# The longest text each channel takes in one broadcast message. WhatsApp (both ways in)
# reaches people outside the 24-hour window only with a template whose one variable
# holds at most 1,000 characters, so broadcasts there are held to that.
TEXT_LIMITS = {"telegram": 4096, "twilio": 1000, "whatsapp": 1000, "web": 4000}
MAX_BUTTONS = 3  # reply buttons on WhatsApp
BUTTON_TITLE_MAX = 20
PAYLOAD_RE = re.compile(r"[A-Za-z0-9_:=.-]{1,64}")
IMAGE_PATH_RE = re.compile(r"/media/broadcasts/(\d+)")
# A time "now" from a slow form is not in the past.
PAST_GRACE = timedelta(seconds=30)


@dataclass(frozen=True)
class Draft:
    """What the team asks for; `send_at` aware (a naive time is the city's time)."""

    texts: dict[str, str]
    topics: list[str]
    districts: list[str] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)
    send_at: datetime | None = None
    urgent: bool = False
    image_url: str | None = None
    buttons: list[dict[str, str]] = field(default_factory=list)

    def target(self) -> Target:
        langs = [lang for lang in LANGUAGES if self.texts.get(lang, "").strip()]
        return Target(self.topics, self.districts, self.channels, langs)

    def digest(self) -> str:
        """Same request, same digest (an idempotent retry is recognised by it)."""
        data = asdict(self)
        data["send_at"] = self.send_at.astimezone(UTC).isoformat() if self.send_at else None
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def check(session: Session, draft: Draft, settings: Settings, now: datetime) -> Draft:
    """The draft with its texts trimmed and its time made aware, or `Invalid`."""
    texts = {lang: (draft.texts.get(lang) or "").strip() for lang in LANGUAGES}
    unknown_langs = sorted(set(draft.texts) - set(LANGUAGES))
    if unknown_langs:
        raise Invalid(f"Unbekannte Sprache {unknown_langs[0]!r}; möglich sind de, en, nl.")
    if not texts["de"]:
        raise Invalid("Der deutsche Text fehlt (er ist Pflicht; en und nl fallen auf ihn zurück).")
    if not draft.topics:
        raise Invalid("Bitte mindestens ein Thema wählen.")
    for topic in draft.topics:
        if topic not in topic_ids():
            raise Invalid(f"Unbekanntes Thema {topic!r}; bekannt sind {', '.join(topic_ids())}.")
    for district in draft.districts:
        if district not in district_ids():
            raise Invalid(
                f"Unbekannter Ortsteil {district!r}; bekannt sind {', '.join(district_ids())}."
            )
    for channel in draft.channels:
        if channel not in CHANNELS:
            raise Invalid(f"Unbekannter Kanal {channel!r}; möglich sind {', '.join(CHANNELS)}.")
    for channel in draft.channels or CHANNELS:
        limit = TEXT_LIMITS[channel]
        for lang, text in texts.items():
            if len(text) > limit:
                raise Invalid(
                    f"Der Text ({lang}) hat {len(text)} Zeichen; {channel} erlaubt höchstens "
                    f"{limit}. Bitte kürzen oder diesen Kanal abwählen."
                )
    send_at = draft.send_at
    if send_at is not None:
        if send_at.tzinfo is None:
            send_at = send_at.replace(tzinfo=settings.tz)
        if send_at < now - PAST_GRACE:
            local = send_at.astimezone(settings.tz).strftime("%d.%m.%Y %H:%M")
            raise Invalid(f"Der Sendezeitpunkt {local} liegt in der Vergangenheit.")
    _check_buttons(draft.buttons)
    if draft.image_url is not None:
        match = IMAGE_PATH_RE.fullmatch(draft.image_url)
        if match is None or session.get(BroadcastImage, int(match[1])) is None:
            raise Invalid("Das Bild wurde nicht hochgeladen (erst hochladen, dann senden).")
    texts = {lang: text for lang, text in texts.items() if text}
    return Draft(
        texts, list(dict.fromkeys(draft.topics)), list(dict.fromkeys(draft.districts)),
        list(dict.fromkeys(draft.channels)), send_at, draft.urgent, draft.image_url,
        draft.buttons,
    )


def _check_buttons(buttons: list[dict[str, str]]) -> None:
    if len(buttons) > MAX_BUTTONS:
        raise Invalid(f"Höchstens {MAX_BUTTONS} Knöpfe (WhatsApp zeigt nicht mehr).")
    for button in buttons:
        title = str(button.get("title") or "").strip()
        if not 1 <= len(title) <= BUTTON_TITLE_MAX:
            raise Invalid(f"Ein Knopf braucht einen Titel mit 1 bis {BUTTON_TITLE_MAX} Zeichen.")
        if not PAYLOAD_RE.fullmatch(str(button.get("payload") or "")):
            raise Invalid(
                "Die Aktion eines Knopfs muss 1–64 Zeichen aus A–Z, a–z, 0–9 und _:=.- sein "
                "(z. B. flow:subscription_settings)."
            )


def create(
    session: Session,
    draft: Draft,
    *,
    author: str,
    idempotency_key: str | None,
    settings: Settings,
    now: datetime,
) -> tuple[Broadcast, bool]:
    """A new draft (or scheduled) broadcast; with a key already used for the same
    request, that broadcast again (`False`: nothing new was created)."""
    draft = check(session, draft, settings, now)
    digest = draft.digest()
    if idempotency_key:
        earlier = _by_key(session, idempotency_key)
        if earlier is not None:
            return _replay(earlier, digest), False
    audience = preview(session, draft.target(), settings)
    if audience["recipients"] == 0:
        raise Invalid("Niemand hat diese Themen auf diesen Kanälen abonniert.")
    broadcast = Broadcast(
        status="scheduled" if draft.send_at else "draft",
        texts=draft.texts, topics=draft.topics, districts=draft.districts,
        channels=draft.channels, buttons=draft.buttons, image_url=draft.image_url,
        send_at=draft.send_at, urgent=draft.urgent, created_by=author,
        idempotency_key=idempotency_key or None, request_hash=digest,
        recipients=audience["recipients"], created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(broadcast)
            session.flush()
    except IntegrityError:  # the same key in a concurrent request won the race
        earlier = _by_key(session, idempotency_key or "")
        if earlier is None:
            raise
        return _replay(earlier, digest), False
    return broadcast, True


def _by_key(session: Session, key: str) -> Broadcast | None:
    return session.exec(select(Broadcast).where(Broadcast.idempotency_key == key)).first()


def _replay(earlier: Broadcast, digest: str) -> Broadcast:
    if earlier.request_hash != digest:
        raise Conflict(
            "Dieser Idempotency-Key gehört schon zu einer anderen Nachricht "
            f"(Nummer {earlier.id}); für eine neue Nachricht bitte einen neuen Schlüssel."
        )
    return earlier


def send_to_self(session: Session, broadcast_id: int, channel: str, user_id: str) -> int:
    """Send the broadcast to one contact (oneself), marked as a test; not counted in
    the report. Returns the transcript message's id."""
    broadcast = session.get(Broadcast, broadcast_id)
    if broadcast is None:
        raise NotFound(f"Keine Nachricht mit der Nummer {broadcast_id}.")
    contact = session.exec(
        select(Contact).where(Contact.channel == channel, Contact.channel_user_id == user_id)
    ).first()
    if contact is None:
        raise NotFound(
            f"Kein Kontakt {channel}:{user_id}. Schreiben Sie dem Bot zuerst selbst auf diesem "
            "Kanal eine Nachricht."
        )
    lang = contact.language if contact.language in broadcast.texts else "de"
    reply = Reply(
        text="[TEST] " + broadcast.texts[lang],
        buttons=broadcast.buttons,  # type: ignore[arg-type]  # dicts, validated by Reply
        image_url=broadcast.image_url,
    )
    return enqueue(session, contact, reply, author="broadcast-test", kind="broadcast")


def draft_from(data: dict[str, Any]) -> Draft:
    """A Draft from the API's / CLI's JSON shape."""
    return Draft(
        texts=dict(data.get("texts") or {}),
        topics=list(data.get("topics") or []),
        districts=list(data.get("districts") or []),
        channels=list(data.get("channels") or []),
        send_at=_moment(data.get("send_at")),
        urgent=bool(data.get("urgent", False)),
        image_url=data.get("image_url"),
        buttons=[dict(b) for b in data.get("buttons") or []],
    )


def _moment(value: Any) -> datetime | None:
    """ISO 8601 text (or a datetime) → datetime; anything else is `Invalid`."""
    if value is None or isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        raise Invalid(f"Sendezeitpunkt {value!r} ist keine Zeit wie 2026-12-24T10:00.") from None
