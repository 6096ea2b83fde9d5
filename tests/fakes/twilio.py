"""A fake Twilio REST API (Messages resource) that the twilio library talks to."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from tests.fakes.server import Recorder


def twilio_error(status: int, code: int, message: str) -> dict[str, Any]:
    """Twilio's documented error body."""
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def create_fake_twilio(recorder: Recorder, account_sid: str) -> FastAPI:
    app = FastAPI()

    @app.post("/2010-04-01/Accounts/{sid}/Messages.json")
    async def create(sid: str, request: Request) -> JSONResponse:
        if sid != account_sid:
            return JSONResponse(twilio_error(401, 20003, "Authenticate"), 401)
        if recorder.delay:
            await asyncio.sleep(recorder.delay)
        fault = recorder.next_fault()
        if fault is not None:
            return JSONResponse(fault.body, fault.status, headers=fault.headers)
        form = await request.form()
        params: dict[str, Any] = {}
        for key, value in form.multi_items():
            params.setdefault(key, []).append(str(value))
        flat = {k: v[0] if len(v) == 1 else v for k, v in params.items()}
        number = recorder.record(dict(flat))
        message_sid = f"SM{number:032d}"
        return JSONResponse(
            {
                "sid": message_sid,
                "account_sid": sid,
                "to": flat.get("To"),
                "from": flat.get("From"),
                "body": flat.get("Body"),
                "status": "queued",
                "num_media": "0",
                "api_version": "2010-04-01",
                "uri": f"/2010-04-01/Accounts/{sid}/Messages/{message_sid}.json",
            },
            201,
        )

    return app
