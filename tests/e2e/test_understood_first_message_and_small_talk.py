"""What the first message says is kept (street, house number, items), and small talk
gets a short "what I can do" with the main menu, never a rush to staff; de/en/nl."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("lang", "text", "not_asked"),
    [
        (
            "de",
            "Sperrmüll bitte abholen in der Hofstraße 9: zwei Sessel und ein Regal",
            ["Hausnummer?", "Was soll abgeholt werden"],
        ),
        (
            "en",
            "please collect bulky waste at Wallstraße 21, an old bed and a chair",
            ["house number?", "What should be collected"],
        ),
        (
            "nl",
            "ik wil grofvuil laten ophalen op de Hofstraße 5: een kast en een matras",
            ["huisnummer?", "Wat moet er worden opgehaald"],
        ),
    ],
)
def test_street_house_number_and_items_from_the_first_message(chat, lang, text, not_asked):
    web = chat(lang)
    reply = web.send(text)
    assert not any(q in reply for q in not_asked), reply
    assert any(p.startswith("slot:preferred_date=") for p in web.payloads()), reply


@pytest.mark.parametrize(
    ("lang", "messages", "what"),
    [
        (
            "de",
            ["Wer wird heute Abend Fußballmeister?", "Erzähl mir einen Witz", "🙂🙂"],
            "Dabei kann ich leider nicht helfen",
        ),
        (
            "en",
            ["tell me a joke", "who won the football last night?", "🙃"],
            "I can't help with that",
        ),
        (
            "nl",
            ["vertel eens een grap", "hoe gaat het met jou", "😎"],
            "Daar kan ik helaas niet mee helpen",
        ),
    ],
)
def test_small_talk_says_what_the_bot_can_do(chat, lang: str, messages, what: str) -> None:
    web = chat(lang)
    for text in messages:
        reply = web.send(text)
        assert what in reply, (text, reply)
        assert "intent:book_boat" in web.payloads()  # the main menu
        assert "intent:affirm" not in web.payloads()  # no staff offer for small talk
