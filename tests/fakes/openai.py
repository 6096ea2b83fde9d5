"""A fake OpenAI-compatible server (`POST /v1/chat/completions`) scripted per test.

Two queues of planned answers: for JSON-mode requests (the model reading a message) and
for the others (the model wording an answer). Each plan is a reply text, an HTTP status,
or a delay before the reply; every request is recorded. Answers in the shape of the
OpenAI API (`choices[0].message.content`, `usage.total_tokens`).
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


@dataclass
class Plan:
    content: str = ""
    status: int = 200
    delay: float = 0.0
    tokens: int = 120


@dataclass
class Script:
    understand: deque[Plan] = field(default_factory=deque)
    answer: deque[Plan] = field(default_factory=deque)
    requests: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def kinds(self) -> list[str]:
        with self.lock:
            return ["understand" if r.get("response_format") else "answer" for r in self.requests]


def create_fake_openai(script: Script) -> FastAPI:
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def complete(request: Request) -> JSONResponse:
        body = await request.json()
        body["authorization"] = request.headers.get("authorization", "")
        with script.lock:
            script.requests.append(body)
            queue = script.understand if body.get("response_format") else script.answer
            plan = queue.popleft() if queue else Plan(status=500)  # unscripted: an error
        if plan.delay:
            await asyncio.sleep(plan.delay)
        if plan.status != 200:
            return JSONResponse({"error": {"message": "planned failure"}}, status_code=plan.status)
        return JSONResponse(
            {
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "model": body.get("model"),
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": plan.content},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {
                    "prompt_tokens": plan.tokens - 20,
                    "completion_tokens": 20,
                    "total_tokens": plan.tokens,
                },
            }
        )

    return app
