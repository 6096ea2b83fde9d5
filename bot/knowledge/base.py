"""The knowledge base a running bot answers from: pages, index, and the replies.

Built once per process from the pages folder and the loaded flows. `stadtbot knowledge
index` checks the pages and writes the index file; a running process notices the new
file at its next question and answers from it (no restart), and builds its own index at
start when the file is missing or stale.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from pathlib import Path

from bot.core.messages import Reply
from bot.knowledge.answer import answer_reply, full_text_reply, written_reply
from bot.knowledge.index import Hit, KnowledgeIndex
from bot.knowledge.pages import DEFAULT_DIR, Page, load_pages, service_pages
from flows.definition import Flow
from flows.dialogue import KNOWLEDGE_PAYLOAD

log = logging.getLogger(__name__)

#: Words an answer from passages: (question, passages, language) → text, or None.
Writer = Callable[[str, list[str], str], str | None]
WRITER_PASSAGES = 3


def read_all(folder: Path, flows: Iterable[Flow]) -> list[Page]:
    """The city's pages and the services' descriptions; ids must be unique."""
    pages = load_pages(folder) + service_pages(flows)
    seen: set[str] = set()
    for page in pages:
        if page.id in seen:
            raise ValueError(f"knowledge page id {page.id!r} appears twice")
        seen.add(page.id)
    return pages


class KnowledgeBase:
    """Answers from the pages: `reply` for the engine, `search` for editors and tests."""

    def __init__(
        self,
        flows: Iterable[Flow],
        folder: Path | None = None,
        index_path: Path | None = None,
        base_url: str = "",
    ) -> None:
        self.folder = folder or DEFAULT_DIR
        self.flows = list(flows)
        self.index_path = index_path
        self.base_url = base_url
        pages = read_all(self.folder, self.flows)
        saved = KnowledgeIndex.load(index_path, pages) if index_path else None
        self.index = saved or KnowledgeIndex(pages)
        self._mtime = self._index_mtime()

    def build(self) -> KnowledgeIndex:
        """Re-read the pages, index them and write the index file (`knowledge index`)."""
        self.index = KnowledgeIndex(read_all(self.folder, self.flows))
        if self.index_path is not None:
            self.index.save(self.index_path)
            self._mtime = self._index_mtime()
        return self.index

    def search(self, text: str, lang: str, k: int = 3) -> list[Hit]:
        self._reload_if_rebuilt()
        return self.index.search(text, lang, k)

    def page(self, page_id: str) -> Page | None:
        self._reload_if_rebuilt()
        return self.index.pages.get(page_id)

    def reply(
        self, text: str, payload: str | None, lang: str, writer: Writer | None = None
    ) -> tuple[Reply, float] | None:
        """The answer to a question and its score (or the full text a tapped
        `knowledge:ID` asks for, score 1); None when nothing is above the threshold.

        With a `writer` (the optional model), the answer is worded from the best passages
        when it can be; else it is the best passage, shortened."""
        if payload and payload.startswith(KNOWLEDGE_PAYLOAD):
            page = self.page(payload[len(KNOWLEDGE_PAYLOAD) :])
            return (full_text_reply(page, lang, self.base_url), 1.0) if page else None
        if payload or not text:
            return None
        hits = self.search(text, lang, k=WRITER_PASSAGES if writer else 1)
        if not hits:
            return None
        written = writer(text, [h.passage.text for h in hits], lang) if writer else None
        if written:
            return written_reply(written, hits, lang), hits[0].score
        return answer_reply(hits[0], text, lang), hits[0].score

    def _index_mtime(self) -> float | None:
        try:
            return self.index_path.stat().st_mtime if self.index_path else None
        except OSError:
            return None

    def _reload_if_rebuilt(self) -> None:
        """One stat per question: another process ran `knowledge index`."""
        mtime = self._index_mtime()
        if mtime is None or mtime == self._mtime or self.index_path is None:
            return
        self._mtime = mtime
        try:
            pages = read_all(self.folder, self.flows)
        except (OSError, ValueError) as exc:
            log.warning("knowledge pages unreadable, keeping the old index: %s", exc)
            return
        fresh = KnowledgeIndex.load(self.index_path, pages)
        if fresh is not None:
            self.index = fresh
