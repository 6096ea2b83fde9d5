"""`POST /api/nlu/parse`: the NLU over HTTP, in Rasa's parse shape.

A plain `def` route: FastAPI runs it in its threadpool, so the CPU-bound parse never
blocks the event loop.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

import nlu
from nlu.language import LANGS as LANGUAGES

router = APIRouter()


class ParseRequest(BaseModel):
    """A message to understand; `lang` is the caller's language hint."""

    text: str = Field(max_length=4000)
    lang: str | None = Field(default=None, max_length=16)


class IntentScore(BaseModel):
    name: str
    confidence: float


class EntityOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    entity: str
    value: Any
    start: int
    end: int
    extractor: str | None = None
    confidence: float | None = None


class ParseResponse(BaseModel):
    """Rasa's parse result, plus the detected language's confidence."""

    text: str
    intent: IntentScore
    intent_ranking: list[IntentScore]
    entities: list[EntityOut]
    language: str
    language_confidence: float


@router.post("/api/nlu/parse", response_model=ParseResponse, tags=["nlu"])
def parse_message(body: ParseRequest, request: Request) -> dict[str, Any]:
    """Intent, ranking, entities and language of one message, as the engine understands it
    (with the city's services from their flow files).

    A hint like "de-DE" counts as "de"; an unknown one is ignored rather than refused,
    since it is only a hint.
    """
    hint = (body.lang or "")[:2].lower()
    engine = getattr(request.app.state, "engine", None)
    understand = engine.understand if engine is not None else nlu.parse
    return understand(body.text, hint if hint in LANGUAGES else None, None)
