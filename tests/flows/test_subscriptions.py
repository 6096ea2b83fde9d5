"""Subscription dialogues, pure: topic buttons and typed names, parts of town, the
confirmed wording carried in the event, STOP before anything else, settings."""

from __future__ import annotations

import pytest

from flows.events import ConsentChanged
from tests.flows.helpers import Chat, FakeServices

TOPICS = {
    "topics": [
        {"id": "warnungen", "title": "Warnungen", "synonyms": ["Warnungen", "unwetter"]},
        {"id": "verkehr", "title": "Verkehr & Baustellen", "synonyms": ["baustellen"]},
        {"id": "abfall", "title": "Abfallkalender", "synonyms": ["müll"]},
        {"id": "all", "title": "Alle Themen", "synonyms": ["alle"]},
    ]
}
DISTRICTS = {
    "districts": [
        {"id": "all", "title": "Ganz Ahaus", "synonyms": ["überall"]},
        {"id": "wuellen", "title": "Wüllen", "synonyms": ["wuellen"]},
    ]
}
MINE = {
    "subscriptions": [
        {"id": "abfall", "title": "Abfallkalender", "district": "Wüllen", "synonyms": ["müll"]},
        {"id": "verkehr", "title": "Verkehr & Baustellen", "district": "Ganz Ahaus"},
        {"id": "all", "title": "Alle Themen", "synonyms": ["alle"]},
    ]
}


def services(mine: dict | None = None) -> FakeServices:
    return FakeServices(
        {
            "subscriptions.topics": TOPICS,
            "subscriptions.districts": DISTRICTS,
            "subscriptions.current": mine if mine is not None else MINE,
        }
    )


def consent(chat: Chat) -> list[ConsentChanged]:
    return [e for e in chat.events if isinstance(e, ConsentChanged)]


def test_typed_topic_and_district_then_confirm_records_the_wording_shown() -> None:
    chat = Chat(services())
    [question] = chat.send("Ich will Nachrichten", intent="subscribe")
    assert question.startswith("Zu welchem Thema möchten Sie Nachrichten der Stadt bekommen?")
    assert "Verkehr & Baustellen" in question
    [question] = chat.send("Müll")
    assert question.startswith("Für ganz Ahaus oder nur für einen Ortsteil?")
    summary = chat.send("Wüllen")[0]
    assert "• Thema: Abfallkalender\n• Ortsteil: Wüllen" in summary
    assert consent(chat) == []  # nothing before the citizen agrees
    texts = chat.send("ja", intent="affirm")
    assert texts[0].startswith("Abonniert ✅ Abfallkalender (Wüllen).")
    [event] = consent(chat)
    assert (event.broadcasts, event.topic, event.district) == (True, "abfall", "wuellen")
    assert event.wording == summary + "\n\n" + texts[0]


def test_deep_link_presets_the_topic_and_all_of_town_means_no_district() -> None:
    chat = Chat(services())
    [question] = chat.send(payload="subscribe_warnungen")
    assert question.startswith("Für ganz Ahaus oder nur für einen Ortsteil?")
    chat.send(payload="slot:district=all")
    chat.send(payload="confirm:yes")
    [event] = consent(chat)
    assert (event.topic, event.district) == ("warnungen", None)


def test_declining_the_summary_records_nothing() -> None:
    chat = Chat(services())
    chat.send(payload="subscribe_warnungen")
    chat.send("überall")
    chat.send(payload="cancel")
    assert consent(chat) == []


@pytest.mark.parametrize("word", ["STOP", "stopp", "Abmelden", "uitschrijven", "unsubscribe"])
def test_stop_words_end_everything_before_any_other_understanding(word: str) -> None:
    chat = Chat(services())
    texts = chat.send(word, intent="book_boat", confidence=0.99)
    assert texts == [
        "Sie sind von allen Nachrichten der Stadt Ahaus abgemeldet und bekommen keine mehr. "
        "Wieder anmelden geht jederzeit mit „anmelden“."
    ]
    assert consent(chat) == [
        ConsentChanged(broadcasts=False, topic="all", wording=texts[0], source="stop")
    ]
    assert chat.services.calls == []


def test_stop_in_the_middle_of_a_flow_aborts_it_and_says_both() -> None:
    chat = Chat(services())
    chat.send(payload="subscribe_warnungen")
    texts = chat.send("stop")
    assert texts[0] == "In Ordnung, ich habe den Vorgang abgebrochen."
    assert texts[1].startswith("Sie sind von allen Nachrichten")
    assert chat.state["flows"] == []


def test_stop_in_english_confirms_in_english() -> None:
    chat = Chat(services())
    assert chat.send("Unsubscribe", lang="en")[0].startswith("You are unsubscribed from all")


def test_unsubscribe_one_topic_by_name() -> None:
    chat = Chat(services())
    [question] = chat.send("keine Baustellen-Infos mehr", intent="unsubscribe")
    assert question.startswith("Welches Thema möchten Sie abbestellen?")
    texts = chat.send("Verkehr & Baustellen")
    assert texts == ["Abbestellt: Verkehr & Baustellen. Sie bekommen dazu keine Nachrichten mehr."]
    [event] = consent(chat)
    assert (event.broadcasts, event.topic, event.wording) == (False, "verkehr", texts[0])


def test_unsubscribe_with_nothing_subscribed() -> None:
    chat = Chat(services({"subscriptions": []}))
    assert chat.send("abbestellen bitte", intent="unsubscribe") == [
        "Sie haben keine Nachrichten der Stadt abonniert."
    ]
    assert consent(chat) == []


@pytest.mark.parametrize(
    ("word", "lang", "heading"),
    [("Einstellungen", "de", "Ihre Nachrichten"), ("settings", "en", "Your news"),
     ("instellingen", "nl", "Uw berichten")],
)
def test_settings_show_the_subscriptions_and_ways_to_change_them(
    word: str, lang: str, heading: str
) -> None:
    chat = Chat(services())
    [text] = chat.send(word, lang=lang)
    assert text.startswith(heading)
    assert "• Abfallkalender (Wüllen)" in text
    assert chat.buttons() == ["flow:subscribe", "flow:unsubscribe", "stop"]
    chat.send(payload="stop")
    assert consent(chat)[0].topic == "all"
