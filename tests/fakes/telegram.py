"""A fake Telegram Bot API (`/bot<token>/<method>`) that python-telegram-bot talks to.

Answers like the real API (documented `Message`, `User`, error shapes with
`parameters.retry_after`), records every send, and plays planned faults.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from tests.fakes.server import Recorder

BOT_USER = {"id": 4242, "is_bot": True, "first_name": "Stadtbot", "username": "stadtbot_test_bot"}


def too_many_requests(retry_after: int) -> dict[str, Any]:
    return {
        "ok": False,
        "error_code": 429,
        "description": f"Too Many Requests: retry after {retry_after}",
        "parameters": {"retry_after": retry_after},
    }


BLOCKED = {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}
SERVER_ERROR = {"ok": False, "error_code": 500, "description": "Internal Server Error"}


def create_fake_telegram(recorder: Recorder, token: str) -> FastAPI:
    app = FastAPI()
    webhook: dict[str, Any] = {}

    @app.post("/bot{path_token}/{method}")
    async def call(path_token: str, method: str, request: Request) -> JSONResponse:
        if path_token != token:
            return JSONResponse(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, 401
            )
        form = await request.form()
        params: dict[str, Any] = {}
        for key, value in form.multi_items():
            if hasattr(value, "read"):
                params[key] = {"filename": value.filename, "size": len(await value.read())}
            else:
                params[key] = value
        name = method.lower()
        if name == "getme":
            return JSONResponse({"ok": True, "result": BOT_USER})
        if name in ("setwebhook", "deletewebhook"):
            webhook.update(params if name == "setwebhook" else {"url": ""})
            recorder.record({"method": method, **params})
            return JSONResponse({"ok": True, "result": True})
        if name == "getwebhookinfo":
            return JSONResponse(
                {
                    "ok": True,
                    "result": {
                        "url": webhook.get("url", ""),
                        "has_custom_certificate": False,
                        "pending_update_count": 0,
                    },
                }
            )
        if name == "getupdates":
            return JSONResponse({"ok": True, "result": []})
        delay = recorder.slow_chats.get(str(params.get("chat_id")), recorder.delay)
        if delay:
            await asyncio.sleep(delay)
        fault = recorder.next_fault()
        if fault is not None:
            return JSONResponse(fault.body, fault.status, headers=fault.headers)
        if name == "answercallbackquery":
            recorder.record({"method": method, **params})
            return JSONResponse({"ok": True, "result": True})
        if name not in ("sendmessage", "sendphoto"):
            return JSONResponse({"ok": False, "error_code": 404, "description": "Not Found"}, 404)
        if "reply_markup" in params:
            params["reply_markup"] = json.loads(params["reply_markup"])
        number = recorder.record({"method": method, **params})
        chat_id = int(params["chat_id"])
        result: dict[str, Any] = {
            "message_id": number,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": "Test"},
            "from": BOT_USER,
        }
        if name == "sendmessage":
            result["text"] = params.get("text", "")
        else:
            result["photo"] = [
                {
                    "file_id": f"p{number}",
                    "file_unique_id": f"u{number}",
                    "width": 300,
                    "height": 300,
                }
            ]
            if params.get("caption"):
                result["caption"] = params["caption"]
        return JSONResponse({"ok": True, "result": result})

    return app


def message_update(update_id: int, chat_id: int, text: str, **extra: Any) -> dict[str, Any]:
    """A private-chat text update as in the Bot API documentation."""
    message = {
        "message_id": update_id,
        "from": {
            "id": chat_id,
            "is_bot": False,
            "first_name": "Anna",
            "last_name": "Schulte",
            "language_code": "de",
        },
        "chat": {"id": chat_id, "first_name": "Anna", "last_name": "Schulte", "type": "private"},
        "date": int(time.time()),
        **({"text": text} if text else {}),
        **extra,
    }
    return {"update_id": update_id, "message": message}


def callback_update(update_id: int, chat_id: int, data: str) -> dict[str, Any]:
    """A callback query from an inline keyboard button."""
    user = {"id": chat_id, "is_bot": False, "first_name": "Anna"}
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"cbq{update_id}",
            "from": user,
            "chat_instance": "42",
            "data": data,
            "message": {
                "message_id": 1,
                "from": BOT_USER,
                "chat": {"id": chat_id, "first_name": "Anna", "type": "private"},
                "date": int(time.time()),
                "text": "Menü",
            },
        },
    }
