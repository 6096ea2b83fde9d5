"""The privacy notice (GDPR Art. 13): on a messaging channel's first contact it comes
first, in the contact's language, with its link, once; the web chat shows it on its page;
`/privacy` says what is stored, why, how long and who sees it, in de/en/nl."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.app import create_app
from bot.core.i18n import t
from bot.core.messages import InboundMessage
from bot.core.models import Outbox
from tests.support import keyword_engine

NOTICE_START = {"de": "Datenschutz:", "en": "Privacy:", "nl": "Privacy:"}


def inbound(channel: str, sender: str, text: str, mid: str) -> InboundMessage:
    return InboundMessage(channel=channel, sender_id=sender, text=text, provider_message_id=mid)


@pytest.mark.parametrize(
    ("channel", "text", "lang"),
    [("telegram", "Hallo", "de"), ("whatsapp", "hello, good morning", "en"),
     ("twilio", "goedemorgen", "nl")],
)
def test_first_contact_gets_the_notice_first_and_once(
    db_url: str, settings_for, channel: str, text: str, lang: str
) -> None:
    settings = settings_for(
        db_url, privacy_notice=True, public_base_url="http://bot.ahaus.example", retention_days=60
    )
    engine = keyword_engine(settings)
    first = engine.handle(
        inbound(channel, "u1", text, "m1").model_copy(update={"language_hint": lang})
    )
    notice = first.replies[0].reply.text
    assert notice.startswith(NOTICE_START[lang]), notice
    assert "http://bot.ahaus.example/privacy" in notice and "60" in notice
    assert len(first.replies) == 2  # the notice, then the answer to the message itself
    again = engine.handle(inbound(channel, "u1", "Hilfe", "m2"))
    assert all("/privacy" not in r.reply.text for r in again.replies)
    with Session(engine.db) as session:  # written to the outbox with the turn, like any reply
        texts = [row.body.get("text", "") for row in session.exec(select(Outbox)).all()]
    assert sum("/privacy" in body for body in texts) == 1


def test_a_city_link_and_the_setting_to_leave_it_to_the_profile(sqlite_url, settings_for):
    own = keyword_engine(
        settings_for(sqlite_url, privacy_notice=True, privacy_notice_url="https://ahaus.de/ds")
    )
    first = own.handle(inbound("telegram", "a", "Hallo", "1")).replies[0].reply.text
    assert "https://ahaus.de/ds" in first
    off = keyword_engine(settings_for(sqlite_url, privacy_notice=False))
    replies = off.handle(inbound("telegram", "b", "Hallo", "2")).replies
    assert all("Datenschutz" not in r.reply.text for r in replies)


def test_web_chat_shows_it_on_the_page_not_as_a_message(sqlite_url, settings_for) -> None:
    settings = settings_for(sqlite_url, privacy_notice=True)
    with TestClient(create_app(settings, keyword_engine(settings))) as client:
        first = client.post("/api/chat", json={"text": "Hallo"}).json()
        assert all("Datenschutz" not in m["text"] for m in first["messages"])
        assert 'href="/privacy?lang=de"' in client.get("/chat").text
        for lang, words in {"de": "Wie lange", "en": "How long", "nl": "Hoe lang"}.items():
            page = client.get(f"/privacy?lang={lang}")
            assert page.status_code == 200 and words in page.text and "90" in page.text
        assert client.get("/privacy?lang=xx").status_code == 422


@pytest.mark.parametrize("lang", ["de", "en", "nl"])
def test_with_no_retention_period_no_number_of_days_is_promised(
    sqlite_url, settings_for, lang: str
) -> None:
    """RETENTION_DAYS=0 keeps transcripts until the citizen asks: notice and page say so."""
    settings = settings_for(sqlite_url, privacy_notice=True, retention_days=0)
    engine = keyword_engine(settings)
    first = engine.handle(
        inbound("telegram", "k", "Hallo", "k1").model_copy(update={"language_hint": lang})
    )
    notice = first.replies[0].reply.text
    assert notice.startswith(NOTICE_START[lang]) and "/privacy" in notice
    assert not any(ch.isdigit() for ch in notice.split("http")[0]), notice
    with TestClient(create_app(settings, engine)) as client:
        page = client.get(f"/privacy?lang={lang}").text
    assert t("privacy.page.how_long_kept", lang) in page
    assert t("privacy.page.how_long", lang, days=0) not in page


def test_concurrent_first_messages_get_one_notice_on_postgres(pg_url: str, settings_for) -> None:
    """Two first messages from one sender at once (a double tap, two webhook deliveries
    of different messages): the conversation lock serialises them, the notice goes once."""
    import threading

    settings = settings_for(pg_url, privacy_notice=True, public_base_url="http://bot.example")
    engine = keyword_engine(settings)
    barrier = threading.Barrier(4)

    def first(mid: str) -> None:
        barrier.wait()
        engine.handle(inbound("telegram", "racer", "Hallo", mid))

    threads = [threading.Thread(target=first, args=(f"r{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with Session(engine.db) as session:
        texts = [row.body.get("text", "") for row in session.exec(select(Outbox)).all()]
    assert sum("/privacy" in body for body in texts) == 1
    assert len(texts) == 5  # one notice and four answers
