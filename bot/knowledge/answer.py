"""The bot's reply from a retrieved passage: shortened, with its source and its date.

Every answer names where it comes from ("Quelle: Hundesteuer (Stand 10.01.2026)") and
offers the full text, so a citizen can check it and an editor can find what to fix.
"""

from __future__ import annotations

import re

from bot.core.i18n import t
from bot.core.messages import Button, Reply
from bot.knowledge.index import Hit, terms
from bot.knowledge.pages import Page
from flows.dialogue import KNOWLEDGE_PAYLOAD

SHORT_CHARS = 320
FULL_CHARS = 1500
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-ZÄÖÜ0-9])")


def page_url(base_url: str, page: Page) -> str:
    """Where the full text is read on the web (`/knowledge/{id}`)."""
    return f"{base_url.rstrip('/')}/knowledge/{page.id}"


def source_line(page: Page, lang: str) -> str:
    """ "Quelle: Titel (Stand 01.10.2026)", with the official URL when the page has one."""
    line = t("knowledge.source", lang, title=page.title, stand=page.stand.strftime("%d.%m.%Y"))
    return f"{line} {page.source}" if page.source else line


def shorten(text: str, question: str, lang: str, limit: int = SHORT_CHARS) -> str:
    """The sentences of a passage that share most with the question, in their order,
    within `limit` characters (the best one always, cut at a word if it alone is longer)."""
    sentences = _SENTENCE.split(text.strip())
    wanted = set(terms(question, lang))
    ranked = sorted(
        range(len(sentences)),
        key=lambda i: (-len(wanted & set(terms(sentences[i], lang))), i),
    )
    chosen: list[int] = []
    length = 0
    for i in ranked:
        if chosen and length + len(sentences[i]) + 1 > limit:
            continue
        chosen.append(i)
        length += len(sentences[i]) + 1
    short = " ".join(sentences[i] for i in sorted(chosen))
    if len(short) > limit:
        short = short[:limit].rsplit(" ", 1)[0] + " …"
    return short


def answer_reply(hit: Hit, question: str, lang: str) -> Reply:
    """The answer to a question: the best passage shortened, its source, "full text"."""
    page = hit.passage.page
    text = f"{shorten(hit.passage.text, question, lang)}\n\n{source_line(page, lang)}"
    button = Button(title=t("knowledge.full_text", lang), payload=KNOWLEDGE_PAYLOAD + page.id)
    return Reply(text=text, buttons=[button])


def written_reply(text: str, hits: list[Hit], lang: str) -> Reply:
    """A model's answer from the passages of `hits`, each cited page listed under it."""
    sources = "\n".join(f"[{i}] {source_line(h.passage.page, lang)}" for i, h in enumerate(hits, 1))
    page = hits[0].passage.page
    button = Button(title=t("knowledge.full_text", lang), payload=KNOWLEDGE_PAYLOAD + page.id)
    return Reply(text=f"{text}\n\n{sources}", buttons=[button])


def full_text_reply(page: Page, lang: str, base_url: str) -> Reply:
    """The whole page in the chat (cut at FULL_CHARS), its source and the web link."""
    body = "\n\n".join(page.paragraphs)
    if len(body) > FULL_CHARS:
        body = body[:FULL_CHARS].rsplit(" ", 1)[0] + " …"
    link = t("knowledge.read_online", lang, url=page_url(base_url, page))
    return Reply(text=f"*{page.title}*\n\n{body}\n\n{source_line(page, lang)}\n{link}")
