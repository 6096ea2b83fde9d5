"""One chat-completion call to an OpenAI-compatible server (`POST {base}/chat/completions`).

Synchronous on purpose: the engine calls it before taking the conversation's lock, in
the request's own worker thread, so a slow model delays only its own citizen's reply and
never holds the database writer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx


class LlmError(Exception):
    """The model did not answer usably: time-out, HTTP error, or a body of the wrong shape."""


@dataclass(frozen=True)
class Completion:
    text: str
    tokens: int  # prompt + completion, as the server reports (estimated if it does not)


class LlmClient:
    def __init__(self, base_url: str, model: str, api_key: str) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.model = model
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.http = httpx.Client(headers=headers)

    def complete(
        self, system: str, user: str, *, json_mode: bool, max_tokens: int, timeout: float
    ) -> Completion:
        """One completion; `timeout` bounds every phase (connect, send, each read)."""
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}],
            "temperature": 0,
            "max_tokens": max_tokens,
        }
        if json_mode:
            body["response_format"] = {"type": "json_object"}
        try:
            res = self.http.post(self.url, json=body, timeout=httpx.Timeout(timeout))
        except httpx.HTTPError as exc:  # time-out, refused connection, broken stream
            raise LlmError(type(exc).__name__) from None
        if res.status_code != 200:
            raise LlmError(f"http {res.status_code}")
        try:
            data = res.json()
            text = data["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise LlmError("unexpected body") from None
        if not isinstance(text, str):
            raise LlmError("unexpected body")
        usage = data.get("usage") if isinstance(data, dict) else None
        tokens = usage.get("total_tokens") if isinstance(usage, dict) else None
        if not isinstance(tokens, int):
            tokens = (len(system) + len(user) + len(text)) // 4
        return Completion(text=text, tokens=tokens)

    def close(self) -> None:
        self.http.close()
