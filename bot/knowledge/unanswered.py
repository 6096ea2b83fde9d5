"""Questions the bot could not answer, grouped by similarity for the editors.

The fallbacks (`bot.core.fallbacks`: not understood, no source, out of scope) are the
best list of missing pages: ten people asking about the Christmas tree pickup in ten
wordings are one group, shown with its size, a few masked examples and the page that came
closest, so the team sees which page to write or which topic words to add.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sklearn.feature_extraction.text import TfidfVectorizer

from bot.knowledge.index import Analyzer, Hit, KnowledgeIndex
from nlu.anonymize import anonymize

#: Cosine similarity (of words and their 4-grams) a question needs to join a group.
SAME_GROUP = 0.35
EXAMPLES = 5


@dataclass(frozen=True)
class Asked:
    text: str
    language: str
    at: datetime


@dataclass
class Group:
    language: str
    examples: list[str] = field(default_factory=list)  # masked, newest first
    count: int = 0
    last: datetime | None = None
    closest: Hit | None = None  # the nearest passage, below the answer threshold

    @property
    def closest_page(self) -> str:
        return self.closest.passage.page.id if self.closest else ""


def group_questions(asked: list[Asked], index: KnowledgeIndex) -> list[Group]:
    """Groups of similar questions per language, the largest first (newest on a tie)."""
    groups: list[Group] = []
    for lang in sorted({a.language for a in asked}):
        mine = sorted((a for a in asked if a.language == lang), key=lambda a: a.at, reverse=True)
        groups += _group(mine, lang, index)
    return sorted(groups, key=lambda g: (-g.count, -(g.last.timestamp() if g.last else 0)))


def _group(asked: list[Asked], lang: str, index: KnowledgeIndex) -> list[Group]:
    vectorizer = TfidfVectorizer(analyzer=Analyzer(lang), sublinear_tf=True)
    try:
        matrix = vectorizer.fit_transform([a.text for a in asked])
    except ValueError:  # only stop words or emoji: one group of their own
        return [_new(asked, lang, index)] if asked else []
    heads: list[int] = []
    members: list[list[int]] = []
    for i in range(len(asked)):
        if heads:
            scores = (matrix[heads] @ matrix[i].T).toarray().ravel()
            best = int(scores.argmax())
            if scores[best] >= SAME_GROUP:
                members[best].append(i)
                continue
        heads.append(i)
        members.append([i])
    return [_new([asked[i] for i in group], lang, index) for group in members]


def _new(asked: list[Asked], lang: str, index: KnowledgeIndex) -> Group:
    hits = index.ranked(asked[0].text, lang, k=1)
    return Group(
        language=lang,
        examples=[anonymize(a.text) for a in asked[:EXAMPLES]],
        count=len(asked),
        last=asked[0].at,
        closest=hits[0] if hits else None,
    )
