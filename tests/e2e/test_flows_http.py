"""Each flow end to end through `POST /api/chat`, in German and in English or Dutch, with
multi-slot messages, corrections, cancel and invalid input. Trained NLU, demo data.

Dates are relative to the real clock ("morgen"), so expectations that depend on the
calendar (closing days, holidays) are computed from the same demo data the bot uses.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from sqlmodel import Session, select

from actions import hours
from actions.models import Merchant
from bot.core.models import Contact
from bot.core.settings import Settings
from bot.core.subscriptions import ConsentRecord, Subscription

REFERENCE = re.compile(r"AH-\d{4}-\d{6}")


def today() -> date:
    return datetime.now(Settings(_env_file=None).tz).date()  # type: ignore[call-arg]


def next_office_day(after_days: int = 2) -> date:
    """A day the citizens' office is open, far enough ahead to have free slots."""
    day = today() + timedelta(days=after_days)
    while not hours.hours_on("citizens_office", day).is_open:
        day += timedelta(days=1)
    return day


def test_book_boat_in_english_with_an_invalid_correction(chat) -> None:
    web = chat("en")
    summary = web.send("I would like to rent a pedal boat tomorrow at 2 pm for 3 hours")
    assert summary.startswith("Please check your booking:")
    assert "• Boat: Pedal boat" in summary and "• Duration: 3 h" in summary
    assert "• Price: €45.00" in summary
    refused = web.send("no, 4 pm")  # 16:00 + 3 h is after closing time
    assert "The dock is open 10:00–18:00" in refused and "latest start is 15:00" in refused
    assert refused.endswith("(starts on the hour or half hour).")
    assert "• Start: 11:00" in web.send("11 am")
    booked = web.send("yes please")
    assert booked.startswith("Booked ✅ Reference B-")
    reference = re.search(r"B-[A-Z0-9]{6}", booked)[0]  # type: ignore[index]

    listing = web.send("Show my bookings")
    assert reference in listing and "Pedal boat" not in listing  # boat names, not types
    confirm = web.send("I want to cancel my booking")
    assert confirm.startswith("Cancel this booking?") and reference in confirm
    assert web.send("yes").startswith(f"Cancelled ✅ {reference}")
    assert "no upcoming boat bookings" in web.send("Show my bookings")


def test_book_boat_in_german_asks_step_by_step_and_cancels(chat) -> None:
    web = chat("de")
    assert web.send("Ich möchte ein Boot mieten").startswith("Welches Boot")
    assert web.send("Kanu").startswith("An welchem Tag?")
    past = web.send("gestern").split("\n")
    assert past[0].startswith("Dieser Tag (") and past[0].endswith(
        "ist schon vorbei. Bitte nennen Sie einen Tag ab heute."
    )
    assert past[1] == "An welchem Tag? (z. B. „heute“, „morgen“, „Samstag“ oder „28.11.“)"
    assert web.send("morgen").startswith("Um wie viel Uhr")
    assert "Ein Kanu kostet 10,00 € pro Stunde" in web.send("Was kostet das?")
    assert web.send("abbrechen") == "In Ordnung, ich habe den Vorgang abgebrochen."
    assert "nichts" not in web.send("Hallo")  # a fresh start, no flow left over


def test_voucher_balance_in_dutch_with_pin_for_a_second_chat(chat) -> None:
    first = chat("nl")
    assert "AHS-DEMO-0002 heeft nog € 50,00 tegoed" in first.send(
        "Wat is het saldo van mijn bon AHS-DEMO-0002?"
    )
    other = chat("nl")  # someone else with the same code needs the PIN
    asked = other.send("Wat is het saldo van mijn bon AHS-DEMO-0002?")
    assert "Deze bon is al aan een andere chat gekoppeld" in asked
    assert other.send("1111").startswith("Die pincode klopt niet.")
    assert "heeft nog € 50,00 tegoed" in other.send("1234")
    assert "Die boncode" not in other.send("AHS-XXXX")  # not a code: explained, asked again


