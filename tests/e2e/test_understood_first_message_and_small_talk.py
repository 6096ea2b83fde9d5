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


@pytest.mark.parametrize(
    ("lang", "text", "noted", "next_question"),
    [
        ("de", "Ich würde gern übermorgen ein Tretboot mieten", ["Notiert", "Tretboot"], "Uhr"),
        ("en", "can I hire a canoe the day after tomorrow?", ["Noted", "Canoe"], "What time"),
        ("nl", "ik wil overmorgen een roeiboot huren", ["Genoteerd", "Roeiboot"], "Hoe laat"),
        (
            "de",
            "Bewohnerparkausweis beantragen für das Auto BOR-KL 45",
            ["Notiert", "BOR-KL 45"],
            "Adresse",
        ),
        ("en", "residents parking permit please, plate BOR-QW 9", ["Noted", "BOR-QW 9"], "address"),
        (
            "nl",
            "bewonersvergunning aanvragen, kenteken BOR-ZZ 310",
            ["Genoteerd", "BOR-ZZ 310"],
            "adres",
        ),
    ],
)
def test_the_bot_says_what_it_understood_from_the_first_message(
    chat, lang, text, noted, next_question
):
    """Details of the message that started a flow are repeated before the next question,
    so a misreading can be corrected at once (and they are not asked again)."""
    web = chat(lang)
    reply = web.send(text)
    assert all(part in reply for part in noted), reply
    assert next_question in reply, reply
    assert reply.index(noted[0]) < reply.index(next_question), reply


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("de", "Ich brauche einen Anwohnerparkausweis für die Marktstraße 7"),
        ("en", "I want a residents' parking permit for Wallstraße 3"),
        ("nl", "ik wil een bewonersvergunning voor de Hofstraße 11 aanvragen"),
    ],
)
def test_street_and_number_first_then_the_patterned_plate_is_asked(chat, lang, text):
    """A patterned slot with inline flags after the address once broke the first-message
    filling (a 500); now the address is kept and the plate asked."""
    web = chat(lang)
    reply = web.send(text)
    assert "BOR-AB 123" in reply, reply  # the plate question's example
    summary = web.send("BOR-AH 77")
    assert "BOR-AH 77" in summary and "confirm:yes" in web.payloads(), summary
