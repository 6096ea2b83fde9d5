"""Channel-neutral message types: what adapters produce and what they render.

An adapter turns a provider's payload into one `InboundMessage`; the engine answers
with `Reply` objects, which each adapter renders in its own way (inline keyboard,
numbered list, chips on the web page).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class Button(BaseModel):
    """A shortcut the citizen can tap; typing the title works as well."""

    title: str
    payload: str


class Reply(BaseModel):
    """One outbound message: text, optional buttons, optional image."""

    text: str = ""
    buttons: list[Button] = Field(default_factory=list)
    image_url: str | None = None


class Media(BaseModel):
    """A file the citizen sent (photo, voice note, document)."""

    kind: str  # "image", "audio", "video", "document", "sticker"
    url: str | None = None
    content_type: str | None = None
    provider_id: str | None = None


class Location(BaseModel):
    """A shared location (a channel's NaN or 1e999 is refused here, as a ValueError)."""

    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    name: str | None = None
    address: str | None = None


class InboundMessage(BaseModel):
    """One message from a citizen, whatever the channel it came through."""

    channel: str  # "web", "telegram", "twilio", "whatsapp", "terminal"
    sender_id: str  # the channel's user id (chat id, E.164 phone, web session id)
    text: str | None = None
    payload: str | None = None  # a tapped button or a deep-link start payload
    provider_message_id: str | None = None
    sender_name: str | None = None
    language_hint: str | None = None  # e.g. the web page's language switch
    media: list[Media] = Field(default_factory=list)
    location: Location | None = None
    received_at: datetime | None = None
    # The web chat's client address, for guess limits per address (never stored).
    client_address: str | None = None
