"""Helpers shared by tests: a keyword NLU stand-in and an app on a real database.

The keyword NLU keeps tests of the engine's bookkeeping, the HTTP layer and the
channels fast and exact; the conversation tests use the trained model.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.db import make_engine
from bot.engine import Engine
from bot.settings import Settings
from flows.dialogue import Dialogue

KEYWORDS = {"hallo": "greet", "hilfe": "help", "danke": "thanks", "tschüss": "goodbye"}


def keyword_nlu(text: str, lang: str | None, now: datetime) -> dict[str, Any]:
    """Greet/help/thanks/goodbye by keyword, everything else not understood."""
    intent = next((name for word, name in KEYWORDS.items() if word in text.lower()), None)
    confidence = 0.95 if intent else 0.1
    ranking = [
        {"name": intent or "out_of_scope", "confidence": confidence},
        {"name": "help", "confidence": 0.05},
    ]
    return {
        "text": text,
        "intent": ranking[0],
        "intent_ranking": ranking,
        "entities": [],
        "language": lang or "de",
        "language_confidence": 0.5,
    }


def keyword_engine(settings: Settings) -> Engine:
    """An engine on `settings.database_url` with the keyword NLU."""
    return Engine(
        make_engine(settings.database_url), settings, keyword_nlu, Dialogue(threshold=0.5)
    )
