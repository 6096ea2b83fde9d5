"""Who a broadcast reaches: subscribers of its topics, in its parts of town, on its
channels, each once, with the language their text will be in.

A subscription limited to a part of town receives broadcasts for that part or for the
whole town; a broadcast limited to parts of town reaches subscribers of those parts and
those who chose the whole town. The language is the contact's own if the broadcast has
a text in it, else German.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, case, func, literal, or_, select
from sqlalchemy.sql import Select
from sqlmodel import Session

from bot.channels.window import WINDOW
from bot.core.models import Contact, utcnow
from bot.core.settings import LANGUAGES, Settings
from bot.core.subscriptions import Subscription

# Channels whose recipients outside the 24-hour window need an approved template.
WINDOW_CHANNELS = ("twilio", "whatsapp")


@dataclass(frozen=True)
class Target:
    """What decides the audience (the parts of a broadcast that select recipients)."""

    topics: list[str]
    districts: list[str] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=lambda: ["de"])  # those with a text


def audience(target: Target, default_language: str) -> Select[Any]:
    """contact_id, channel, language of every recipient, one row per contact."""
    own = func.coalesce(Contact.language, default_language)
    language = case((own.in_(target.languages), own), else_=literal("de"))
    where = [Subscription.topic.in_(target.topics)]  # type: ignore[attr-defined]
    if target.districts:
        where.append(
            or_(
                Subscription.district.is_(None),  # type: ignore[union-attr]
                Subscription.district.in_(target.districts),  # type: ignore[union-attr]
            )
        )
    # The channel filter belongs to the outer query: inside the subquery it would
    # correlate it with every contact (a subplan per contact, quadratic in subscribers).
    query = select(
        Contact.id.label("contact_id"),  # type: ignore[union-attr]
        Contact.channel.label("channel"),  # type: ignore[attr-defined]
        language.label("language"),
    ).where(
        Contact.id.in_(  # type: ignore[union-attr]
            select(Subscription.contact_id).where(and_(*where))
        )
    )
    if target.channels:
        query = query.where(Contact.channel.in_(target.channels))  # type: ignore[attr-defined]
    return query


def preview(session: Session, target: Target, settings: Settings) -> dict[str, Any]:
    """Audience size per channel and language, and who sits outside WhatsApp's 24-hour
    window (reached only with the template configured for broadcasts, else held)."""
    query = audience(target, settings.default_language).add_columns(Contact.last_inbound_at)
    since = utcnow() - WINDOW
    by_channel: Counter[str] = Counter()
    by_language: Counter[str] = Counter()
    outside: Counter[str] = Counter()
    for row in session.execute(query):
        by_channel[row.channel] += 1
        by_language[row.language] += 1
        last = row.last_inbound_at
        if row.channel in WINDOW_CHANNELS and (last is None or _aware(last) < since):
            outside[row.channel] += 1
    templates = {
        "twilio": settings.twilio_content_templates.get("broadcast"),
        "whatsapp": settings.whatsapp_templates.get("broadcast"),
    }
    unreachable = sum(n for ch, n in outside.items() if not templates.get(ch))
    return {
        "recipients": sum(by_channel.values()),
        "by_channel": dict(by_channel),
        "by_language": {lang: by_language[lang] for lang in LANGUAGES if by_language[lang]},
        "outside_window": dict(outside),
        "templates": templates,
        "unreachable_without_template": unreachable,
    }


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
