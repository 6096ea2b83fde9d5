"""Questions no flow covers are answered from the city's pages, with the source and its
date and a button to the full text; a question the pages do not answer is told so, with
the menu and a person to ask; flows keep the messages they handle. Over `POST /api/chat`."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("lang", "question", "says", "source"),
    [
        (
            "de",
            "Was passiert mit meinem Sperrmüll, wenn es regnet?",
            "Regen",
            "Quelle: Sperrmüll bei Regen (Stand 01.10.2026)",
        ),
        (
            "de",
            "Wann ist die Bürgersprechstunde?",
            "ersten Dienstag",
            "Quelle: Bürgersprechstunde der Bürgermeisterin",
        ),
        (
            "de",
            "Brauche ich für den Carport eine Genehmigung?",
            "genehmigungsfrei",
            "Quelle: Carport und Garage",
        ),
        (
            "en",
            "Is bulky waste collected when it rains?",
            "rain",
            "Source: Bulky waste in the rain (as of 01.10.2026)",
        ),
        (
            "nl",
            "Hoe lang is de cadeaubon geldig?",
            "cadeaubon",
            "Bron: De Ahaus-cadeaubon (stand 10.10.2026)",
        ),
    ],
)
def test_a_question_is_answered_from_the_pages_with_its_source(chat, lang, question, says, source):
    web = chat(lang)
    reply = web.send(question)
    assert says in reply, reply
    assert source in reply, reply
    full = next(p for p in web.payloads() if p.startswith("knowledge:"))
    text = web.send(payload=full)
    assert "/knowledge/" in text, text
    assert source in text, text


@pytest.mark.parametrize(
    ("lang", "question", "says"),
    [
        ("de", "Welche Apotheke hat heute Notdienst?", "keine offizielle Auskunft"),
        ("de", "Wann ist die nächste Ratssitzung?", "keine offizielle Auskunft"),
        ("en", "Which pharmacy is on duty tonight?", "no official information"),
        # The NLU is sure this is another topic: the bot says what it can do instead.
        ("nl", "Wanneer rijdt de bus naar Enschede?", "Daar kan ik helaas niet mee helpen"),
    ],
)
def test_a_question_the_pages_do_not_answer_is_refused_honestly(chat, lang, question, says):
    web = chat(lang)
    reply = web.send(question)
    assert says in reply, reply
    assert not any(p.startswith("knowledge:") for p in web.payloads()), reply
    assert "Quelle" not in reply and "Source:" not in reply and "Bron:" not in reply
    if "?" in question and "niet mee helpen" not in says:
        assert "intent:human_handoff" in web.payloads(), web.payloads()


def test_flows_keep_their_messages(chat):
    web = chat("de")
    reply = web.send("Ich möchte morgen ein Ruderboot leihen")
    assert "Quelle" not in reply
    assert not any(p.startswith("knowledge:") for p in web.payloads())


def test_the_full_text_page_is_escaped_html(client):
    res = client.get("/knowledge/sperrmuell-regen.de")
    assert res.status_code == 200
    assert "Sperrmüll bei Regen" in res.text and "Stand 01.10.2026" in res.text
    assert client.get("/knowledge/<script>").status_code == 404
    assert client.get("/knowledge/nope").status_code == 404
