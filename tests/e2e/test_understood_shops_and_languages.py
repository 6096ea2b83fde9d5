"""Shops by street and near me, no German leaking into English or Dutch replies, and a
boat booked by tapping alone, through POST /api/chat."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("lang", "text", "street"),
    [
        (
            "de",
            "Gibt es in der Hindenburgallee Geschäfte, die den Gutschein annehmen?",
            "Hindenburgallee",
        ),
        (
            "en",
            "any shops in Schorlemerstraße where I can pay with the voucher?",
            "Schorlemerstraße",
        ),
        ("nl", "waar in de Wessumer Straße kan ik met de stadsbon betalen?", "Wessumer Straße"),
    ],
)
def test_shops_by_street(chat, lang: str, text: str, street: str) -> None:
    reply = chat(lang).send(text)
    lines = [line for line in reply.split("\n") if line.startswith("• ")]
    assert len(lines) >= 3 and all(street in line for line in lines), reply


@pytest.mark.parametrize(
    ("lang", "text", "asked"),
    [
        ("de", "Wo in meiner Nähe kann ich den Gutschein einlösen?", "Standort"),
        ("en", "voucher shops near me", "location"),
        ("nl", "winkels bij mij in de buurt die de bon aannemen", "locatie"),
    ],
)
def test_near_me_asks_for_the_location(chat, lang: str, text: str, asked: str) -> None:
    assert asked in chat(lang).send(text)


@pytest.mark.parametrize(
    ("lang", "text", "german"),
    [
        ("en", "when is the citizens office open on friday", "Erdgeschoss"),
        ("nl", "wanneer is het burgerbureau open", "Erdgeschoss"),
        ("en", "what events are on in the next days", "Start am"),
        ("nl", "welke evenementen zijn er binnenkort", "Start am"),
    ],
)
def test_no_german_in_english_or_dutch_replies(chat, lang: str, text: str, german: str) -> None:
    reply = chat(lang).send(text)
    assert german not in reply and " Uhr" not in reply, reply


@pytest.mark.parametrize("lang", ["de", "en", "nl"])
def test_a_boat_is_booked_by_tapping_only(chat, lang: str) -> None:
    web = chat(lang)
    web.send(payload="intent:book_boat")
    for prefix in ("slot:boat_type=", "slot:date=", "slot:time=", "slot:duration=", "confirm:"):
        taps = [p for p in web.payloads() if p.startswith(prefix)]
        assert taps, (prefix, web.last)
        choice = "slot:date=morgen" if prefix == "slot:date=" else taps[0]
        if prefix == "slot:time=":
            choice = taps[min(4, len(taps) - 1)]
        web.send(payload=choice)
    assert web.images(), web.last  # the QR ticket
