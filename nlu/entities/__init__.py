"""Entity extraction: patterns, dates/times, durations, amounts, lookups, fuzzy names."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from nlu.rasa_io import TrainingData


@dataclass
class EntityExtractor:
    """Placeholder until the extractors land."""

    @classmethod
    def from_data(cls, data: TrainingData) -> EntityExtractor:
        return cls()

    def extract(
        self, text: str, *, now: datetime | None = None, lang: str | None = None
    ) -> list[dict[str, Any]]:
        return []
