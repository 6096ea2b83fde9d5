"""Telegram through python-telegram-bot 22: decoding updates and sending replies.

PTB's `Bot` is asynchronous while the dispatcher sends from worker threads, so the
adapter owns one event loop in a background thread and submits each API call to it;
several sends are in flight on that loop at once, over one HTTP connection pool.

Decisions worth knowing:
- Buttons are inline keyboards, one button a row; callback data longer than 64 bytes
  goes through `bot.channels.payloads`.
- Photos (QR tickets) are fetched by the adapter and uploaded as bytes: the image URL
  is a path on our own app, which Telegram's servers may not be able to reach (local
  use, firewalls), while the worker can always reach PUBLIC_BASE_URL.
- `/start PAYLOAD` deep links carry a payload; Telegram allows only [A-Za-z0-9_-] up to
  64 characters there, so `encode_start_payload` turns `flow:x` into `flow__x` and
  longer payloads into `h_` + their hash key.
- Texts over 4,096 characters are split at paragraph boundaries; the keyboard goes
  with the last part, a caption over 1,024 characters becomes a photo plus text.
"""

from __future__ import annotations

import asyncio
import threading
import warnings
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

import httpx
from sqlalchemy.engine import Engine as DbEngine
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram import error as tg_error
from telegram.request import HTTPXRequest

from bot.channels.base import (
    ChannelAdapter,
    Delivery,
    OutboundJob,
    PermanentError,
    TransientError,
    absolute_url,
    split_text,
)
from bot.channels.payloads import resolve_payload, store_payloads
from bot.core.messages import InboundMessage, Location, Media
from bot.core.settings import Settings
from bot.ratelimit import Rate

CHANNEL = "telegram"
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALL_TIMEOUT = 20.0
T = TypeVar("T")


@dataclass(frozen=True)
class Decoded:
    """What one update means: a message for the engine, or why it is ignored."""

    inbound: InboundMessage | None
    callback_query_id: str | None = None
    ignored: str | None = None


def encode_start_payload(payload: str) -> str:
    """A payload as a `t.me/<bot>?start=` parameter (for QR codes and links)."""
    simple = payload.replace(":", "__")
    if len(simple) <= 64 and all(c.isalnum() or c in "_-" for c in simple):
        return simple
    from bot.channels.payloads import short_key

    return "h_" + short_key(payload)[2:]


def decode_start_payload(db: DbEngine, parameter: str) -> str | None:
    """Inverse of `encode_start_payload`."""
    if parameter.startswith("h_"):
        return resolve_payload(db, "h:" + parameter[2:])
    return parameter.replace("__", ":")


def decode_update(data: dict[str, Any], db: DbEngine) -> Decoded:
    """Turn a Telegram update (the webhook's JSON) into an `InboundMessage`.

    Only private chats are answered; edited messages, channel posts, stickers, group
    messages and member updates are acknowledged and ignored.
    """
    try:
        update = Update.de_json(data, None)
    # OverflowError, OSError: a `date` no datetime holds (1e20).
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError, OSError) as exc:
        raise ValueError(f"not a Telegram update: {exc}") from exc
    update_id = str(update.update_id)
    if update.callback_query is not None:
        query = update.callback_query
        message = query.message
        if message is None or message.chat.type != "private" or not query.data:
            return Decoded(None, query.id, "callback outside a private chat")
        payload = resolve_payload(db, query.data)
        inbound = InboundMessage(
            channel=CHANNEL,
            sender_id=str(message.chat.id),
            payload=payload,
            text=None if payload else query.data,
            provider_message_id=update_id,
            sender_name=query.from_user.full_name if query.from_user else None,
        )
        return Decoded(inbound, query.id)
    message = update.message
    if message is None:
        return Decoded(None, ignored="update type not handled")
    if message.chat.type != "private":
        return Decoded(None, ignored="group chat")
    if message.sticker is not None:
        return Decoded(None, ignored="sticker")
    text = message.text or message.caption
    payload = None
    if text and text.startswith("/start"):
        parameter = text[len("/start") :].strip()
        payload = decode_start_payload(db, parameter) if parameter else "intent:greet"
        text = None
    media = _media(message)
    location = (
        Location(latitude=message.location.latitude, longitude=message.location.longitude)
        if message.location
        else None
    )
    if not (text or payload or media or location):
        return Decoded(None, ignored="empty message")
    inbound = InboundMessage(
        channel=CHANNEL,
        sender_id=str(message.chat.id),
        text=text,
        payload=payload,
        provider_message_id=update_id,
        sender_name=message.from_user.full_name if message.from_user else None,
        media=media,
        location=location,
        received_at=message.date,
    )
    return Decoded(inbound)


def _media(message: Any) -> list[Media]:
    if message.photo:
        biggest = message.photo[-1]
        return [Media(kind="image", provider_id=biggest.file_id, content_type="image/jpeg")]
    for kind, item in (
        ("audio", message.voice),
        ("audio", message.audio),
        ("video", message.video),
        ("video", message.video_note),
        ("document", message.document),
    ):
        if item is not None:
            return [
                Media(
                    kind=kind,
                    provider_id=item.file_id,
                    content_type=getattr(item, "mime_type", None),
                )
            ]
    return []


