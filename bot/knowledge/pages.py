"""The knowledge base's documents: the city's Markdown pages and the flows' service blocks.

A page is one Markdown file with YAML front matter (`title`, `source`, `stand`,
`language`, `topics`); its id is the file name without `.md` (`sperrmuell-regen.de`), so an
editor renames nothing else. A mistake in a file stops `stadtbot knowledge index` with the
file named, rather than leaving a page silently out of the answers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import yaml

from bot.core.i18n import t
from flows.definition import LANGS, SERVICE_PARTS, Flow

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "actions" / "data" / "knowledge"
SERVICE_PREFIX = "service."
_FRONT = re.compile(r"\A---\s*\n(.*?)\n---\s*\n(.*)\Z", re.DOTALL)
_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
REQUIRED = ("title", "source", "stand", "language")
#: Parts of a service description left out of the answers: nobody asks the chat for the
#: legal basis, and its words ("Sperrmüll", "Satzung") would only attract questions.
UNASKED = frozenset({"legal_basis"})


class PageError(ValueError):
    """A page file the knowledge base cannot use; the message names the file."""


@dataclass(frozen=True)
class Page:
    """One document: what an answer cites and what the full-text view shows."""

    id: str
    title: str
    source: str  # the official URL; empty for a service description kept in the flows
    stand: date
    language: str
    topics: tuple[str, ...]
    paragraphs: tuple[str, ...]


def load_pages(folder: Path) -> list[Page]:
    """Every `*.md` page in `folder` (not recursive), sorted by id."""
    if not folder.is_dir():
        raise PageError(f"knowledge folder {folder} does not exist")
    return [read_page(path) for path in sorted(folder.glob("*.md"))]


def read_page(path: Path) -> Page:
    """One page file, checked; a `PageError` names the file and what is wrong."""
    page_id = path.name[: -len(".md")]
    if not _ID.match(page_id):
        raise PageError(f"{path}: the file name must be lower case letters, digits, . _ -")
    m = _FRONT.match(path.read_text(encoding="utf-8"))
    if m is None:
        raise PageError(f"{path}: the file must start with front matter between --- lines")
    try:
        meta = yaml.safe_load(m.group(1))
    except yaml.YAMLError as exc:
        raise PageError(f"{path}: front matter is not valid YAML: {exc}") from exc
    if not isinstance(meta, dict):
        raise PageError(f"{path}: front matter must be a mapping")
    missing = [key for key in REQUIRED if not meta.get(key)]
    if missing:
        raise PageError(f"{path}: front matter lacks {', '.join(missing)}")
    if meta["language"] not in LANGS:
        raise PageError(f"{path}: language must be one of {', '.join(LANGS)}")
    stand = meta["stand"]
    if not isinstance(stand, date):
        raise PageError(f"{path}: stand must be a date like 2026-10-01")
    paragraphs = tuple(_paragraphs(m.group(2)))
    if not paragraphs:
        raise PageError(f"{path}: the page has no text")
    topics = meta.get("topics") or []
    return Page(
        id=page_id,
        title=str(meta["title"]),
        source=str(meta["source"]),
        stand=stand,
        language=str(meta["language"]),
        topics=tuple(str(topic) for topic in topics),
        paragraphs=paragraphs,
    )


def service_pages(flows: Iterable[Flow]) -> list[Page]:
    """A page per service and language from the flows' `service:` blocks, its parts as
    paragraphs ("Kosten: …"); dated by the flow file, which is where editors change it."""
    pages = []
    for flow in flows:
        if flow.service is None:
            continue
        stand = datetime.fromtimestamp(Path(flow.path).stat().st_mtime, tz=UTC).date()
        for lang in LANGS:
            parts = [
                f"{t('service.' + part, lang)}: {flow.service.description[part][lang]}"
                if part != SERVICE_PARTS[0]
                else flow.service.description[part][lang]
                for part in SERVICE_PARTS
                if part not in UNASKED and flow.service.description.get(part, {}).get(lang)
            ]
            if not parts:
                continue
            synonyms = flow.service.synonyms.get(lang, ())
            pages.append(
                Page(
                    id=f"{SERVICE_PREFIX}{flow.name}.{lang}",
                    title=flow.service.title[lang],
                    source="",
                    stand=stand,
                    language=lang,
                    topics=tuple(synonyms),
                    paragraphs=tuple(parts),
                )
            )
    return pages


def _paragraphs(body: str) -> list[str]:
    """Blank-line separated paragraphs, lines joined, Markdown headings dropped."""
    chunks = re.split(r"\n\s*\n", body.strip())
    lines = (" ".join(line.strip() for line in chunk.splitlines()) for chunk in chunks)
    return [chunk for chunk in lines if chunk and not chunk.startswith("#")]
