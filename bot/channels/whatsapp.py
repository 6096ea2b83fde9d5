"""WhatsApp Cloud API (Meta, direct): webhook verification, event decoding and sends.

Buttons are rendered by count: up to 3 as reply buttons (titles ≤ 20 characters), up
to 10 as a list (row titles ≤ 24), more as a numbered text answered by number or
title. Outside the 24-hour window only the template configured for the row's kind
(WHATSAPP_TEMPLATES) is sent, with the text as its one body parameter.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy.engine import Engine as DbEngine

from bot.channels.base import (
    ChannelAdapter,
    Delivery,
    OutboundJob,
    PermanentError,
    TransientError,
    absolute_url,
    numbered_text,
    split_text,
)
from bot.channels.fasthttp import JsonPoster, JsonResponse
from bot.channels.phone import to_e164
from bot.channels.window import template_outside_window
from bot.core.messages import Button, InboundMessage, Location, Media, Reply
from bot.core.settings import Settings
from bot.ratelimit import Rate

CHANNEL = "whatsapp"
TEXT_LIMIT = 4096
# Graph error codes that are throttling (retry later) and that will never succeed.
THROTTLED = frozenset({4, 80007, 130429, 131048, 131056})
PERMANENT = frozenset({100, 131008, 131009, 131021, 131026, 131047, 131051, 132000, 132001})


def signature_valid(secret: str, body: bytes, header: str | None) -> bool:
    """`X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body, app secret key>`."""
    if not secret or not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header[len("sha256=") :])


@dataclass
class StatusReport:
    provider_message_id: str
    status: str
    error_code: str | None


@dataclass
class Events:
    """Everything one webhook POST carried."""

    messages: list[InboundMessage] = field(default_factory=list)
    statuses: list[StatusReport] = field(default_factory=list)
    ignored: int = 0


def decode_events(data: dict[str, Any]) -> Events:
    """Decode a Cloud API webhook body (ValueError when it is not one)."""
    if data.get("object") != "whatsapp_business_account" or not isinstance(data.get("entry"), list):
        raise ValueError("not a whatsapp_business_account event")
    events = Events()
    for entry in data["entry"]:
        for change in entry.get("changes") or []:
            value = change.get("value") or {}
            names = {
                c.get("wa_id"): (c.get("profile") or {}).get("name")
                for c in value.get("contacts") or []
            }
            for message in value.get("messages") or []:
                inbound = _message(message, names)
                if inbound is None:
                    events.ignored += 1
                else:
                    events.messages.append(inbound)
            for status in value.get("statuses") or []:
                errors = status.get("errors") or [{}]
                events.statuses.append(
                    StatusReport(
                        str(status["id"]), str(status["status"]),
                        str(errors[0]["code"]) if errors[0].get("code") else None,
                    )
                )
    return events


def _message(message: dict[str, Any], names: dict[str, Any]) -> InboundMessage | None:
    sender = to_e164(message.get("from"))
    if sender is None or not message.get("id"):
        raise ValueError("message without a valid 'from' or 'id'")
    kind = message.get("type")
    text = payload = None
    media: list[Media] = []
    location = None
    if kind == "text":
        text = (message.get("text") or {}).get("body")
    elif kind == "interactive":
        interactive = message.get("interactive") or {}
        reply = interactive.get("button_reply") or interactive.get("list_reply") or {}
        payload, text = reply.get("id"), reply.get("title")
    elif kind == "button":  # a template's quick-reply button
        button = message.get("button") or {}
        payload, text = button.get("payload"), button.get("text")
    elif kind in ("image", "audio", "video", "document", "voice"):
        item = message.get(kind) or {}
        media = [
            Media(
                kind="audio" if kind == "voice" else kind,
                provider_id=item.get("id"),
                content_type=item.get("mime_type"),
            )
        ]
        text = item.get("caption")
    elif kind == "location":
        loc = message.get("location") or {}
        location = Location(
            latitude=float(loc["latitude"]), longitude=float(loc["longitude"]),
            name=loc.get("name"), address=loc.get("address"),
        )
    else:  # stickers, reactions, contacts, unsupported, system messages
        return None
    timestamp = message.get("timestamp")
    return InboundMessage(
        channel=CHANNEL,
        sender_id=sender,
        text=text,
        payload=payload,
        provider_message_id=str(message["id"]),
        sender_name=names.get(message.get("from")),
        media=media,
        location=location,
        received_at=_received_at(timestamp),
    )


def _received_at(timestamp: object) -> datetime | None:
    """The message's Unix time; a number no date can hold (1e20) is a ValueError."""
    if not timestamp:
        return None
    try:
        return datetime.fromtimestamp(int(str(timestamp)), UTC)
    except (OverflowError, OSError) as exc:
        raise ValueError("timestamp out of range") from exc


