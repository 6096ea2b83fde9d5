"""What the subscription dialogues show: the topics, parts of town, one's subscriptions.

Read-only: subscribing and withdrawing are the dialogue's `ConsentChanged` events,
which the engine applies (bot/broadcasts/consent.py). Titles come in the citizen's
language with the synonyms people type, so "Müll" or "Baustellen" picks a topic.

Actions: `subscriptions.topics` {} → {topics: [{id, title, synonyms}]} (with "all"),
`subscriptions.districts` {} → {districts: [...]} (with "all"),
`subscriptions.current` {} → {subscriptions: [{id, title, district, synonyms}]} (with
"all" when there are several).
"""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from actions.registry import ActionContext, action
from bot.core.i18n import t
from bot.core.subscriptions import ALL, Subscription, Topic, districts, topics


def _option(entry: Topic, lang: str) -> dict[str, Any]:
    return {
        "id": entry.id,
        "title": entry.title[lang],
        "synonyms": [*entry.title.values(), *entry.synonyms],
    }


def _all(key: str, lang: str, synonyms: list[str]) -> dict[str, Any]:
    return {"id": ALL, "title": t(key, lang), "synonyms": synonyms}


@action("subscriptions.topics", writes=False)
def list_topics(ctx: ActionContext, params: dict[str, Any]) -> dict[str, Any]:
    options = [_option(topic, ctx.language) for topic in topics()]
    everything = ["alle", "alles", "all", "everything", "alle onderwerpen"]
    return {"topics": [*options, _all("subscriptions.all_topics", ctx.language, everything)]}


@action("subscriptions.districts", writes=False)
def list_districts(ctx: ActionContext, params: dict[str, Any]) -> dict[str, Any]:
    options = [_option(district, ctx.language) for district in districts()]
    whole = ["alle", "überall", "egal", "ganze stadt", "everywhere", "all", "overal", "heel ahaus"]
    return {
        "districts": [_all("subscriptions.all_districts", ctx.language, whole), *options]
    }


@action("subscriptions.current", writes=False)
def current(ctx: ActionContext, params: dict[str, Any]) -> dict[str, Any]:
    rows = ctx.session.exec(
        select(Subscription).where(Subscription.contact_id == ctx.contact_id)
    ).all()
    by_id = {topic.id: topic for topic in topics()}
    names = {district.id: district.title[ctx.language] for district in districts()}
    whole = t("subscriptions.all_districts", ctx.language)
    order = list(by_id)
    mine = [
        {
            **_option(by_id[row.topic], ctx.language),
            "district": names.get(row.district or "", whole),
        }
        for row in sorted(rows, key=lambda r: order.index(r.topic) if r.topic in by_id else 99)
        if row.topic in by_id
    ]
    if len(mine) > 1:
        mine.append(_all("subscriptions.all_topics", ctx.language, ["alle", "alles", "all"]))
    return {"subscriptions": mine}
