"""The flow runtime, pure: state + turn in, state + events out, with a scripted backend.

The NLU parse of each turn is written out, so these tests pin what the runtime does
with entities, typed answers, buttons and intents — not what a model happens to guess.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from actions.registry import ActionError
from bot.core.messages import Location
from flows.dialogue import Dialogue
from flows.events import ActionCalled, HandoffRequested
from tests.flows.helpers import NOW, Chat, FakeServices

BOAT = {"boat_type": "Ruderboot", "date": "2026-11-21", "time": "15:00", "duration": 120}
SEARCH_OK = {
    "available": True,
    "boat": {"name": "Ruderboot Aa"},
    "start": "",
    "end": "",
    "duration_minutes": 120,
    "price_cents": 2400,
    "alternatives": [],
}
BOOKING = {
    "reference": "B-ABC123",
    "boat_name": "Ruderboot Aa",
    "date": "2026-11-21",
    "start_time": "15:00",
    "end_time": "17:00",
    "price_cents": 2400,
    "ticket_url": "/qr/ticket/B-ABC123?token=t",
    "free_cancellation_until": "2026-11-21T13:00:00+01:00",
}


def boat_services(**overrides: Any) -> FakeServices:
    handlers: dict[str, Any] = {
        "boats.search": SEARCH_OK,
        "boats.book": BOOKING,
        "boats.quote": {"price_per_hour_cents": 1200, "duration_minutes": 120, "price_cents": 2400},
    }
    handlers.update(overrides)
    return FakeServices(handlers)


def shop_voucher_services() -> FakeServices:
    """A demo voucher with 50,00 € and the shop behind the QR code `shop_17`."""
    return FakeServices(
        {
            "vouchers.balance": {
                "code": "AHS-DEMO-0001",
                "balance_cents": 5000,
                "value_cents": 5000,
                "expires_at": "2029-11-20T00:00:00+01:00",
                "expired": False,
            },
            "merchants.get": {"merchant": {"id": 17, "name": "Eiscafé am Schloss"}},
        }
    )


def test_one_message_fills_four_slots_and_shows_the_summary() -> None:
    chat = Chat(boat_services())
    texts = chat.send("Ruderboot morgen um 15 Uhr für 2 Stunden", intent="book_boat", entities=BOAT)
    search = {"type": "Ruderboot", "date": "2026-11-21", "time": "15:00", "duration": 120}
    assert [e.as_dict() for e in chat.events] == [
        {
            "type": "action_called",
            "action": "boats.search",
            "params": search,
            "result": SEARCH_OK,
            "error": None,
        },
        {
            "type": "reply_sent",
            "reply": {
                "text": "Bitte prüfen Sie Ihre Buchung:\n• Boot: Ruderboot\n• Tag: Sa, 21.11.2026\n"
                "• Beginn: 15:00\n• Dauer: 2 Std.\n• Preis: 24,00 € (Zahlung am Steg)\n"
                "Soll ich so buchen?",
                "buttons": [
                    {"title": "Ja, passt", "payload": "confirm:yes"},
                    {"title": "Ändern", "payload": "confirm:no"},
                    {"title": "Abbrechen", "payload": "cancel"},
                ],
            },
        }
    ]
    assert chat.services.calls == [("boats.search", search)]
    assert texts and chat.frame["mode"] == "confirm"


def test_typed_short_answers_fill_the_asked_slot() -> None:
    chat = Chat(boat_services())
    assert chat.send("Boot mieten", intent="book_boat")[0].startswith("Welches Boot")
    assert chat.send("2", intent="out_of_scope", confidence=0.2)[0].startswith("An welchem Tag")
    assert chat.frame["slots"]["boat_type"] == "Tretboot"  # number of the option
    chat.send("morgen", intent="out_of_scope", confidence=0.3)
    chat.send("15:30", intent="out_of_scope", confidence=0.3)
    texts = chat.send("zwei Stunden", intent="out_of_scope", confidence=0.3)
    assert chat.frame["slots"] == {
        "boat_type": "Tretboot",
        "date": "2026-11-21",
        "time": "15:30",
        "duration": 120,
    }
    assert "Soll ich so buchen?" in texts[0]


def test_english_prompts_and_buttons() -> None:
    chat = Chat(boat_services())
    texts = chat.send("book a boat", intent="book_boat", lang="en")
    assert texts[0].startswith("Which boat")
    assert [b for b in chat.buttons()] == [
        "slot:boat_type=Ruderboot",
        "slot:boat_type=Tretboot",
        "slot:boat_type=Kanu",
    ]
    chat.send(payload="slot:boat_type=Kanu", lang="en")
    assert chat.frame["slots"]["boat_type"] == "Kanu"
    assert chat.texts()[0].startswith("On which day")


def test_invalid_input_is_reasked_and_staff_offered_after_three_tries() -> None:
    chat = Chat(boat_services())
    chat.send(
        "Ruderboot morgen",
        intent="book_boat",
        entities={"boat_type": "Ruderboot", "date": "2026-11-21"},
    )
    first = chat.send("keine Ahnung", confidence=0.2)
    assert first[0].startswith("Die Uhrzeit habe ich nicht verstanden")
    assert first[1].startswith("Um wie viel Uhr")
    chat.send("bald", confidence=0.2)
    third = chat.send("20 Uhr", confidence=0.2, entities={"time": "20:00"})
    assert third[0] == "Möglich ist 10:00 bis 17:00 Uhr."
    assert "Mitarbeiter" in third[1] and chat.buttons() == ["staff:yes", "staff:no"]
    chat.send("ja", intent="affirm")
    assert any(isinstance(e, HandoffRequested) for e in chat.events)
    assert chat.state["flows"] == []


def test_declining_staff_keeps_the_flow_going() -> None:
    chat = Chat(boat_services())
    chat.send(
        "Ruderboot morgen",
        intent="book_boat",
        entities={"boat_type": "Ruderboot", "date": "2026-11-21"},
    )
    for _ in range(3):
        chat.send("weiß nicht", confidence=0.2)
    texts = chat.send(payload="staff:no")
    assert texts == [chat.texts()[0]] and texts[0].startswith("Um wie viel Uhr")
    assert chat.frame["fails"] == {}


def test_side_question_is_answered_then_the_open_slot_asked_again() -> None:
    chat = Chat(boat_services())
    chat.send(
        "Ruderboot morgen um 15 Uhr",
        intent="book_boat",
        entities={"boat_type": "Ruderboot", "date": "2026-11-21", "time": "15:00"},
    )
    texts = chat.send("was kostet das?", intent="service_info", confidence=0.99)
    assert texts == [
        "Ein Ruderboot kostet 12,00 € pro Stunde, für 2 Std. also 24,00 €.",
        "Wie lange möchten Sie fahren? (1 bis 4 Stunden)",
    ]
    assert chat.frame["asking"] == "duration"


def test_another_topic_mid_flow_runs_and_the_flow_resumes() -> None:
    services = boat_services(
        **{
            "info.weather": {
                "date": "2026-11-20",
                "condition": "sunny",
                "temp_min_c": 2,
                "temp_max_c": 9,
                "precipitation_mm": 0,
                "wind_kmh": 10,
            }
        }
    )
    chat = Chat(services)
    chat.send("Boot buchen", intent="book_boat")
    texts = chat.send("Wie wird das Wetter?", intent="weather", confidence=0.99)
    assert texts[0].startswith("Wetter in Ahaus am Fr, 20.11.2026: sonnig")
    assert texts[1:] == ["Zurück zu: Bootsbuchung", chat.texts()[2]]
    assert texts[2].startswith("Welches Boot")
    assert [f["flow"] for f in chat.state["flows"]] == ["book_boat"]


@pytest.mark.parametrize("word", ["abbrechen", "cancel", "annuleren"])
def test_cancel_words_abort_cleanly(word: str) -> None:
    chat = Chat(boat_services())
    chat.send("Ruderboot", intent="book_boat", entities={"boat_type": "Ruderboot"})
    texts = chat.send(word, intent="out_of_scope", confidence=0.3)
    assert texts == ["In Ordnung, ich habe den Vorgang abgebrochen."]
    assert chat.state["flows"] == []
    assert "boats.book" not in chat.services.names()


def test_correction_at_the_summary_changes_the_slot_and_rechecks() -> None:
    chat = Chat(boat_services())
    chat.send("…", intent="book_boat", entities=BOAT)
    texts = chat.send("nein, 16 Uhr", intent="deny", entities={"time": "16:00"})
    assert "• Beginn: 16:00" in texts[0]
    assert chat.services.calls[-1][1]["time"] == "16:00"  # searched again before asking
    chat.send("ja", intent="affirm")
    assert chat.services.calls[-1] == (
        "boats.book",
        {"type": "Ruderboot", "date": "2026-11-21", "time": "16:00", "duration": 120},
    )
    assert chat.texts()[0].startswith("Gebucht ✅ Buchungsnummer B-ABC123")
    assert chat.events[-1].reply.image_url == "/qr/ticket/B-ABC123?token=t"  # type: ignore[attr-defined]


def test_typed_correction_without_entities_and_change_menu() -> None:
    chat = Chat(boat_services())
    chat.send("…", intent="book_boat", entities=BOAT)
    texts = chat.send("nein, lieber um 11:30", intent="deny")
    assert "• Beginn: 11:30" in texts[0]
    texts = chat.send("ändern", confidence=0.3)
    assert texts[0].startswith("Was möchten Sie ändern?")
    assert chat.buttons() == ["edit:boat_type", "edit:date", "edit:time", "edit:duration"]
    assert chat.send(payload="edit:duration")[0].startswith("Wie lange")
    texts = chat.send("3 Stunden", confidence=0.2)
    assert "• Dauer: 3 Std." in texts[0] and "Soll ich so buchen?" in texts[0]


def test_stale_flow_expires() -> None:
    chat = Chat(boat_services())
    chat.send("Ruderboot", intent="book_boat", entities={"boat_type": "Ruderboot"})
    later = NOW + timedelta(minutes=61)
    texts = chat.send("morgen", confidence=0.3, now=later)
    assert texts[0].startswith("Ihr angefangener Vorgang „Bootsbuchung“ ist abgelaufen")
    assert chat.state["flows"] == []


def test_action_error_maps_to_a_message_and_reasks() -> None:
    error = ActionError("outside_opening_hours", open="10:00", close="18:00", latest_start="16:00")
    chat = Chat(boat_services(**{"boats.search": error}))
    texts = chat.send("…", intent="book_boat", entities={**BOAT, "time": "17:00"})
    assert texts[0].startswith("Der Steg ist von 10:00 bis 18:00 Uhr geöffnet")
    assert "16:00 Uhr der späteste Start" in texts[0]
    assert texts[1].startswith("Um wie viel Uhr") and "time" not in chat.frame["slots"]
    called = [e.as_dict() for e in chat.events if isinstance(e, ActionCalled)]
    assert called == [
        {
            "type": "action_called",
            "action": "boats.search",
            "params": {"type": "Ruderboot", "date": "2026-11-21", "time": "17:00", "duration": 120},
            "result": None,
            "error": "outside_opening_hours",
        }
    ]


def test_full_slot_offers_alternatives_that_can_be_chosen() -> None:
    full = {
        **SEARCH_OK,
        "available": False,
        "price_cents": None,
        "alternatives": [
            {
                "boat_id": 2,
                "boat_name": "Ruderboot Berkel",
                "type": "Ruderboot",
                "start": "2026-11-21T15:30:00+01:00",
                "end": "2026-11-21T17:30:00+01:00",
                "price_cents": 2400,
            },
            {
                "boat_id": 5,
                "boat_name": "Tretboot Ente",
                "type": "Tretboot",
                "start": "2026-11-21T15:00:00+01:00",
                "end": "2026-11-21T17:00:00+01:00",
                "price_cents": 3000,
            },
        ],
    }
    answers = iter([full, SEARCH_OK])
    chat = Chat(boat_services(**{"boats.search": lambda params: next(answers)}))
    texts = chat.send("…", intent="book_boat", entities=BOAT)
    assert texts[0] == "Zu dieser Zeit ist leider kein Ruderboot frei."
    assert "1. Ruderboot 15:30–17:30" in texts[1] and "2. Tretboot 15:00–17:00" in texts[1]
    texts = chat.send("2", confidence=0.2)
    assert chat.frame["slots"]["boat_type"] == "Tretboot" and chat.frame["slots"]["time"] == "15:00"
    assert "Soll ich so buchen?" in texts[0]


def test_deep_links_start_flows_with_context() -> None:
    chat = Chat(shop_voucher_services())
    assert chat.send(payload="shop_17")[0].startswith("Mit welchem Gutschein")
    texts = chat.send("AHS-DEMO-0001", entities={"voucher_code": "AHS-DEMO-0001"}, confidence=0.3)
    assert texts[0] == "Guthaben: 50,00 €. Geschäft: Eiscafé am Schloss."
    assert chat.services.calls[-1] == ("merchants.get", {"id": "17"})
    texts = chat.send("12,50", entities={"amount": 1250}, confidence=0.3)
    assert texts[0].startswith("12,50 € bei Eiscafé am Schloss mit dem Gutschein AHS-DEMO-0001")
    assert Chat(FakeServices()).send(payload="boat_dock")[0].startswith("Welches Boot")
    assert (
        Chat(FakeServices()).send(payload="service_bulky_waste")[0].startswith("Wo soll abgeholt")
    )


def test_pin_is_asked_only_when_the_backend_wants_it() -> None:
    answers = iter(
        [
            ActionError("pin_required", voucher_code="AHS-DEMO-0002"),
            {
                "code": "AHS-DEMO-0002",
                "balance_cents": 5000,
                "value_cents": 5000,
                "expires_at": "2029-11-20T00:00:00+01:00",
                "expired": False,
            },
        ]
    )
    services = FakeServices({"vouchers.balance": lambda params: next(answers)})
    chat = Chat(services)
    texts = chat.send(
        "Guthaben AHS-DEMO-0002",
        intent="voucher_balance",
        entities={"voucher_code": "AHS-DEMO-0002"},
    )
    assert texts[0] == "Notiert ✓ Gutschein: AHS-DEMO-0002"  # what the first message said
    assert texts[1].startswith("Dieser Gutschein ist schon mit einem anderen Chat verbunden")
    texts = chat.send("1234", confidence=0.2)
    assert services.calls[-1] == ("vouchers.balance", {"code": "AHS-DEMO-0002", "pin": "1234"})
    assert texts[0].startswith("Ihr Gutschein AHS-DEMO-0002 hat noch 50,00 €")
    assert chat.state["memory"] == {"code": "AHS-DEMO-0002"}  # the redeem flow will reuse it


def test_report_with_shared_location_and_photo() -> None:
    services = FakeServices({"cases.submit": {"reference": "AH-2026-000007", "linked": False}})
    chat = Chat(services)
    chat.send("Schlagloch melden", intent="report_issue", entities={"issue_category": "pothole"})
    assert chat.texts() == [
        "Notiert ✓ Art: Schlagloch",
        chat.texts()[1],
    ] and chat.texts()[1].startswith("Haben Sie ein Foto?")
    assert chat.send(payload="skip:photo")[0].startswith("Wo genau?")
    chat.send("", location=Location(latitude=52.0762, longitude=7.0083))
    texts = chat.send("Tiefes Loch vor der Bäckerei", confidence=0.3)
    assert "• Art: Schlagloch" in texts[0] and "• Ort: 52.07620, 7.00830" in texts[0]
    chat.send("ja", intent="affirm")
    assert services.calls[-1] == (
        "cases.submit",
        {
            "service": "report_issue",
            "category": "pothole",
            "location": {"lat": 52.0762, "lon": 7.0083},
            "fields": {"description": "Tiefes Loch vor der Bäckerei"},
        },
    )
    assert chat.texts()[0].startswith("Danke für Ihre Meldung ✅ Aktenzeichen AH-2026-000007")


def test_apply_service_hands_over_to_the_service_flow() -> None:
    chat = Chat(FakeServices())
    texts = chat.send(
        "Ich möchte meinen Hund anmelden",
        intent="apply_service",
        entities={"service": "dog_registration"},
    )
    assert texts == ["Wie heißt Ihr Hund?"]
    assert [f["flow"] for f in chat.state["flows"]] == ["dog_registration"]


def test_service_info_answers_from_the_service_file_with_an_apply_button() -> None:
    chat = Chat(FakeServices())
    texts = chat.send(
        "Was kostet die Hundesteuer?",
        intent="service_info",
        entities={"service": "dog_registration"},
        lang="en",
    )
    assert "Fees: Dog tax €96 a year" in texts[0]
    assert chat.buttons() == ["flow:dog_registration"]
    assert chat.send(payload="flow:dog_registration", lang="en") == ["What is your dog's name?"]


def test_a_whatsapp_deep_link_arrives_as_text() -> None:
    assert Chat(FakeServices()).send("boat_dock", confidence=0.1)[0].startswith("Welches Boot")
    assert (
        Chat(FakeServices()).send("shop_17", confidence=0.1)[0].startswith("Mit welchem Gutschein")
    )


def test_asking_for_staff_during_a_free_text_question_hands_over() -> None:
    chat = Chat(FakeServices())
    chat.send(
        "Ich möchte meinen Hund anmelden",
        intent="apply_service",
        entities={"service": "dog_registration"},
    )
    texts = chat.send(
        "Ich möchte mit einem Mitarbeiter sprechen", intent="human_handoff", confidence=0.97
    )
    assert any(isinstance(e, HandoffRequested) for e in chat.events)
    assert texts[0].startswith("Ich verbinde Sie")
    assert chat.state["flows"] == []


def test_menu_button_for_the_running_flow_starts_it_afresh() -> None:
    chat = Chat(boat_services())
    chat.send("Ruderboot", intent="book_boat", entities={"boat_type": "Ruderboot"})
    assert chat.send(payload="intent:book_boat")[0].startswith("Welches Boot")
    assert [f["flow"] for f in chat.state["flows"]] == ["book_boat"]
    assert chat.frame["slots"] == {}


def test_expiry_follows_the_configured_minutes() -> None:
    chat = Chat(boat_services(), Dialogue(threshold=0.5, expiry_minutes=5))
    chat.send("Ruderboot", intent="book_boat", entities={"boat_type": "Ruderboot"})
    assert chat.send("morgen", confidence=0.3, now=NOW + timedelta(minutes=4))[0].startswith(
        "Um wie"
    )
    later = NOW + timedelta(minutes=10)
    assert "abgelaufen" in chat.send("15 Uhr", confidence=0.3, now=later)[0]


def test_amount_range_is_shown_as_money() -> None:
    chat = Chat(shop_voucher_services())
    chat.send(payload="shop_17")
    chat.send("AHS-DEMO-0001", entities={"voucher_code": "AHS-DEMO-0001"}, confidence=0.3)
    texts = chat.send("5000 Euro", entities={"amount": 500000}, confidence=0.3)
    assert texts[0] == "Der Betrag muss zwischen 0,01 € und 1.000,00 € liegen."


def test_nearest_acceptance_points_for_a_shared_location() -> None:
    near = {
        "merchants": [
            {
                "name": "Eiscafé am Schloss",
                "address": "Schloßstraße 4, 48683 Ahaus",
                "distance_m": 120,
            }
        ]
    }
    services = FakeServices({"merchants.nearest": near})
    chat = Chat(services)
    chat.send("Wo kann ich den Gutschein einlösen?", intent="find_acceptance_point")
    texts = chat.send("", location=Location(latitude=52.0754, longitude=7.0055))
    assert texts == [
        "Akzeptanzstellen in Ihrer Nähe:\n• Eiscafé am Schloss, Schloßstraße 4, 48683 Ahaus (120 m)"
    ]
    assert services.calls == [("merchants.nearest", {"lat": 52.0754, "lon": 7.0055, "limit": 5})]


def test_voice_note_gets_a_polite_answer_and_the_open_question_again() -> None:
    from bot.core.messages import Media

    chat = Chat(boat_services())
    chat.send("ich will ein Boot", intent="book_boat")
    asked = chat.texts()[-1]
    texts = chat.send(media=[Media(kind="audio", url="https://example.org/v.ogg")])
    assert texts[0].startswith("Sprachnachrichten und Dateien kann ich noch nicht verstehen")
    assert texts[-1] == asked and chat.frame["flow"] == "book_boat"
    assert chat.send(media=[Media(kind="sticker")], lang="en")[0].startswith(
        "I can't understand voice"
    )
