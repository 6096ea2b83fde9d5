"""WhatsApp through Twilio: webhook decoding, signature checks and REST sends.

Replies go out through the REST API (never TwiML), from the outbox, so retries, order
and rate limits are the dispatcher's. `TWILIO_API_BASE_URL` redirects the library's
REST calls to another server (a fake in tests, a gateway in production) through a
custom `twilio.http.HttpClient`. Buttons become a quick-reply Content template when
TWILIO_BUTTON_CONTENT_SIDS has one for that many buttons, else a numbered list; the
engine resolves the typed answer from the buttons the state keeps
(`flows.state.typed_choice`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy.engine import Engine as DbEngine
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.request_validator import RequestValidator
from twilio.rest import Client

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
from bot.channels.phone import to_e164
from bot.channels.window import template_outside_window
from bot.core.messages import InboundMessage, Location, Media
from bot.core.settings import Settings
from bot.ratelimit import Rate

CHANNEL = "twilio"
BODY_LIMIT = 1600  # Twilio's limit for one WhatsApp message body
# Error codes that will not change on retry: invalid/unreachable number, opted out,
# outside the 24-hour window, template missing or rejected.
PERMANENT_CODES = frozenset(
    {21211, 21408, 21610, 21612, 21614, 21617, 63003, 63016, 63024, 63032, 63049}
)


class BaseUrlHttpClient(TwilioHttpClient):
    """The library's HTTP client, with every request's scheme and host replaced."""

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        super().__init__(timeout=timeout)
        self.base = urlsplit(base_url)

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        parts = urlsplit(url)
        path = self.base.path.rstrip("/") + parts.path
        rewritten = urlunsplit((self.base.scheme, self.base.netloc, path, parts.query, ""))
        return super().request(method, rewritten, *args, **kwargs)


def public_url(settings: Settings, path: str, query: str = "") -> str:
    """The URL Twilio signed: PUBLIC_BASE_URL plus path (we may sit behind a TLS proxy)."""
    url = settings.public_base_url.rstrip("/") + path
    return f"{url}?{query}" if query else url


def signature_valid(
    settings: Settings, url: str, params: Mapping[str, str], signature: str
) -> bool:
    """Twilio's documented check (HMAC-SHA1 of URL + sorted params, auth token key)."""
    if not settings.twilio_auth_token or not signature:
        return False
    return RequestValidator(settings.twilio_auth_token).validate(url, dict(params), signature)


def decode_form(params: Mapping[str, str]) -> InboundMessage:
    """A Twilio WhatsApp webhook's form fields as an `InboundMessage` (ValueError if bad)."""
    sid = params.get("MessageSid") or params.get("SmsMessageSid")
    sender = to_e164(params.get("From")) or to_e164(params.get("WaId"))
    if not sid or not sender:
        raise ValueError("MessageSid and a valid From are required")
    media = []
    for index in range(min(int(params.get("NumMedia") or 0), 10)):
        url = params.get(f"MediaUrl{index}")
        if url:
            content_type = params.get(f"MediaContentType{index}") or ""
            kind = content_type.split("/")[0] if content_type else "document"
            kind = kind if kind in ("image", "audio", "video") else "document"
            media.append(Media(kind=kind, url=url, content_type=content_type or None))
    location = None
    if params.get("Latitude") and params.get("Longitude"):
        location = Location(
            latitude=float(params["Latitude"]),
            longitude=float(params["Longitude"]),
            name=params.get("Label") or None,
            address=params.get("Address") or None,
        )
    return InboundMessage(
        channel=CHANNEL,
        sender_id=sender,
        text=params.get("Body") or None,
        payload=params.get("ButtonPayload") or None,
        provider_message_id=sid,
        sender_name=params.get("ProfileName") or None,
        media=media,
        location=location,
    )


class TwilioAdapter(ChannelAdapter):
    """Sends outbox rows as WhatsApp messages through Twilio's Messages API."""

    name = CHANNEL

    def __init__(self, settings: Settings, db: DbEngine) -> None:
        super().__init__(settings, db)
        http_client = (
            BaseUrlHttpClient(settings.twilio_api_base_url)
            if settings.twilio_api_base_url
            else TwilioHttpClient(timeout=10.0)
        )
        self.client = Client(
            settings.twilio_account_sid, settings.twilio_auth_token, http_client=http_client
        )
        sender = settings.twilio_whatsapp_from.removeprefix("whatsapp:")
        self.sender = "whatsapp:" + sender

    def rate(self) -> Rate:
        return Rate.of("twilio", self.settings.whatsapp_mps, self.settings.rate_ahead_seconds)

    def send(self, job: OutboundJob) -> Delivery:
        reply = job.reply
        base: dict[str, Any] = {"from_": self.sender, "to": "whatsapp:" + job.recipient}
        if self.settings.public_base_url:
            base["status_callback"] = public_url(self.settings, "/webhooks/twilio/status")
        variables = {"1": reply.text[:1000]}
        content_sid = template_outside_window(job, self.settings.twilio_content_templates)
        if not content_sid and reply.buttons:
            content_sid = self.settings.twilio_button_content_sids.get(str(len(reply.buttons)))
            for index, button in enumerate(reply.buttons):  # {{2}} title, {{3}} id, …
                variables[str(2 + 2 * index)] = button.title[:20]
                variables[str(3 + 2 * index)] = button.payload
        if content_sid:
            content = {"content_sid": content_sid, "content_variables": json.dumps(variables)}
            return self.send_parts(job, [lambda: self._create(**base, **content)])
        texts = split_text(numbered_text(reply), BODY_LIMIT) if reply.text or reply.buttons else []
        parts = []
        if reply.image_url:
            media = [absolute_url(reply.image_url, self.settings)]
            caption = texts.pop(0) if texts else None
            parts.append(lambda: self._create(**base, body=caption, media_url=media))
        parts += [lambda text=text: self._create(**base, body=text) for text in texts]
        return self.send_parts(job, parts)

    def _create(self, **kwargs: Any) -> str:
        kwargs = {k: v for k, v in kwargs.items() if v is not None}
        try:
            message = self.client.messages.create(**kwargs)
        except TwilioRestException as exc:
            reason = f"Twilio {exc.status} error {exc.code}: {exc.msg}"
            if exc.status == 429 or exc.status >= 500:
                raise TransientError(reason) from exc
            if exc.code in PERMANENT_CODES or 400 <= exc.status < 500:
                raise PermanentError(reason) from exc
            raise TransientError(reason) from exc
        except Exception as exc:  # requests' connection errors and time-outs
            raise TransientError(f"{type(exc).__name__}: {exc}") from exc
        return str(message.sid)
