"""The knowledge base's files, index and editors' commands, on real files in a temp folder."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.core.settings import get_settings
from bot.knowledge.base import KnowledgeBase
from bot.knowledge.pages import PageError, read_page

PAGE = """---
title: Eisbahn am Schloss
source: https://www.ahaus.de/freizeit/eisbahn
stand: 2026-11-15
language: de
topics: [eisbahn, schlittschuh]
---
Die Eisbahn vor dem Schloss ist vom 27. November bis 6. Januar täglich von 11 bis 21 Uhr geöffnet.

Schlittschuhe leihen Sie direkt an der Bahn für 4 Euro.
"""


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("no front matter\n", "front matter between ---"),
        ("---\ntitle: x\n---\ntext\n", "lacks source, stand, language"),
        (PAGE.replace("language: de", "language: fr"), "language must be one of"),
        (PAGE.replace("stand: 2026-11-15", "stand: neulich"), "stand must be a date"),
        (PAGE.split("---\n", 2)[0] + "---\n" + PAGE.split("---\n", 2)[1] + "---\n", "no text"),
    ],
)
def test_a_broken_page_is_refused_with_its_file_named(tmp_path, text, error) -> None:
    path = write(tmp_path, "kaputt.de.md", text)
    with pytest.raises(PageError, match=error) as info:
        read_page(path)
    assert "kaputt.de.md" in str(info.value)


def test_a_page_is_read_into_paragraphs(tmp_path) -> None:
    page = read_page(write(tmp_path, "eisbahn.de.md", PAGE))
    assert page.id == "eisbahn.de" and page.title == "Eisbahn am Schloss"
    assert len(page.paragraphs) == 2 and page.topics == ("eisbahn", "schlittschuh")


def test_the_answer_cites_its_page_and_a_rebuilt_index_is_picked_up(tmp_path) -> None:
    folder, index = tmp_path / "pages", tmp_path / "kb.idx"
    write(folder, "eisbahn.de.md", PAGE)
    bot = KnowledgeBase([], folder=folder, index_path=index)
    editor = KnowledgeBase([], folder=folder, index_path=index)
    answer = bot.reply("Wo kann ich Schlittschuhe leihen?", None, "de")
    assert answer is not None
    assert "4 Euro" in answer[0].text
    assert (
        "Quelle: Eisbahn am Schloss (Stand 15.11.2026) https://www.ahaus.de/freizeit/eisbahn"
        in answer[0].text
    )
    assert answer[0].buttons[0].payload == "knowledge:eisbahn.de"
    assert bot.reply("Minigolf?", None, "de") is None

    minigolf = PAGE.replace("Eisbahn am Schloss", "Minigolf im Stadtpark").replace(
        "Die Eisbahn vor dem Schloss ist", "Der Minigolfplatz im Stadtpark ist"
    )
    write(folder, "minigolf.de.md", minigolf)
    editor.build()
    os.utime(index, (time.time() + 5, time.time() + 5))  # a coarse file clock must not hide it
    again = bot.reply("Minigolf?", None, "de")
    assert again is not None and "Minigolf im Stadtpark" in again[0].text


def test_the_full_text_button_shows_the_page_with_its_link(tmp_path) -> None:
    folder = tmp_path / "pages"
    write(folder, "eisbahn.de.md", PAGE)
    kb = KnowledgeBase([], folder=folder, base_url="https://chat.ahaus.de")
    full = kb.reply("", "knowledge:eisbahn.de", "de")
    assert full is not None
    assert "Schlittschuhe leihen" in full[0].text and "27. November" in full[0].text
    assert "https://chat.ahaus.de/knowledge/eisbahn.de" in full[0].text
    assert kb.reply("", "knowledge:gibt-es-nicht", "de") is None


@pytest.fixture
def own_settings() -> Iterator[None]:
    """The CLI reads the process-wide (cached) settings: from this test's environment."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_editors_index_and_ask_from_the_command_line(tmp_path, monkeypatch, own_settings) -> None:
    folder, index = tmp_path / "pages", tmp_path / "kb.idx"
    write(folder, "eisbahn.de.md", PAGE)
    monkeypatch.setenv("KNOWLEDGE_DIR", str(folder))
    monkeypatch.setenv("KNOWLEDGE_INDEX", str(index))
    runner = CliRunner()
    done = runner.invoke(app, ["knowledge", "index"])
    assert done.exit_code == 0, done.output
    # the page and the five demo services in three languages
    assert "indexed 16 pages (de 6, en 5, nl 5)" in done.output and index.exists()
    asked = runner.invoke(app, ["knowledge", "ask", "Was kosten Leih-Schlittschuhe?"])
    assert asked.exit_code == 0, asked.output
    assert "4 Euro" in asked.output and "eisbahn.de §2" in asked.output

    write(folder, "kaputt.de.md", "kein front matter")
    broken = runner.invoke(app, ["knowledge", "index"])
    assert broken.exit_code == 1 and "kaputt.de.md" in broken.output