class WhatsAppCloudAdapter(ChannelAdapter):
    """Sends outbox rows through the Graph API's `/{phone-number-id}/messages`."""

    name = CHANNEL

    def __init__(self, settings: Settings, db: DbEngine) -> None:
        super().__init__(settings, db)
        self.url = (
            f"{settings.whatsapp_api_base_url.rstrip('/')}/{settings.whatsapp_phone_number_id}"
            "/messages"
        )
        self.http = httpx.Client(
            timeout=10.0,
            headers={"Authorization": f"Bearer {settings.whatsapp_token}"},
            limits=httpx.Limits(max_connections=max(4, settings.dispatch_concurrency * 2)),
        )
        # Sends go through the lighter client unless a proxy applies (httpx then).
        self.poster = JsonPoster.for_url(
            self.url,
            headers={"Authorization": f"Bearer {settings.whatsapp_token}"},
            timeout=10.0,
            max_idle=max(4, settings.dispatch_concurrency * 2),
        )

    def rate(self) -> Rate:
        return Rate.of("whatsapp", self.settings.whatsapp_mps, self.settings.rate_ahead_seconds)

    def close(self) -> None:
        self.http.close()
        if self.poster is not None:
            self.poster.close()

    def send(self, job: OutboundJob) -> Delivery:
        to = job.recipient.lstrip("+")
        template = template_outside_window(job, self.settings.whatsapp_templates)
        bodies = (
            [self._template(template, job.reply.text)] if template else self._bodies(job.reply)
        )
        return self.send_parts(
            job, [lambda body=body: self._post({**body, "to": to}) for body in bodies]
        )

    def _template(self, name: str, text: str) -> dict[str, Any]:
        return {
            "type": "template",
            "template": {
                "name": name,
                "language": {"code": self.settings.whatsapp_template_language},
                "components": [
                    {"type": "body", "parameters": [{"type": "text", "text": text[:1000]}]}
                ],
            },
        }

    def _bodies(self, reply: Reply) -> list[dict[str, Any]]:
        """The API bodies for one reply: image, then text or interactive message."""
        bodies: list[dict[str, Any]] = []
        if reply.image_url:
            bodies.append(
                {"type": "image", "image": {"link": absolute_url(reply.image_url, self.settings)}}
            )
        buttons = reply.buttons
        if buttons and len(buttons) <= 10 and len(reply.text) <= 1024:
            bodies.append({"type": "interactive", "interactive": _interactive(reply.text, buttons)})
        elif reply.text or buttons:
            texts = split_text(numbered_text(reply), TEXT_LIMIT)
            bodies += [{"type": "text", "text": {"body": t}} for t in texts]
        return bodies

    def _post(self, body: dict[str, Any]) -> str:
        body = {"messaging_product": "whatsapp", "recipient_type": "individual", **body}
        try:
            response: httpx.Response | JsonResponse = (
                self.poster.post(body) if self.poster is not None
                else self.http.post(self.url, json=body)
            )
        except httpx.HTTPError as exc:
            raise TransientError(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code < 300:
            return str(response.json()["messages"][0]["id"])
        try:
            error = response.json().get("error") or {}
        except ValueError:
            error = {}
        code = error.get("code")
        reason = f"Graph {response.status_code} error {code}: {error.get('message', '')}"
        if response.status_code == 429 or response.status_code >= 500 or code in THROTTLED:
            retry_after = response.headers.get("retry-after")
            raise TransientError(
                reason, retry_after=float(retry_after) if retry_after else None
            )
        if code in PERMANENT or response.status_code in (400, 401, 403, 404):
            raise PermanentError(reason)
        raise TransientError(reason)


def _interactive(text: str, buttons: list[Button]) -> dict[str, Any]:
    """Reply buttons for ≤ 3 options, a list for ≤ 10."""
    body = {"text": text or "…"}
    if len(buttons) <= 3:
        return {
            "type": "button",
            "body": body,
            "action": {
                "buttons": [
                    {"type": "reply", "reply": {"id": b.payload[:256], "title": b.title[:20]}}
                    for b in buttons
                ]
            },
        }
    return {
        "type": "list",
        "body": body,
        "action": {
            "button": "Auswählen",
            "sections": [
                {
                    "title": "Optionen",
                    "rows": [{"id": b.payload[:200], "title": b.title[:24]} for b in buttons],
                }
            ],
        },
    }
