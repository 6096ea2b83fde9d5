"""Replies to the way citizens type on WhatsApp: price questions, answers to another
question, "ok" with nothing open, impossible dates and times, negative amounts, a shop
category the NLU mistakes for "cancel". Trained NLU, demo data, the real app."""

from __future__ import annotations


def test_a_price_question_gets_the_price_before_any_booking_question(chat) -> None:
    web = chat("de")
    answer = web.send("Was kostet ein Tretboot?")
    assert answer.startswith("Ein Tretboot kostet 15,00 € pro Stunde")
    asked = web.send("Was kostet ein Ruderboot pro Stunde?")
    assert asked.startswith("Ein Ruderboot kostet 12,00 € pro Stunde")  # not the pedal boat
    english = chat("en").send("how much is a canoe?")
    assert "€10.00 per hour" in english.split("\n")[0]


def test_day_time_and_duration_given_while_the_boat_is_asked_are_acknowledged(chat) -> None:
    web = chat("de")
    web.send("Ich möchte ein Boot mieten")
    reply = web.send("morgen um 11 für eine Stunde")
    first, second = reply.split("\n", 1)
    assert first.startswith("Notiert ✓ Tag: ")
    assert "Beginn: 11:00" in first and "Dauer: 1 Std." in first
    assert second.startswith("Welches Boot")
    assert "• Beginn: 11:00" in web.send("Tretboot")


def test_ok_and_no_with_nothing_open_are_not_a_failure(chat) -> None:
    for lang, yes, no in (("de", "ok", "nein"), ("en", "ok", "no"), ("nl", "oké", "nee")):
        web = chat(lang)
        for text in (yes, no):
            reply = web.send(text)
            assert "noch nicht" not in reply and "can't do that" not in reply
            assert "nog niet" not in reply and "verbinden" not in reply
            assert "doorverbinden" not in reply and "connect" not in reply
        assert web.send(yes) and "intent:book_boat" in web.payloads()


def test_impossible_dates_and_times_are_named(chat) -> None:
    web = chat("de")
    web.send("Ich will ein Ruderboot buchen")
    assert web.send("31.02.").startswith("Den 31.02. gibt es nicht im Kalender.")
    web.send("morgen")
    assert web.send("25 Uhr").startswith("„25 Uhr“ ist keine gültige Uhrzeit.")
    en = chat("en")
    en.send("book a rowboat")
    assert en.send("30.02.").startswith("There is no 30.02. in the calendar.")


def test_a_negative_amount_is_refused_not_turned_positive(chat) -> None:
    web = chat("de")
    web.send("Ich möchte mit dem Gutschein AHS-DEMO-0003 bezahlen")
    web.send("Eiscafé am Schloss")
    refused = web.send("-5 Euro")
    assert refused.startswith("Bitte geben Sie eine positive Zahl an")
    assert "bei Eiscafé am Schloss" not in refused  # no summary for 5,00 €
    assert web.send("5 Euro").startswith("5,00 € bei Eiscafé am Schloss")


def test_a_shop_category_the_nlu_takes_for_cancel_still_answers_the_question(chat) -> None:
    web = chat("nl")
    web.send("Waar kan ik mijn stadsbon gebruiken?")
    reply = web.send("kapper")  # the NLU says "cancel" (0.77) with a merchant_category
    assert "afgebroken" not in reply
    assert reply.startswith("Hier kunt u met de stadsbon betalen:") and "Friseur" in reply


def test_an_address_given_while_the_photo_is_asked_keeps_its_house_number(chat) -> None:
    web = chat("nl")
    web.send("De straatlantaarn is kapot")
    reply = web.send("Marktstraße 10")
    assert reply.startswith("Genoteerd ✓ Locatie: Marktstraße 10\n")
    assert "foto" in reply.split("\n", 1)[1]
