"""Broadcast topics, subscriptions and the proof of every consent (issue 12).

Topics and parts of town are city data (`topics.yaml`, read once). A `Subscription`
is what a contact receives now: one row per topic, optionally limited to one part of
town. A `ConsentRecord` is the history, never changed or deleted by the bot: every
subscription and withdrawal with time, channel, topic and the exact wording the
citizen was shown (the controller's proof under GDPR Art. 7(1)).

They live in the ground because the engine writes them (applying the dialogue's
`ConsentChanged` events), the backend actions read them for the settings dialogue,
and broadcasts select recipients from them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

import yaml
from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.core.models import utcnow
from bot.core.settings import LANGUAGES

TOPICS_PATH = Path(__file__).parent / "topics.yaml"
ALL = "all"  # a choice meaning every topic / the whole town


@dataclass(frozen=True)
class Topic:
    """One topic (or part of town) as configured: stable id, titles, typed synonyms."""

    id: str
    title: dict[str, str]
    synonyms: tuple[str, ...] = ()


class TopicConfigError(ValueError):
    """topics.yaml is malformed; the message names the entry and what is wrong."""


def _entries(raw: object, key: str, multilingual: bool) -> tuple[Topic, ...]:
    if not isinstance(raw, list) or not raw:
        raise TopicConfigError(f"{TOPICS_PATH}: {key!r} must be a non-empty list")
    seen: set[str] = set()
    entries = []
    for item in raw:
        ident = str((item or {}).get("id") or "")
        if not ident.isidentifier() or ident == ALL or ident in seen:
            raise TopicConfigError(f"{TOPICS_PATH}: {key} id {ident!r} is missing, bad or twice")
        seen.add(ident)
        title = item.get("title")
        if multilingual:
            if not isinstance(title, dict) or set(title) != set(LANGUAGES):
                raise TopicConfigError(f"{TOPICS_PATH}: {key} {ident!r} needs titles de, en, nl")
            titles = {lang: str(title[lang]) for lang in LANGUAGES}
        else:
            titles = dict.fromkeys(LANGUAGES, str(title or ident))
        entries.append(Topic(ident, titles, tuple(str(s) for s in item.get("synonyms") or ())))
    return tuple(entries)


@lru_cache
def topics() -> tuple[Topic, ...]:
    """The configured topics, in the city's order."""
    data = yaml.safe_load(TOPICS_PATH.read_text(encoding="utf-8")) or {}
    return _entries(data.get("topics"), "topics", multilingual=True)


@lru_cache
def districts() -> tuple[Topic, ...]:
    """The parts of town (their names are the same in every language)."""
    data = yaml.safe_load(TOPICS_PATH.read_text(encoding="utf-8")) or {}
    return _entries(data.get("districts"), "districts", multilingual=False)


def topic_ids() -> list[str]:
    return [t.id for t in topics()]


def district_ids() -> list[str]:
    return [d.id for d in districts()]


class Subscription(SQLModel, table=True):
    """A contact receives broadcasts of `topic` (for `district`, or all of town if None)."""

    __table_args__ = (
        UniqueConstraint("contact_id", "topic"),
        Index("ix_subscription_topic_district", "topic", "district"),
    )

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id")
    topic: str = Field(max_length=40)
    district: str | None = Field(default=None, max_length=40)
    created_at: datetime = Field(default_factory=utcnow)


class ConsentRecord(SQLModel, table=True):
    """One consent or withdrawal, as it happened; append-only."""

    __tablename__ = "consent_record"

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id", index=True)
    channel: str = Field(max_length=20)
    topic: str = Field(max_length=40)  # a topic id, or "all" for a STOP with nothing subscribed
    district: str | None = Field(default=None, max_length=40)
    action: str = Field(max_length=10)  # "subscribe" or "withdraw"
    source: str = Field(max_length=20)  # "chat", "stop", "migration"
    language: str = Field(max_length=5)
    wording: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
