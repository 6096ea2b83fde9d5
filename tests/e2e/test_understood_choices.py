"""Lists answered in the citizen's own words through POST /api/chat: a shop named
exactly needs no list, a position or a unique part picks, "ja" never does."""

from __future__ import annotations

import pytest

CASES = [
    # lang, first message (a list of ice cream parlours), yes-word, position, shown after
    ("de", "Mit AHS-DEMO-0001 in einem Eiscafé bezahlen", "ok", "die dritte bitte", "Guthaben:"),
    ("en", "I want to pay with AHS-DEMO-0002 in an ice cream parlour", "yes", "the last one",
     "Balance:"),
    ("nl", "met AHS-DEMO-0003 betalen in een ijssalon", "ja hoor", "de tweede", "Tegoed:"),
]


@pytest.mark.parametrize(("lang", "first", "yes", "position", "shown"), CASES)
def test_yes_never_picks_and_a_position_does(chat, lang, first, yes, position, shown) -> None:
    web = chat(lang)
    listing = web.send(first)
    assert "1." in listing and "2." in listing, listing
    titles = [line.split(". ", 1)[1] for line in listing.split("\n") if line[:1].isdigit()]
    assert shown not in web.send(yes)  # still the list, nothing picked
    picked = web.send(position)
    index = {"die dritte bitte": 2, "the last one": len(titles) - 1, "de tweede": 1}[position]
    assert shown in picked and titles[index].split(",")[0] in picked, picked


@pytest.mark.parametrize(
    ("lang", "text", "shown"),
    [
        ("de", "Ich möchte im Eiscafé Marco mit AHS-DEMO-0004 zahlen", "Geschäft: Eiscafé Marco"),
        ("en", "use my voucher AHS-DEMO-0005 at Eiscafé Tim", "Shop: Eiscafé Tim"),
        ("nl", "bij Eiscafé Jan betalen met AHS-DEMO-0006", "Winkel: Eiscafé Jan"),
    ],
)
def test_a_shop_named_exactly_gets_no_list(chat, lang: str, text: str, shown: str) -> None:
    web = chat(lang)
    reply = web.send(text)
    assert shown in reply and "1." not in reply, reply


@pytest.mark.parametrize(
    ("lang", "start", "answer"),
    [
        ("de", "Sperrmüll anmelden", ["Wallstraße 3", "Sofa und Tisch"]),
        ("en", "bulky waste pickup", ["Wallstraße 3", "a sofa and a table"]),
        ("nl", "grofvuil aanmelden", ["Wallstraße 3", "een bank en een tafel"]),
    ],
)
def test_an_offered_pickup_day_typed_freely(chat, lang: str, start: str, answer) -> None:
    web = chat(lang)
    web.send(start)
    for text in answer:
        reply = web.send(text)
    days = [
        (b["payload"].split("=", 1)[1], b["title"])
        for m in web.last
        for b in m.get("buttons", [])
        if b["payload"].startswith("slot:preferred_date=")
    ]
    assert len(days) >= 2, reply
    second, title = days[1]
    summary = web.send(f"{int(second[8:])}.{int(second[5:7])}.")  # typed, not tapped
    assert "confirm:yes" in web.payloads() and title in summary, summary
