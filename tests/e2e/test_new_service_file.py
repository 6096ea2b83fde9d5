"""A city service added as one file: the library card, asked about and applied for in
de/en/nl against the real backend (trained NLU, real actions, SQLite) over `POST /api/chat`.

The file is the only place the service exists: its titles and synonyms reach the NLU's
`service` lookup and the apply_service/service_info options, its rules reach
`cases.submit`, and its title names it in the status reply (issue 8, part 4).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.e2e.conftest import WebChat

REFERENCE = re.compile(r"AH-\d{4}-\d{6}")

#: The new service's one file; the test copies it into an empty folder of its own.
LIBRARY_CARD = Path(__file__).with_name("library_card.yaml")


@pytest.fixture
def app_settings(tmp_path: Path) -> dict[str, Any]:
    """The shipped flows plus a folder (EXTRA_FLOWS_DIR) holding only `library_card.yaml`."""
    city = tmp_path / "city_services"
    city.mkdir()
    shutil.copy(LIBRARY_CARD, city / "library_card.yaml")
    return {"extra_flows_dir": str(city)}


@pytest.mark.parametrize(
    ("lang", "question", "fees"),
    [
        ("de", "Was kostet ein Bibliotheksausweis?", "Kosten: 12 € im Jahr"),
        ("en", "How much is a library card?", "Fees: €12 a year"),
        ("nl", "Wat kost een bibliotheekpas?", "Kosten: € 12 per jaar"),
    ],
)
def test_asked_by_name_its_fees_are_answered(
    client: TestClient, lang: str, question: str, fees: str
) -> None:
    web = WebChat(client, lang)
    answer = web.send(question)
    assert fees in answer
    assert "Rechtsgrundlage" not in answer and "Legal basis" not in answer  # the part asked
    assert web.payloads() == ["info_library_card", "flow:library_card"]
    full = web.send(payload="info_library_card")  # "Mehr: …": the whole description
    assert full.count("\n") >= 6 and fees.split(": ")[1] in full


@pytest.mark.parametrize(
    ("lang", "wish", "name_prompt", "street_prompt", "yes", "done", "status_word"),
    [
        ("de", "Ich möchte einen Bibliotheksausweis beantragen", "Auf welchen Namen?",
         "Ihre Straße in Ahaus?", "ja", "Beantragt ✅", "eingegangen"),
        ("en", "I would like to apply for a library card", "In whose name?",
         "Your street in Ahaus?", "yes", "Applied ✅", "received"),
        ("nl", "Ik wil graag een bibliotheekpas aanvragen", "Op welke naam?",
         "Uw straat in Ahaus?", "ja", "Aangevraagd ✅", "ontvangen"),
    ],
)
def test_applied_for_with_a_reference_and_its_status(
    client: TestClient,
    lang: str,
    wish: str,
    name_prompt: str,
    street_prompt: str,
    yes: str,
    done: str,
    status_word: str,
) -> None:
    web = WebChat(client, lang)
    assert web.send(wish) == name_prompt
    assert web.send("Anna Becker") == street_prompt
    assert "Anna Becker" in web.send("Marktstraße")
    submitted = web.send(yes)
    assert submitted.startswith(done) and "3" in submitted
    reference = REFERENCE.search(submitted)
    assert reference is not None
    status = web.send(f"Status {reference[0]}")
    title = {"de": "Bibliotheksausweis", "en": "Library card", "nl": "Bibliotheekpas"}[lang]
    assert status.startswith(f"{reference[0]} ({title}): {status_word}")
