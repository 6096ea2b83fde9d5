"""The action server over HTTP, called the way Rasa 3.x calls it, checked through Stadtbot.

Requests are built by `tests.rasa.rasa_shapes` in Rasa's documented shape; effects are
read back through Stadtbot's own interface: the ticket check page for a booking, the web
chat (`POST /api/chat`) for a voucher's balance.
"""

from __future__ import annotations

import json
import zlib
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
from sqlmodel import Session, select

from actions.models import Voucher
from bot.core.db import make_engine
from bot.core.models import Contact
from tests.rasa.conftest import Servers
from tests.rasa.rasa_shapes import action_call

CITY_TIME = ZoneInfo("Europe/Berlin")  # "morgen" is tomorrow in the city, not in UTC
TOMORROW = (datetime.now(CITY_TIME).date() + timedelta(days=1)).isoformat()


def webhook(servers: Servers, body: object) -> httpx.Response:
    return httpx.post(f"{servers.actions}/webhook", json=body, timeout=30)


def web_chat(servers: Servers, *texts: str) -> str:
    """Send texts in one new web chat session; all replies as one string."""
    session_id = None
    replies: list[str] = []
    for text in texts:
        body = {"text": text, **({"session_id": session_id} if session_id else {})}
        answer = httpx.post(f"{servers.stadtbot}/api/chat", json=body, timeout=60).json()
        session_id = answer["session_id"]
        replies += [m["text"] for m in answer["messages"]]
    return "\n".join(replies)


def slots_of(body: dict) -> dict:
    return {e["name"]: e["value"] for e in body["events"] if e["event"] == "slot"}


def test_health_and_the_list_of_actions(servers: Servers) -> None:
    assert httpx.get(f"{servers.actions}/health").json() == {"status": "ok"}
    names = {a["name"] for a in httpx.get(f"{servers.actions}/actions").json()}
    assert {
        "action_search_boats", "action_book_boat", "action_my_bookings", "action_cancel_booking",
        "action_voucher_balance", "action_redeem_voucher", "action_find_acceptance_points",
        "action_submit_application", "action_case_status", "validate_book_boat_form",
    } <= names


def test_search_with_filled_slots_reads_them_as_stadtbot_does(servers: Servers) -> None:
    slots = {"boat_type": "Tretboot", "date": "morgen", "time": "11 Uhr", "duration": 2.0}
    response = webhook(servers, action_call("action_search_boats", slots=slots))

    assert response.status_code == 200
    body = response.json()
    assert slots_of(body) == {"boat_available": True, "price_cents": 3000}
    [reply] = body["responses"]
    assert "Tretboot" in reply["text"] and "11:00" in reply["text"] and "30,00 €" in reply["text"]
    assert set(reply) >= {"text", "buttons", "image", "custom", "response", "elements"}


def test_missing_slots_reject_with_rasas_400_body(servers: Servers) -> None:
    body = action_call("action_book_boat", slots={"boat_type": "Kanu", "date": None})
    response = webhook(servers, body)

    assert response.status_code == 400
    error = response.json()
    assert set(error) == {"error", "action_name"}
    assert error["action_name"] == "action_book_boat"
    assert "date, time, duration" in error["error"]


def test_unknown_action_is_404_with_rasas_body(servers: Servers) -> None:
    response = webhook(servers, action_call("action_order_pizza"))

    assert response.status_code == 404
    assert response.json() == {
        "error": "No registered action found for name 'action_order_pizza'.",
        "action_name": "action_order_pizza",
    }


def test_bad_bodies_are_400_never_500(servers: Servers) -> None:
    not_json = httpx.post(f"{servers.actions}/webhook", content=b"{oops", timeout=10)
    no_tracker = webhook(servers, {"next_action": "action_book_boat"})
    wrong_events = webhook(
        servers,
        {"next_action": "action_book_boat", "tracker": {"sender_id": "x", "events": [1]}},
    )
    assert [r.status_code for r in (not_json, no_tracker, wrong_events)] == [400, 400, 400]
    assert no_tracker.json()["action_name"] == "action_book_boat"


def test_booking_twice_with_the_same_request_books_once(servers: Servers) -> None:
    slots = {"boat_type": "Ruderboot", "date": TOMORROW, "time": "15:00", "duration": "1"}
    call = action_call("action_book_boat", sender="rasa-booker", slots=slots, message_id="m-1")

    first, retry = webhook(servers, call), webhook(servers, call)
    again = webhook(
        servers,
        action_call("action_book_boat", sender="rasa-booker", slots=slots, message_id="m-2"),
    )

    assert [r.status_code for r in (first, retry, again)] == [200, 200, 200]
    assert retry.json() == first.json()
    reference = slots_of(first.json())["booking_reference"]
    assert slots_of(again.json())["booking_reference"] != reference  # a new message: a new booking
    ticket = first.json()["responses"][0]["image"]
    assert ticket.startswith(f"/qr/ticket/{reference}?token=")
    check = httpx.get(f"{servers.stadtbot}{ticket.replace('?', '/check?')}", timeout=10)
    assert check.status_code == 200 and reference in check.text

    mine = webhook(servers, action_call("action_my_bookings", sender="rasa-booker")).json()
    listed = mine["responses"][0]["text"]
    assert listed.count("B-") == 2 and reference in listed


