"""Language per contact and the way the bot handles what it does not understand."""

from __future__ import annotations

from fastapi.testclient import TestClient

from bot.core.i18n import catalog, t


def texts(messages: list[dict]) -> str:
    return " ".join(m["text"] for m in messages)


def test_each_language_is_answered_in_that_language(say) -> None:
    assert texts(say("Hallo, guten Tag!")) == t("greeting", "de")


def test_english_conversation(say) -> None:
    assert texts(say("hello there, good morning")) == t("greeting", "en")
    assert texts(say("thanks a lot")) == t("thanks", "en")


def test_dutch_conversation(say) -> None:
    assert texts(say("goedemorgen, hoe gaat het")) == t("greeting", "nl")
    assert texts(say("bedankt voor de hulp")) == t("thanks", "nl")


def test_language_sticks_for_short_messages(say) -> None:
    say("hello there, good morning")
    english = set(catalog("en").values())
    for short in ("ok", "hi", "Marktstraße"):
        reply = say(short)
        assert reply[0]["text"] in english, (short, reply[0]["text"])


def test_page_language_switch_wins(client: TestClient) -> None:
    res = client.post("/api/chat", json={"text": "Hallo", "lang": "nl"})
    assert res.json()["messages"][0]["text"] == t("greeting", "nl")


def test_fallback_then_clarification_then_handoff_offer(say) -> None:
    first = say("xqzt blorp fnargh")
    assert first[0]["text"] in (t("clarify", "de"), t("fallback", "de"))
    assert first[0]["buttons"], "a misunderstanding offers choices"
    second = say("wrrrzl pflonk")
    assert second[0]["text"] == t("handoff.offer", "de")
    accepted = say(payload=second[0]["buttons"][0]["payload"])
    assert accepted[0]["text"] == t("handoff.started", "de")


def test_clarification_button_runs_the_chosen_intent(say) -> None:
    reply = say("xqzt blorp fnargh")
    for button in reply[0]["buttons"]:
        assert button["payload"].startswith("intent:")
    help_reply = say(payload="intent:help")
    assert help_reply[0]["text"] == t("help", "de")


def test_fallbacks_are_stored_for_review(client: TestClient, say) -> None:
    from sqlmodel import Session

    from bot.core.fallbacks import list_fallbacks

    say("xqzt blorp fnargh")
    with Session(client.app.state.engine.db) as session:
        rows = list_fallbacks(session)
    assert [r.text for r in rows] == ["xqzt blorp fnargh"]
    assert rows[0].ranking and rows[0].language == "de"
