"""QR codes and the deep links in them: one scan starts the right flow with its context.

A payload names a place or an action (`boat_dock`, `shop_17`, `service_bulky_waste`);
it fits Telegram's `start` parameter (≤ 64 characters of `A-Za-z0-9_-`), so the same
payload works on every channel:

- web: `<PUBLIC_BASE_URL>/chat?start=<payload>`
- Telegram: `https://t.me/<TELEGRAM_BOT_USERNAME>?start=<payload>`
- WhatsApp: `https://wa.me/<number>?text=<payload>` (number from WHATSAPP_DISPLAY_NUMBER,
  else TWILIO_WHATSAPP_FROM); the engine treats a first message equal to a payload as one.
"""

from __future__ import annotations

import io
import os
import re
from urllib.parse import quote

import segno
from sqlmodel import Session

from actions.merchants import merchant_from_payload
from actions.models import Merchant
from bot.core.settings import Settings

PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
CHANNELS = ("web", "telegram", "whatsapp")


class PayloadError(ValueError):
    """A deep-link payload Telegram (and so Stadtbot) would not accept."""


def check_payload(payload: str) -> str:
    """The payload itself if valid, else `PayloadError` saying what is allowed."""
    if not PAYLOAD.match(payload or ""):
        raise PayloadError(f"payload {payload[:80]!r} must be 1-64 characters of A-Z a-z 0-9 _ -")
    return payload


def _setting(settings: Settings, key: str) -> str:
    return str(getattr(settings, key, None) or os.environ.get(key.upper(), ""))


def base_url(settings: Settings) -> str:
    """Where citizens reach the web chat."""
    return settings.public_base_url.rstrip("/") or f"http://{settings.host}:{settings.port}"


def whatsapp_number(settings: Settings) -> str:
    """Digits of the city's WhatsApp number, or "" if WhatsApp is not set up."""
    raw = _setting(settings, "whatsapp_display_number") or settings.twilio_whatsapp_from
    return re.sub(r"\D", "", raw)


def deep_links(payload: str, settings: Settings) -> dict[str, str]:
    """Links per configured channel that open the bot with `payload`."""
    check_payload(payload)
    links = {"web": f"{base_url(settings)}/chat?start={payload}"}
    bot = _setting(settings, "telegram_bot_username").lstrip("@")
    if bot:
        links["telegram"] = f"https://t.me/{bot}?start={payload}"
    number = whatsapp_number(settings)
    if number:
        links["whatsapp"] = f"https://wa.me/{number}?text={quote(payload)}"
    return links


def qr_png(data: str, scale: int = 8) -> bytes:
    """A PNG QR code for `data` (error correction M, quiet zone 4 modules)."""
    buffer = io.BytesIO()
    segno.make(data, error="m").save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


def qr_svg(data: str, scale: int = 8) -> str:
    """An SVG QR code for `data`, for print (scales without blur)."""
    buffer = io.BytesIO()
    segno.make(data, error="m").save(buffer, kind="svg", scale=scale, border=4, xmldecl=False)
    return buffer.getvalue().decode("utf-8")


def describe(session: Session, payload: str) -> dict[str, str]:
    """Title and subtitle for a poster of `payload` (German: posters hang in Ahaus)."""
    if payload == "boat_dock":
        return {"title": "Bootsverleih am Schlossgraben", "subtitle": "Boot per Chat buchen"}
    merchant_id = merchant_from_payload(payload)
    if merchant_id is not None:
        merchant = session.get(Merchant, merchant_id)
        if merchant is not None:
            where = f"{merchant.street} {merchant.house_number}"
            subtitle = f"Mit dem Stadtgutschein bezahlen · {where}"
            return {"title": merchant.name, "subtitle": subtitle}
    if payload.startswith("service_"):
        name = payload.removeprefix("service_").replace("_", " ")
        return {"title": "Stadtbot", "subtitle": f"Antrag per Chat: {name}"}
    return {"title": "Stadtbot", "subtitle": "Die Stadt im Chat"}