def test_redeem_from_a_shop_qr_code_with_too_high_an_amount_then_cancel(chat, client) -> None:
    with Session(client.app.state.engine.db) as session:
        shop = session.exec(select(Merchant).where(Merchant.name == "Eiscafé am Schloss")).one()
    web = chat("de")
    assert web.send(payload=f"shop_{shop.id}").startswith("Mit welchem Gutschein")
    intro = web.send("AHS-DEMO-0003")
    assert intro == "Guthaben: 50,00 €. Geschäft: Eiscafé am Schloss.\n" + (
        "Welchen Betrag möchten Sie mit dem Gutschein bezahlen? (z. B. 12,50 €)"
    )
    refused = web.send("60 Euro")
    assert refused.startswith("Dafür reicht das Guthaben nicht: noch 50,00 €.")
    assert web.send("20 €").endswith("mit dem Gutschein AHS-DEMO-0003 bezahlen?\n• Betrag: 20,00 €")
    assert web.send("abbrechen") == "In Ordnung, ich habe den Vorgang abgebrochen."
    assert "noch 50,00 € Guthaben" in web.send(
        "Wie viel Guthaben hat mein Gutschein AHS-DEMO-0003?"
    )


def test_find_acceptance_point_by_category(chat) -> None:
    web = chat("de")
    found = web.send("Wo kann ich mit dem Gutschein in einer Bäckerei bezahlen?")
    assert found.startswith("Hier können Sie mit dem Stadtgutschein bezahlen:")
    assert found.count("• ") == 5 and "48683 Ahaus" in found


def test_report_issue_twice_links_the_duplicate(chat) -> None:
    references = []
    for web in (chat("de"), chat("de")):
        first = web.send("Ich möchte ein Schlagloch melden")
        assert first.startswith("Notiert ✓ Art: Schlagloch\nHaben Sie ein Foto?"), first
        assert web.send("überspringen").startswith("Wo genau?")
        assert web.send("Marktstraße 5").startswith("Beschreiben Sie kurz")
        summary = web.send("Ein tiefes Loch mitten auf der Fahrbahn")
        assert "• Art: Schlagloch" in summary and "• Ort: Marktstraße 5" in summary
        ack = web.send("ja")
        references.append(REFERENCE.findall(ack))
    assert references[0] and len(references[1]) == 2
    assert references[1][0] == references[0][0]  # "already reported there (AH-…)"


def test_service_info_in_english_then_apply_for_an_appointment(chat) -> None:
    web = chat("en")
    info = web.send("What documents do I need for a passport?")
    assert "What you need: Your current ID card or passport" in info
    assert "Fees:" not in info  # the part asked for, short; the whole under "More: …"
    more, apply = "info_citizens_office_appointment", "flow:citizens_office_appointment"
    assert web.payloads() == [more, apply]
    assert "Fees: ID card €37" in web.send(payload=more)
    assert web.payloads() == [apply]
    assert web.send(payload=apply).startswith("What is your")
    assert web.send("passport").startswith("Which day")
    day = next_office_day()
    slots = web.send(f"{day:%d.%m.%Y}")
    assert slots.startswith("Free slots on ") and "\n1. " in slots
    summary = web.send("1")
    assert summary.startswith("Your appointment:") and "• Concern: Passport" in summary
    booked = web.send("yes")
    assert booked.startswith("Booked ✅ Passport on") and REFERENCE.search(booked)


def test_parking_permit_checks_the_licence_plate(chat) -> None:
    web = chat("de")
    assert web.send("Ich möchte einen Bewohnerparkausweis beantragen").startswith("Für welche")
    assert web.send("Wallstraße 3").startswith("Wie lautet das Kennzeichen?")
    refused = web.send("XYZ")
    assert refused.startswith("Das sieht nicht wie ein deutsches Kennzeichen aus.")
    summary = web.send("BOR-AB 123")
    assert "• Kennzeichen: BOR-AB 123" in summary and "• Hausnummer: 3" in summary
    assert web.send("ja").startswith("Beantragt ✅ Aktenzeichen AH-")


def test_dog_registration_in_dutch_with_a_correction(chat) -> None:
    web = chat("nl")
    assert web.send("Ik wil mijn hond aanmelden") == "Hoe heet uw hond?"
    assert web.send("Bello").startswith("Welk ras")
    assert web.send("Labrador").startswith("Wanneer is de hond geboren?")
    assert web.send("volgend jaar").startswith("Die datum begreep ik niet")
    assert web.send("12.03.2024").startswith("Uw adres in Ahaus?")
    summary = web.send("Wallstraße 3")
    assert "• Geboortedatum: di 12-03-2024" in summary
    changed = web.send("wijzigen")
    assert changed.startswith("Wat wilt u wijzigen?")
    assert web.send(payload="edit:breed").startswith("Welk ras")
    assert "• Ras: Golden Retriever" in web.send("Golden Retriever")
    assert web.send("ja").startswith("Aangemeld ✅ Kenmerk AH-")