class TelegramAdapter(ChannelAdapter):
    """Sends outbox rows to Telegram chats; also the webhook and polling helper."""

    name = CHANNEL

    def __init__(self, settings: Settings, db: DbEngine) -> None:
        super().__init__(settings, db)
        request = HTTPXRequest(
            connection_pool_size=max(4, settings.dispatch_concurrency * 2),
            read_timeout=10.0,
            write_timeout=10.0,
            connect_timeout=5.0,
            pool_timeout=5.0,
        )
        poll_request = HTTPXRequest(connection_pool_size=2, read_timeout=60.0)
        self.bot = Bot(
            settings.telegram_bot_token,
            base_url=settings.telegram_api_base_url.rstrip("/") + "/bot",
            base_file_url=settings.telegram_api_base_url.rstrip("/") + "/file/bot",
            request=request,
            get_updates_request=poll_request,
        )
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="telegram-loop", daemon=True
        )
        self._thread.start()
        self._http = httpx.Client(timeout=10.0)
        self._ready = False

    def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run one Bot coroutine on the adapter's loop, translating its errors."""
        future = asyncio.run_coroutine_threadsafe(self._with_init(coro), self._loop)
        try:
            return future.result(CALL_TIMEOUT)
        except tg_error.RetryAfter as exc:
            raise TransientError(str(exc), retry_after=_retry_after(exc)) from exc
        except (tg_error.Forbidden, tg_error.BadRequest, tg_error.InvalidToken) as exc:
            raise PermanentError(f"{type(exc).__name__}: {exc.message}") from exc
        except (tg_error.NetworkError, TimeoutError) as exc:  # TimedOut is a NetworkError
            raise TransientError(f"{type(exc).__name__}: {exc}") from exc
        except tg_error.TelegramError as exc:
            raise TransientError(f"{type(exc).__name__}: {exc.message}") from exc

    async def _with_init(self, coro: Coroutine[Any, Any, T]) -> T:
        if not self._ready:
            await self.bot.initialize()
            self._ready = True
        return await coro

    def rate(self) -> Rate:
        return Rate.of("telegram", self.settings.telegram_mps, self.settings.rate_ahead_seconds)

    def chat_limit(self) -> tuple[int, float]:
        burst = max(1, self.settings.telegram_chat_burst)
        return burst, burst / self.settings.telegram_chat_mps

    def send(self, job: OutboundJob) -> Delivery:
        reply = job.reply
        chat_id = int(job.recipient)
        markup = self._keyboard(job)
        parts: list = []
        texts = split_text(reply.text, TEXT_LIMIT) if reply.text else []
        if reply.image_url:
            photo = self._fetch(reply.image_url)
            caption = texts[0] if len(texts) == 1 and len(texts[0]) <= CAPTION_LIMIT else None
            if caption is not None:
                texts = []
            parts.append(
                lambda: self._message_id(
                    self.bot.send_photo(
                        chat_id, photo, caption=caption, reply_markup=None if texts else markup
                    )
                )
            )
        for index, text in enumerate(texts):
            last = index == len(texts) - 1
            parts.append(
                lambda text=text, last=last: self._message_id(
                    self.bot.send_message(chat_id, text, reply_markup=markup if last else None)
                )
            )
        return self.send_parts(job, parts)

    def _message_id(self, coro: Coroutine[Any, Any, Any]) -> str:
        return str(self._call(coro).message_id)

    def _keyboard(self, job: OutboundJob) -> InlineKeyboardMarkup | None:
        buttons = job.reply.buttons
        if not buttons:
            return None
        keys = store_payloads(self.db, [b.payload for b in buttons])
        return InlineKeyboardMarkup(
            [[InlineKeyboardButton(b.title[:64], callback_data=keys[b.payload])] for b in buttons]
        )

    def _fetch(self, url: str) -> bytes:
        """Download the image (a QR ticket on our own app) to upload it as bytes."""
        try:
            response = self._http.get(absolute_url(url, self.settings))
        except httpx.HTTPError as exc:
            raise TransientError(f"image download failed: {exc}") from exc
        if response.status_code >= 500:
            raise TransientError(f"image download: HTTP {response.status_code}")
        if response.status_code >= 400:
            raise PermanentError(f"image download: HTTP {response.status_code} for {url}")
        return response.content

    # --- used by the webhook route and the CLI --------------------------------------

    def answer_callback(self, query_id: str) -> None:
        """Stop the button's loading spinner (polling mode; webhooks answer inline)."""
        self._call(self.bot.answer_callback_query(query_id))

    def set_webhook(self, url: str, secret: str) -> bool:
        return self._call(
            self.bot.set_webhook(
                url, secret_token=secret or None, allowed_updates=["message", "callback_query"]
            )
        )

    def delete_webhook(self) -> bool:
        return self._call(self.bot.delete_webhook())

    def get_updates(self, offset: int | None, timeout: int = 30) -> list[dict[str, Any]]:
        updates = self._call(
            self.bot.get_updates(
                offset=offset, timeout=timeout, allowed_updates=["message", "callback_query"]
            )
        )
        return [u.to_dict() for u in updates]

    def close(self) -> None:
        if self._ready:
            asyncio.run_coroutine_threadsafe(self.bot.shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._http.close()


def _retry_after(exc: tg_error.RetryAfter) -> float:
    """Seconds to wait; PTB 22.2+ warns that the attribute becomes a timedelta."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
