"""Boat rental: search, alternatives, booking rules, own bookings, cancellation."""

from __future__ import annotations

from datetime import timedelta

import pytest

from actions.registry import ActionError

WHEN = {"date": "2027-06-02", "time": "14:00", "duration": 120}


def test_search_finds_free_boat_and_price(demo, call, new_contact):
    me = new_contact()
    result = call("boats.search", me, type="ruderboot", **WHEN)
    assert result["available"] is True
    assert result["boat"]["type"] == "Ruderboot"
    assert result["price_cents"] == 2400
    assert result["start"].startswith("2027-06-02T14:00:00+02:00")


def test_book_returns_reference_and_ticket(demo, call, new_contact):
    me = new_contact()
    booking = call("boats.book", me, type="Kanu", **WHEN)
    assert booking["reference"].startswith("B-")
    assert booking["price_cents"] == 2000
    assert booking["ticket_path"].startswith(f"/qr/ticket/{booking['reference']}?token=")
    assert booking["ticket_url"].startswith("https://stadtbot.example/qr/ticket/")
    assert booking["end_time"] == "16:00"


def test_full_type_offers_alternatives(demo, call, new_contact):
    me = new_contact()
    call("boats.book", me, type="Kanu", **WHEN)
    result = call("boats.search", me, type="Kanu", **WHEN)
    assert result["available"] is False
    alts = result["alternatives"]
    assert alts, "a full slot must come with alternatives"
    starts = {a["start"][11:16] for a in alts if a["type"] == "Kanu"}
    assert "16:00" in starts or "12:00" in starts  # nearest free times the same day
    assert any(a["type"] != "Kanu" for a in alts)  # and other types at that time
    with pytest.raises(ActionError) as err:
        call("boats.book", me, type="Kanu", **WHEN)
    assert err.value.code == "slot_taken"
    assert err.value.details["alternatives"]


def test_overlapping_but_not_touching(demo, call, new_contact):
    me = new_contact()
    call("boats.book", me, type="Kanu", date="2027-06-02", time="10:00", duration=60)
    # 11:00-12:00 touches the first booking's end: allowed.
    call("boats.book", me, type="Kanu", date="2027-06-02", time="11:00", duration=60)
    with pytest.raises(ActionError) as err:
        call("boats.book", me, type="Kanu", date="2027-06-02", time="10:30", duration=60)
    assert err.value.code == "slot_taken"


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"type": "Segelboot", **WHEN}, "unknown_boat_type"),
        ({"type": "Kanu", "date": "morgen", "time": "14:00", "duration": 60}, "invalid_param"),
        ({"type": "Kanu", "date": "2027-06-02", "time": "25:00", "duration": 60}, "invalid_param"),
        (
            {"type": "Kanu", "date": "2027-06-02", "time": "14:00", "duration": "lang"},
            "invalid_param",
        ),
        ({"type": "Kanu", "date": "2027-06-02", "time": "14:00"}, "missing_param"),
        (
            {"type": "Kanu", "date": "2027-06-02", "time": "14:00", "duration": 30},
            "invalid_duration",
        ),
        (
            {"type": "Kanu", "date": "2027-06-02", "time": "14:00", "duration": 600},
            "invalid_duration",
        ),
        ({"type": "Kanu", "date": "2027-06-02", "time": "14:10", "duration": 60}, "invalid_time"),
        (
            {"type": "Kanu", "date": "2027-06-02", "time": "17:00", "duration": 120},
            "outside_opening_hours",
        ),
        (
            {"type": "Kanu", "date": "2027-06-02", "time": "08:00", "duration": 60},
            "outside_opening_hours",
        ),
        ({"type": "Kanu", "date": "2027-05-30", "time": "14:00", "duration": 60}, "in_past"),
        ({"type": "Kanu", "date": "2027-12-01", "time": "14:00", "duration": 60}, "too_far_ahead"),
    ],
)
def test_bad_input_is_a_clear_error(demo, call, new_contact, params, code):
    me = new_contact()
    with pytest.raises(ActionError) as err:
        call("boats.book", me, **params)
    assert err.value.code == code


def test_durations_in_other_shapes(demo, call, new_contact):
    me = new_contact()
    assert call("boats.quote", me, type="Tretboot", duration="PT1H30M")["price_cents"] == 2250
    assert call("boats.quote", me, type="Tretboot", duration="02:00")["price_cents"] == 3000
    result = call("boats.search", me, type="Tretboot", start="2027-06-02T15:00", duration="PT1H")
    assert result["available"]


def test_my_bookings_and_cancel_only_own(demo, call, new_contact):
    me, other = new_contact(), new_contact()
    booking = call("boats.book", me, type="Tretboot", **WHEN)
    mine = call("boats.my_bookings", me)["bookings"]
    assert [b["reference"] for b in mine] == [booking["reference"]]
    assert mine[0]["cancellable"] is True
    assert call("boats.my_bookings", other)["bookings"] == []
    with pytest.raises(ActionError) as err:
        call("boats.cancel", other, reference=booking["reference"])
    assert err.value.code == "not_found"
    done = call("boats.cancel", me, reference=booking["reference"].lower())
    assert done["status"] == "cancelled"
    with pytest.raises(ActionError) as err:
        call("boats.cancel", me, reference=booking["reference"])
    assert err.value.code == "already_cancelled"
    # The boat is free again.
    again = call("boats.book", other, boat_id=booking["boat_id"], **WHEN)
    assert again["boat_id"] == booking["boat_id"]


def test_cancel_after_deadline_is_refused(demo, call, new_contact, now):
    me = new_contact()
    booking = call("boats.book", me, type="Tretboot", **WHEN)
    late = now.replace(day=2, hour=12, minute=30)  # 1.5 h before 14:00
    with pytest.raises(ActionError) as err:
        call("boats.cancel", me, now=late, reference=booking["reference"])
    assert err.value.code == "cancellation_deadline_passed"
    assert call("boats.my_bookings", me, now=late)["bookings"][0]["cancellable"] is False
    assert call("boats.my_bookings", me, now=now + timedelta(days=2))["bookings"] == []