def test_change_of_address_in_english(chat) -> None:
    web = chat("en")
    assert web.send("I moved, I need to change my address").startswith("When did")
    assert web.send("today").startswith("What is your new address")
    assert web.send("Marktstraße 7").startswith("How many people")
    summary = web.send("two")
    assert "• People: 2" in summary and "• New street: Marktstraße" in summary
    assert web.send("yes").startswith("Submitted ✅ Reference AH-")


def test_case_status_only_for_own_cases(chat) -> None:
    web = chat("de")
    web.send("Ich möchte Sperrmüll anmelden")
    web.send("Marktstraße 12")
    web.send("Sofa")
    web.send("1")
    reference = REFERENCE.search(web.send("ja"))[0]  # type: ignore[index]
    assert "eingegangen" in web.send(f"Status {reference}")
    stranger = chat("en")
    assert stranger.send(f"What is the status of {reference}?").startswith(
        f"I can't find a case of yours with {reference}."
    )


def test_information_flows_in_three_languages(chat) -> None:
    assert "Bürgerbüro" in chat("de").send("Hat das Bürgerbüro am Samstag offen?")
    library = chat("en").send("Is the library open on Monday?")
    assert (
        "library – open on mon" in library.lower() or "library – closed on mon" in library.lower()
    )
    assert (
        chat("de")
        .send("Was ist am Wochenende los?")
        .startswith(("Das ist los in Ahaus:", "In diesem Zeitraum habe ich keine"))
    )
    assert chat("en").send("What is the weather like tomorrow?").startswith("Weather in Ahaus on")
    assert (
        chat("nl").send("Waar kan ik parkeren?").startswith("Vrije plaatsen in de parkeergarages:")
    )


def test_subscribe_and_unsubscribe_keep_subscriptions_and_their_proof(chat, client) -> None:
    web = chat("de")
    assert web.send("Ich möchte Neuigkeiten abonnieren").startswith("Zu welchem Thema")
    assert web.send("Baustellen").startswith("Für ganz Ahaus oder nur für einen Ortsteil?")
    summary = web.send("Wessum")
    assert "• Thema: Verkehr & Baustellen\n• Ortsteil: Wessum" in summary
    assert web.send("ja").startswith("Abonniert ✅ Verkehr & Baustellen (Wessum)")
    engine = client.app.state.engine
    with Session(engine.db) as session:
        contact = session.exec(
            select(Contact).where(Contact.channel_user_id == web.session_id)
        ).one()
        subs = session.exec(select(Subscription).where(Subscription.contact_id == contact.id))
        assert [(s.topic, s.district) for s in subs] == [("verkehr", "wessum")]
    assert "• Verkehr & Baustellen (Wessum)" in web.send("Einstellungen")
    assert web.send("Keine Nachrichten mehr bitte").startswith("Abbestellt: Verkehr")
    with Session(engine.db) as session:
        assert session.exec(select(Subscription)).all() == []
        records = session.exec(select(ConsentRecord).order_by(ConsentRecord.id)).all()
    assert [(r.action, r.topic, r.channel, r.source) for r in records] == [
        ("subscribe", "verkehr", "web", "chat"), ("withdraw", "verkehr", "web", "chat"),
    ]
    assert records[0].wording.startswith(summary.split("\n1. ")[0])


def test_redeem_in_english_at_a_shop_named_exactly(chat) -> None:
    web = chat("en")
    assert web.send("I want to pay with my voucher").startswith("Which voucher")
    assert web.send("AHS-DEMO-0005").startswith("Where are you paying?")
    intro = web.send("Eiscafé am Schloss")
    assert intro.startswith("Balance: €50.00. Shop: Eiscafé am Schloss.")
    assert web.send("€7.50").startswith(
        "Pay €7.50 at Eiscafé am Schloss with voucher AHS-DEMO-0005?"
    )
    receipt = web.send("yes")
    assert receipt.startswith("Paid ✅ €7.50 at Eiscafé am Schloss.")
    assert "Remaining balance: €42.50" in receipt
