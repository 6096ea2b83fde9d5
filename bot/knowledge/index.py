"""Lexical retrieval over the pages' passages, one index per language.

A passage is one paragraph with its page's title and topics in front (a paragraph often
does not repeat what the page is about). Words and their character 4-grams are weighted by
TF-IDF (scikit-learn), so "Sperrmüllabholung" still meets "Sperrmüll" and "Perso" meets
little; a score under the threshold means the pages do not answer the question.
"""

from __future__ import annotations

import hashlib
import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from bot.knowledge.pages import Page
from nlu.normalize import words

#: Cosine similarity a passage needs to be an answer (tuned on tests/data/knowledge_eval.yml,
#: see BENCHMARKS.md).
THRESHOLD = 0.2
#: The passage's own words against its page's in a passage's score.
PASSAGE_WEIGHT = 0.3
GRAM = 4
_STOPWORDS = {
    "de": "der die das den dem des ein eine einen einem einer und oder ich du sie er es wir ihr"
    " mein meine meinen meinem mir mich ist sind bin war wird werden kann können muss müssen"
    " darf dürfen soll wie was wo wann wer welche welcher welches warum ob für mit von zu zum"
    " zur im in am an auf aus bei bis nach vor über um es gibt hat haben habe noch auch nicht"
    " kein keine man sich so da dann denn doch mal bitte gerne hallo trotzdem eigentlich",
    "en": "the a an and or i you he she it we they my me is are am was be will can could must"
    " may should do does did how what where when who which why whether for with of to at in"
    " on from by until after before about there have has had not no any so then please hello"
    " get i'm",
    "nl": "de het een en of ik jij je u hij zij het wij we mijn me mij is zijn ben was wordt"
    " worden kan kunnen moet moeten mag mogen hoe wat waar wanneer wie welke waarom of voor met"
    " van naar te om in op aan uit bij tot na over er heeft hebben heb niet geen dan toch"
    " graag alstublieft hallo",
}
STOPWORDS = {lang: frozenset(words(text)) for lang, text in _STOPWORDS.items()}


@dataclass(frozen=True)
class Passage:
    page: Page
    index: int  # the paragraph's position in its page

    @property
    def text(self) -> str:
        return self.page.paragraphs[self.index]


@dataclass(frozen=True)
class Hit:
    passage: Passage
    score: float


def terms(text: str, lang: str) -> list[str]:
    """The index terms of a text: its content words and their character 4-grams."""
    stop = STOPWORDS.get(lang, frozenset())
    out: list[str] = []
    for word in words(text):
        if word in stop or len(word) < 2:
            continue
        out.append(word)
        padded = f"<{word}>"
        out += [padded[i : i + GRAM] for i in range(len(padded) - GRAM + 1)]
    return out


@dataclass(frozen=True)
class Analyzer:
    """`terms` for one language, as a picklable callable for the vectorizer."""

    lang: str

    def __call__(self, text: str) -> list[str]:
        return terms(text, self.lang)


class _LanguageIndex:
    """The TF-IDF matrices of one language's passages and of their pages: a passage
    scores by its own words and by its page's (title, topics, the whole text), so a
    paragraph that does not repeat its topic is still found, and a short one full of the
    title's words does not win on them alone."""

    def __init__(self, lang: str, passages: list[Passage], weight: float) -> None:
        self.lang = lang
        self.passages = passages
        self.weight = weight
        self.vectorizer = TfidfVectorizer(analyzer=Analyzer(lang), sublinear_tf=True)
        pages = {p.page.id: p.page for p in passages}
        self.page_ids = list(pages)
        self.vectorizer.fit([_page_document(page) for page in pages.values()])
        self.page_matrix = self.vectorizer.transform([_page_document(p) for p in pages.values()])
        self.matrix = self.vectorizer.transform([p.text for p in passages]).tocsr()
        row = {page_id: i for i, page_id in enumerate(self.page_ids)}
        self.page_of = np.array([row[p.page.id] for p in passages])

    def search(self, text: str, k: int) -> list[Hit]:
        """The best passage of each of the k best pages."""
        query = self.vectorizer.transform([text])
        if query.nnz == 0:
            return []
        own = (self.matrix @ query.T).toarray().ravel()
        page = (self.page_matrix @ query.T).toarray().ravel()[self.page_of]
        scores = self.weight * own + (1 - self.weight) * page
        hits: list[Hit] = []
        seen: set[int] = set()
        for i in np.argsort(-scores):
            if scores[i] <= 0 or len(hits) == k:
                break
            if self.page_of[i] not in seen:
                seen.add(self.page_of[i])
                hits.append(Hit(self.passages[i], float(scores[i])))
        return hits


class KnowledgeIndex:
    """All pages, searchable per language; `search` returns hits above the threshold."""

    def __init__(
        self, pages: list[Page], threshold: float = THRESHOLD, weight: float = PASSAGE_WEIGHT
    ) -> None:
        self.pages = {page.id: page for page in pages}
        self.threshold = threshold
        self.fingerprint = fingerprint(pages)
        by_lang: dict[str, list[Passage]] = {}
        for page in pages:
            for i in range(len(page.paragraphs)):
                by_lang.setdefault(page.language, []).append(Passage(page, i))
        self._indexes = {
            lang: _LanguageIndex(lang, ps, weight) for lang, ps in by_lang.items()
        }

    def search(self, text: str, lang: str, k: int = 3) -> list[Hit]:
        """The best passages in the citizen's language, best first, above the threshold."""
        index = self._indexes.get(lang)
        if index is None or not text.strip():
            return []
        return [hit for hit in index.search(text, k) if hit.score >= self.threshold]

    def ranked(self, text: str, lang: str, k: int = 3) -> list[Hit]:
        """Like `search`, ignoring the threshold (for evaluation and editors)."""
        index = self._indexes.get(lang)
        return index.search(text, k) if index is not None and text.strip() else []

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pickle.dumps(self))

    @staticmethod
    def load(path: Path, pages: list[Page]) -> KnowledgeIndex | None:
        """The saved index if it was built from exactly these pages; else None."""
        try:
            index = pickle.loads(path.read_bytes())  # our own file, written by `save`
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
            return None
        if not isinstance(index, KnowledgeIndex) or index.fingerprint != fingerprint(pages):
            return None
        return index


def fingerprint(pages: list[Page]) -> str:
    """A hash of every page's content: a saved index is stale when it differs."""
    digest = hashlib.sha256()
    for page in sorted(pages, key=lambda p: p.id):
        digest.update(repr(page).encode("utf-8"))
    return digest.hexdigest()


def _page_document(page: Page) -> str:
    """The title counts twice: it names what the page is about."""
    return " ".join((page.title, page.title, " ".join(page.topics), *page.paragraphs))
