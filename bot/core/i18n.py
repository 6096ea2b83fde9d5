"""Translation catalogs: every sentence the bot says, in German, English and Dutch.

Texts live in `bot/core/locales/{de,en,nl}.yaml` (flat keys, `str.format` placeholders).
A key missing in one language falls back to German, then to the key itself, so a
gap shows up as a visible key in tests instead of a crash in front of a citizen.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot.core.settings import LANGUAGES

LOCALES_DIR = Path(__file__).parent / "locales"
FALLBACK_LANGUAGE = "de"


@lru_cache
def catalog(language: str) -> dict[str, str]:
    """The flat key → text mapping of one language."""
    path = LOCALES_DIR / f"{language}.yaml"
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(key): str(value) for key, value in data.items()}


def t(key: str, language: str, **params: Any) -> str:
    """The text for `key` in `language`, formatted with `params`."""
    lang = language if language in LANGUAGES else FALLBACK_LANGUAGE
    text = catalog(lang).get(key) or catalog(FALLBACK_LANGUAGE).get(key) or key
    try:
        return text.format(**params) if params else text
    except (KeyError, IndexError, ValueError):
        return text
