"""Citizens' office calendar: slots follow opening hours and holidays, no double booking."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from actions.registry import ActionError


def _error(call, *args, **kwargs) -> ActionError:
    with pytest.raises(ActionError) as err:
        call(*args, **kwargs)
    return err.value


def test_free_slots_follow_opening_hours(call, new_contact):
    me = new_contact()
    # 2027-06-05 is a Saturday: 09:00-12:00 in 20-minute slots.
    saturday = call("citizens_office.free_slots", me, date="2027-06-05")
    times = [s["time"] for s in saturday["slots"]]
    assert times[0] == "09:00" and times[-1] == "11:40" and len(times) == 9
    # Without a date: today (now is 09:00), starting an hour from now.
    today = call("citizens_office.free_slots", me)
    assert today["date"] == "2027-06-01" and today["slots"][0]["time"] == "10:00"


def test_closed_days(call, new_contact):
    me = new_contact()
    assert (
        _error(call, "citizens_office.free_slots", me, date="2027-06-06").code == "closed"
    )  # Sunday
    err = _error(call, "citizens_office.free_slots", me, date="2027-05-27")  # Fronleichnam
    assert err.code == "closed" and err.details["holiday"]["de"] == "Fronleichnam"


def test_two_desks_then_slot_taken(call, new_contact):
    slot = "2027-06-02T10:00:00+02:00"
    a = call("citizens_office.book", new_contact(), slot=slot, concern="Personalausweis")
    b = call("citizens_office.book", new_contact(), slot=slot, concern="Reisepass")
    assert {a["desk"], b["desk"]} == {1, 2} and a["reference"] != b["reference"]
    err = _error(call, "citizens_office.book", new_contact(), slot=slot, concern="Ausweis")
    assert err.code == "slot_taken" and err.details["slots"][0]["time"] == "10:20"
    times = [
        s["time"]
        for s in call("citizens_office.free_slots", new_contact(), date="2027-06-02")["slots"]
    ]
    assert "10:00" not in times and "10:20" in times


@pytest.mark.parametrize(
    ("slot", "code"),
    [
        ("2027-06-02T10:05", "invalid_slot"),
        ("2027-06-02T13:00", "invalid_slot"),  # lunch break
        ("2027-05-31T10:00", "in_past"),
        ("übermorgen", "invalid_param"),
    ],
)
def test_bad_slots(call, new_contact, slot, code):
    assert (
        _error(call, "citizens_office.book", new_contact(), slot=slot, concern="Pass").code == code
    )


def test_concurrent_booking_of_one_slot(call, new_contact):
    contacts = [new_contact() for _ in range(12)]

    def attempt(contact: int) -> str:
        try:
            call("citizens_office.book", contact, slot="2027-06-03T14:00", concern="Pass")
            return "booked"
        except ActionError as err:
            return err.code

    with ThreadPoolExecutor(max_workers=12) as pool:
        results = Counter(pool.map(attempt, contacts))
    assert results == {"booked": 2, "slot_taken": 10}


def test_concurrent_case_references_are_unique(call, new_contact):
    contacts = [new_contact() for _ in range(30)]
    with ThreadPoolExecutor(max_workers=15) as pool:
        refs = list(
            pool.map(
                lambda c: call("cases.submit", c, service="dog_registration", fields={})[
                    "reference"
                ],
                contacts,
            )
        )
    assert sorted(refs) == [f"AH-2027-{n:06d}" for n in range(1, 31)]
