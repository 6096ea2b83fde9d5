"""Which language to answer in: sticky per contact, switched on request.

A contact's language is set by an explicit choice (the web page's switch, "English
please") or by the first confident detection, and then sticks: short messages like
"ok" or a street name must not flip it. Only a long, very confident message in
another language switches a locked contact, because that person clearly changed.
"""

from __future__ import annotations

from typing import Any, Protocol

from bot.core.settings import LANGUAGES

LOCK_CONFIDENCE = 0.9
SWITCH_CONFIDENCE = 0.98
SWITCH_MIN_WORDS = 4


class Speaker(Protocol):
    """A contact's language fields (the table model or the engine's turn value)."""

    language: str | None
    language_locked: bool


def reply_language(contact: Speaker, parse: dict[str, Any], hint: str | None, default: str) -> str:
    """Decide the reply language and update `contact.language` / `language_locked`."""
    if hint in LANGUAGES:
        _lock(contact, hint)  # type: ignore[arg-type]
        return hint  # type: ignore[return-value]
    detected = parse.get("language")
    confidence = float(parse.get("language_confidence") or 0.0)
    words = len(str(parse.get("text") or "").split())
    if detected in LANGUAGES:
        if (not contact.language_locked and confidence >= LOCK_CONFIDENCE) or (
            contact.language_locked
            and detected != contact.language
            and confidence >= SWITCH_CONFIDENCE
            and words >= SWITCH_MIN_WORDS
        ):
            _lock(contact, detected)
        elif contact.language is None and confidence >= 0.5:
            contact.language = detected
    return contact.language or default


def _lock(contact: Speaker, language: str) -> None:
    contact.language = language
    contact.language_locked = True
