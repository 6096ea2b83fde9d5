"""A fake WhatsApp Cloud API (Graph `/{phone-number-id}/messages`)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from tests.fakes.server import Recorder


def graph_error(code: int, message: str) -> dict[str, Any]:
    """Meta's documented error envelope."""
    return {
        "error": {
            "message": message,
            "type": "OAuthException",
            "code": code,
            "fbtrace_id": "AbCdEf123",
        }
    }


def create_fake_graph(recorder: Recorder, phone_id: str) -> FastAPI:
    app = FastAPI()

    @app.post("/v21.0/{number_id}/messages")
    async def send(number_id: str, request: Request) -> JSONResponse:
        if number_id != phone_id or request.headers.get("authorization") != "Bearer graph-token":
            return JSONResponse(graph_error(190, "Invalid OAuth access token"), 401)
        if recorder.delay:
            await asyncio.sleep(recorder.delay)
        fault = recorder.next_fault()
        if fault is not None:
            return JSONResponse(fault.body, fault.status, headers=fault.headers)
        body = await request.json()
        number = recorder.record(body)
        return JSONResponse(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": body.get("to"), "wa_id": body.get("to")}],
                "messages": [{"id": f"wamid.OUT{number:08d}"}],
            }
        )

    return app
