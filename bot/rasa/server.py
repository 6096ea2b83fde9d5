"""The action server's HTTP endpoint: Rasa's action-server protocol on FastAPI.

The routes and status codes are those of `rasa_sdk.endpoint` (Rasa 3.x):

    GET  /health   → {"status": "ok"}
    GET  /actions  → [{"name": …}, …]
    POST /webhook  → 200 {"events": [...], "responses": [...]}
                     400 {"error", "action_name"}  the action rejected (ActionExecutionRejected)
                     404 {"error", "action_name"}  no such action
                     449 {"error", "action_name"}  domain digest unknown: send the domain
                     500 {"error", "action_name"}  the action failed

One difference: a body that is not an action call (not JSON, no `next_action`, no
tracker with a `sender_id`) is 400 `{"error": …}`, never an exception. Request bodies
compressed with `Content-Encoding: deflate` (Rasa's `COMPRESS_ACTION_SERVER_REQUEST`)
are read as well. The actions themselves run in rasa_sdk's `ActionExecutor`.
"""

from __future__ import annotations

import json
import logging
import zlib
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import (
    ActionExecutionRejection,
    ActionMissingDomainException,
    ActionNotFoundException,
)

log = logging.getLogger(__name__)

DOMAIN_MISSING_STATUS = 449


def _error(status: int, message: str, action: str | None = None) -> JSONResponse:
    body: dict[str, Any] = {"error": message}
    if action is not None:
        body["action_name"] = action
    return JSONResponse(body, status_code=status)


def _shape_problem(call: Any) -> str | None:
    """Why a decoded body is not an action call Rasa could have sent, or None."""
    if not isinstance(call, dict):
        return "Invalid body request"
    if not isinstance(call.get("next_action"), str) or not call["next_action"]:
        return "next_action is missing"
    tracker = call.get("tracker")
    if not isinstance(tracker, dict) or not isinstance(tracker.get("sender_id"), str):
        return "tracker with sender_id is missing"
    if not isinstance(tracker.get("slots", {}), dict):
        return "tracker.slots must be an object"
    if not isinstance(tracker.get("events", []), list):
        return "tracker.events must be a list"
    if not all(isinstance(e, dict) and "event" in e for e in tracker.get("events", [])):
        return "every tracker event needs an 'event' name"
    return None


def create_app(executor: ActionExecutor) -> FastAPI:
    """The action server's app around an executor with registered actions."""
    app = FastAPI(title="Stadtbot action server (Rasa)", docs_url=None, redoc_url=None)

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/actions")
    async def actions() -> list[dict[str, str]]:
        return [{"name": name} for name in executor.actions]

    @app.post("/webhook")
    async def webhook(request: Request) -> JSONResponse:
        raw = await request.body()
        try:
            if request.headers.get("content-encoding", "").lower() == "deflate":
                raw = zlib.decompress(raw)
            call = json.loads(raw)
        except (zlib.error, ValueError):
            return _error(400, "Invalid body request")
        problem = _shape_problem(call)
        if problem is not None:
            name = call.get("next_action") if isinstance(call, dict) else None
            return _error(400, problem, name if isinstance(name, str) else None)
        name = call["next_action"]
        try:
            result = await executor.run(call)
        except ActionExecutionRejection as exc:
            return _error(400, exc.message, exc.action_name)
        except ActionNotFoundException as exc:
            return _error(404, exc.message, exc.action_name)
        except ActionMissingDomainException as exc:
            return _error(DOMAIN_MISSING_STATUS, exc.message, exc.action_name)
        except Exception:
            log.exception("action %s failed", name)
            return _error(500, f"Custom action '{name}' failed on the action server.", name)
        return JSONResponse(result.model_dump() if result else {"events": [], "responses": []})

    return app
