"""A citizen asks for a copy of their data and for erasure, in the chat, in de/en/nl."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from actions.privacy import ErasureRequest
from bot.core.db import transaction
from bot.core.models import Contact, Message, utcnow
from bot.privacy_jobs import carry_out_erasures

ASK = {
    "de": ("Ich möchte wissen, welche Daten Sie über mich gespeichert haben", "Kopie meiner Daten",
           "Bitte löschen Sie alle meine Daten", "löschen", "ja"),
    "en": ("Please send me a copy of all my personal data", "a copy",
           "I want you to delete all my data", "delete", "yes"),
    "nl": ("Ik wil een kopie van mijn gegevens", "kopie",
           "Verwijder al mijn gegevens alstublieft", "verwijderen", "ja"),
}
LINK = re.compile(r"/privacy/export/([A-Za-z0-9_-]+)")


@pytest.mark.parametrize("lang", ["de", "en", "nl"])
def test_a_copy_of_my_data_downloads_once(chat, client: TestClient, lang: str) -> None:
    ask_copy, choose, *_ = ASK[lang]
    web = chat(lang)
    asked = web.send(ask_copy)
    # Asking for one's data never lands on the erasure question.
    assert not any(q in asked for q in ("Jetzt löschen?", "Delete now?", "Nu verwijderen?"))
    if "confirm:yes" not in web.payloads():  # the choice is asked unless already said
        assert "slot:what=export" in web.payloads(), asked
        web.send(choose)
    assert "confirm:yes" in web.payloads(), web.last
    answer = web.send(payload="confirm:yes")
    match = LINK.search(answer)
    assert match, answer
    download = client.get(f"/privacy/export/{match[1]}")
    assert download.status_code == 200, download.text
    data = download.json()["data"]
    assert ask_copy in [m["text"] for m in data["message"]]
    assert client.get(f"/privacy/export/{match[1]}").status_code == 404  # once only
    assert client.get("/privacy/export/not-a-real-token-123456").status_code == 404


@pytest.mark.parametrize("lang", ["de", "en", "nl"])
def test_erasure_after_confirmation_leaves_nothing_of_the_chat(chat, client: TestClient,
                                                               lang: str) -> None:
    *_, ask_erase, choose, yes = ASK[lang]
    web = chat(lang)
    web.send("Hallo, ich bin Frieda und wohne in der Marktstraße 3")
    web.send(ask_erase)
    if "confirm:yes" not in web.payloads():
        web.send(choose)
    assert "confirm:yes" in web.payloads(), web.last
    done = web.send(yes)
    assert "✅" in done
    db = client.app.state.engine.db
    with transaction(db) as session:
        assert carry_out_erasures(session, utcnow(), client.app.state.settings) == 1
    with Session(db) as session:
        texts = [m.text or "" for m in session.exec(select(Message))]
        assert not any("Frieda" in t or "Marktstraße" in t for t in texts)
        assert session.exec(select(Contact).where(Contact.channel_user_id == web.session_id)
                            ).first() is None
        assert session.exec(select(ErasureRequest)).one().status == "done"
    # Writing again starts afresh: nothing of the old chat comes back.
    history = client.get("/api/chat/history", params={"session_id": web.session_id})
    assert "Frieda" not in history.text
