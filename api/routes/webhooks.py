"""Provider webhooks: verify, decode into `InboundMessage`, hand to the engine, answer.

Each route answers 2xx only after the engine committed the message (and its replies
to the outbox), so a 2xx means nothing can be lost; if processing fails the provider
gets a 500 and retries, and the engine's dedupe (update_id, MessageSid, wamid) makes
the retry safe. Bad signatures get 403, malformed bodies 400 with a fixed text, and
well-signed updates we do not handle (edited messages, stickers, group chats) a 200 so
they are not redelivered forever. So do well-signed updates the input guard found
unusable (NUL, lone surrogates, non-finite numbers, over-deep JSON: api/input_guard.py):
they are dropped with one log line. The reply itself is sent by the dispatcher, which is
woken here.
"""

from __future__ import annotations

import hmac
import json
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse

from api.deps import EngineDep, SettingsDep
from api.errors import ErrorBody
from api.reject_log import log_line
from bot.channels import telegram, twilio, whatsapp
from bot.channels.status import record_status
from bot.core.messages import InboundMessage
from bot.engine import Engine
from bot.ingest import ingest

router = APIRouter(
    prefix="/webhooks",
    tags=["webhooks"],
    responses={status: {"model": ErrorBody} for status in (400, 403, 413)},
)


async def _json(request: Request) -> dict[str, Any]:
    try:
        data = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError) as exc:
        raise HTTPException(400, "Body is not JSON.") from exc
    if not isinstance(data, dict):
        raise HTTPException(400, "Body is not a JSON object.")
    return data


def _dropped(request: Request, channel: str) -> bool:
    """True (and logged) when a well-signed update carries input the guard refused."""
    reason = getattr(request.state, "bad_input", None)
    if reason is None:
        return False
    log_line("dropped a signed %s update: %s", channel, reason, channel=channel)
    return True


def _malformed(channel: str, exc: Exception) -> HTTPException:
    """400 with a fixed text; the decoder's own words go to the log, not to the caller."""
    log_line("malformed %s update: %s", channel, " ".join(str(exc).split())[:200], channel=channel)
    return HTTPException(400, f"Not a {channel} update.")


async def _deliver(request: Request, engine: Engine, inbound: InboundMessage) -> None:
    dispatcher = getattr(request.app.state, "dispatcher", None)
    await run_in_threadpool(ingest, engine, inbound, dispatcher and dispatcher.wake)


# --- Telegram ----------------------------------------------------------------------


@router.post("/telegram")
async def telegram_webhook(
    request: Request, engine: EngineDep, settings: SettingsDep
) -> dict[str, Any]:
    """One Telegram update; a callback query is answered in the response itself."""
    secret = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
    expected = settings.telegram_webhook_secret
    if not expected or not hmac.compare_digest(secret.encode(), expected.encode()):
        raise HTTPException(403, "Bad or missing X-Telegram-Bot-Api-Secret-Token.")
    if _dropped(request, "Telegram"):
        return {"ok": True, "ignored": "unusable input"}
    data = await _json(request)
    try:
        decoded = await run_in_threadpool(telegram.decode_update, data, engine.db)
    except ValueError as exc:
        raise _malformed("Telegram", exc) from exc
    if decoded.inbound is not None:
        await _deliver(request, engine, decoded.inbound)
    if decoded.callback_query_id:
        # Bot API: a webhook response may carry one method call; saves a round trip.
        return {"method": "answerCallbackQuery", "callback_query_id": decoded.callback_query_id}
    return {"ok": True, "ignored": decoded.ignored} if decoded.ignored else {"ok": True}


# --- Twilio ------------------------------------------------------------------------


async def _twilio_params(request: Request, settings: SettingsDep) -> dict[str, str]:
    try:
        form = await request.form()
    except Exception as exc:  # multipart/urlencoded parse errors
        raise HTTPException(400, "Body is not a form.") from exc
    params = {key: str(value) for key, value in form.multi_items()}
    url = twilio.public_url(settings, request.url.path, request.url.query)
    signature = request.headers.get("X-Twilio-Signature", "")
    if not twilio.signature_valid(settings, url, params, signature):
        raise HTTPException(403, "Bad or missing X-Twilio-Signature.")
    return params


@router.post("/twilio", response_class=PlainTextResponse)
async def twilio_webhook(request: Request, engine: EngineDep, settings: SettingsDep) -> str:
    """One inbound WhatsApp message via Twilio; the reply goes out via REST, not TwiML."""
    params = await _twilio_params(request, settings)
    if _dropped(request, "Twilio"):
        return ""
    try:
        inbound = twilio.decode_form(params)
    except ValueError as exc:
        raise _malformed("Twilio", exc) from exc
    await _deliver(request, engine, inbound)
    return ""


@router.post("/twilio/status", response_class=PlainTextResponse)
async def twilio_status(request: Request, engine: EngineDep, settings: SettingsDep) -> str:
    """Twilio's status callback: queued/sent/delivered/read/failed/undelivered."""
    params = await _twilio_params(request, settings)
    if _dropped(request, "Twilio"):
        return ""
    sid, status = params.get("MessageSid"), params.get("MessageStatus")
    if not sid or not status:
        raise HTTPException(400, "MessageSid and MessageStatus are required.")
    await run_in_threadpool(
        record_status, engine.db, "twilio", sid, status, params.get("ErrorCode")
    )
    return ""


# --- WhatsApp Cloud API ------------------------------------------------------------


@router.get("/whatsapp", response_class=PlainTextResponse)
def whatsapp_verify(
    settings: SettingsDep,
    mode: str = Query("", alias="hub.mode"),
    token: str = Query("", alias="hub.verify_token"),
    challenge: str = Query("", alias="hub.challenge"),
) -> str:
    """Meta's subscription check: echo the challenge when the verify token matches."""
    expected = settings.whatsapp_verify_token
    given = token.encode()  # bytes: compare_digest refuses non-ASCII str
    if mode != "subscribe" or not expected or not hmac.compare_digest(given, expected.encode()):
        raise HTTPException(403, "Verification failed.")
    return challenge


@router.post("/whatsapp")
async def whatsapp_webhook(
    request: Request, engine: EngineDep, settings: SettingsDep
) -> dict[str, Any]:
    """Cloud API events: messages for the engine, statuses for the outbox."""
    body = await request.body()
    header = request.headers.get("X-Hub-Signature-256")
    if not whatsapp.signature_valid(settings.whatsapp_app_secret, body, header):
        raise HTTPException(403, "Bad or missing X-Hub-Signature-256.")
    if _dropped(request, "WhatsApp"):
        return {"ok": True, "messages": 0, "statuses": 0}
    try:
        events = whatsapp.decode_events(json.loads(body))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise _malformed("WhatsApp", exc) from exc
    for inbound in events.messages:
        await _deliver(request, engine, inbound)
    for status in events.statuses:
        await run_in_threadpool(
            record_status, engine.db, "whatsapp", status.provider_message_id, status.status,
            status.error_code,
        )
    return {"ok": True, "messages": len(events.messages), "statuses": len(events.statuses)}