def test_voucher_redeemed_once_and_a_second_redemption_told_the_balance(servers: Servers) -> None:
    shop = webhook(
        servers,
        action_call("action_find_acceptance_points", sender="rasa-payer",
                    slots={"shop_name": "Eiscafé am Schloss"}),
    ).json()
    merchant_id = slots_of(shop)["merchant_id"]
    assert "Eiscafé am Schloss" in shop["responses"][0]["text"]
    pay = {"code": "AHS-DEMO-0002", "merchant_id": merchant_id, "amount": "12,50 €"}
    call = action_call("action_redeem_voucher", sender="rasa-payer", slots=pay, message_id="p-1")

    first, retry = webhook(servers, call), webhook(servers, call)
    too_much = webhook(
        servers,
        action_call("action_redeem_voucher", sender="rasa-payer", message_id="p-2",
                    slots={**pay, "amount": 40.0}),
    )

    assert first.status_code == retry.status_code == too_much.status_code == 200
    assert retry.json() == first.json()
    assert slots_of(first.json())["balance_cents"] == 3750
    assert "Restguthaben: 37,50 €" in first.json()["responses"][0]["text"]
    assert slots_of(too_much.json()) == {"amount": None}  # the flow's handler clears it
    assert "noch 37,50 €" in too_much.json()["responses"][0]["text"]
    # Stadtbot's own web chat, as another person with the PIN, sees one redemption.
    chat = web_chat(servers, "Wie viel Guthaben hat AHS-DEMO-0002?", "1234")
    assert "37,50 €" in chat


def test_telegram_senders_are_stadtbots_telegram_contacts(servers: Servers) -> None:
    balance = action_call("action_voucher_balance", sender="777001", channel="telegram",
                          slots={"code": "AHS-DEMO-0003"})
    from_rasa = webhook(servers, balance).json()
    other = action_call("action_voucher_balance", sender="777002", channel="telegram",
                        slots={"code": "AHS-DEMO-0003"})
    from_someone_else = webhook(servers, other).json()
    with_pin = webhook(servers, {**other, "tracker": {
        **other["tracker"], "slots": {"code": "AHS-DEMO-0003", "pin": "1234"}}}).json()

    assert slots_of(from_rasa) == {"balance_cents": 5000}
    assert "Bitte nennen Sie die PIN" in from_someone_else["responses"][0]["text"]
    assert slots_of(with_pin) == {"balance_cents": 5000}
    db = make_engine(servers.database_url)
    with Session(db) as session:
        owner = session.exec(
            select(Contact).join(Voucher, Voucher.contact_id == Contact.id)  # type: ignore[arg-type]
            .where(Voucher.code == "AHS-DEMO-0003")
        ).one()
    db.dispose()
    assert (owner.channel, owner.channel_user_id) == ("telegram", "777001")


def test_form_validation_sets_good_values_and_clears_bad_ones(servers: Servers) -> None:
    call = action_call(
        "validate_book_boat_form",
        slots={"boat_type": "ruderbot", "date": "morgen", "time": "25 Uhr"},
        active_loop="book_boat_form",
        trailing_slot_events=True,
    )
    body = webhook(servers, call).json()

    assert slots_of(body) == {"boat_type": "Ruderboot", "date": TOMORROW, "time": None}
    assert "keine gültige Uhrzeit" in body["responses"][0]["text"]


def test_an_application_and_its_status(servers: Servers) -> None:
    slots = {"dog_name": "Bello", "breed": "Dackel", "birth_date": "12.03.2024",
             "street": "Marktstraße", "house_number": "3"}
    submit = action_call("action_submit_application", sender="rasa-dog", slots=slots,
                         active_loop="dog_registration_form", message_id="d-1")
    body = webhook(servers, submit).json()
    reference = slots_of(body)["reference"]
    status = webhook(
        servers,
        action_call("action_case_status", sender="rasa-dog", slots={"reference": reference}),
    ).json()
    stranger = webhook(
        servers,
        action_call("action_case_status", sender="rasa-stranger", slots={"reference": reference}),
    ).json()

    assert reference.startswith("AH-") and "Angemeldet ✅" in body["responses"][0]["text"]
    assert "eingegangen" in status["responses"][0]["text"]
    assert "finde ich keinen Vorgang" in stranger["responses"][0]["text"]


def test_deflate_compressed_requests_are_read(servers: Servers) -> None:
    raw = json.dumps(action_call("action_my_bookings", sender="rasa-zip")).encode()
    response = httpx.post(
        f"{servers.actions}/webhook",
        content=zlib.compress(raw),
        headers={"Content-Encoding": "deflate", "Content-Type": "application/json"},
        timeout=10,
    )
    assert response.status_code == 200
    assert "keine anstehenden" in response.json()["responses"][0]["text"]


def test_the_same_redemption_sent_eight_times_at_once_pays_once(servers: Servers) -> None:
    shop = webhook(servers, action_call("action_find_acceptance_points", sender="rasa-rush",
                                        slots={"shop_name": "Eiscafé am Schloss"})).json()
    pay = {"code": "AHS-DEMO-0004", "merchant_id": slots_of(shop)["merchant_id"], "amount": 10.0}
    call = action_call("action_redeem_voucher", sender="rasa-rush", slots=pay, message_id="r-1")

    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(lambda _: webhook(servers, call), range(8)))

    assert [r.status_code for r in responses] == [200] * 8
    assert len({json.dumps(r.json(), sort_keys=True) for r in responses}) == 1
    assert slots_of(responses[0].json())["balance_cents"] == 4000
    assert "40,00 €" in web_chat(servers, "Guthaben von AHS-DEMO-0004?", "1234")
