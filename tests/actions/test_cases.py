"""Cases: references, applications with backend checks, reports with duplicate linking,
status for the own contact only, staff status changes that notify the citizen."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from actions.cases import next_reference, normalise_reference, set_case_status
from actions.models import CaseEvent, CityCase
from actions.registry import ActionError
from bot.core.db import transaction
from bot.core.models import Message, Outbox

SCHLOSS = {"lat": 52.07540, "lon": 7.00410}
TWENTY_METRES_EAST = {"lat": 52.07540, "lon": 7.00439}
FIFTY_METRES_EAST = {"lat": 52.07540, "lon": 7.00483}


def _error(call, *args, **kwargs) -> ActionError:
    with pytest.raises(ActionError) as err:
        call(*args, **kwargs)
    return err.value


def test_references_count_up_per_year(engine):
    with transaction(engine) as session:
        refs = [next_reference(session, 2027) for _ in range(3)] + [next_reference(session, 2028)]
    assert refs == ["AH-2027-000001", "AH-2027-000002", "AH-2027-000003", "AH-2028-000001"]


@pytest.mark.parametrize(
    ("text", "ref"),
    [
        ("AH-2026-004711", "AH-2026-004711"),
        ("ah 2026 4711", "AH-2026-004711"),
        ("AH2026004711", "AH-2026-004711"),
    ],
)
def test_reference_normalisation(text, ref):
    assert normalise_reference(text) == ref


def test_bad_reference_is_invalid():
    with pytest.raises(ActionError) as err:
        normalise_reference("Bestellung 12")
    assert err.value.code == "invalid_reference"


def test_bulky_waste_application(call, new_contact):
    me = new_contact()
    days = call("waste.pickup_days", me, street="Marktstr.")
    assert days["district"] == "Ahaus" and len(days["dates"]) == 4
    fields = {
        "items": ["Sofa", "Schrank"],
        "street": "Marktstrasse",
        "house_number": "3",
        "preferred_date": days["dates"][1],
    }
    result = call("cases.submit", me, service="bulky_waste", fields=fields)
    assert re.fullmatch(r"AH-2027-\d{6}", result["reference"])
    assert result["status"] == "received" and result["next_step"] == "pickup_scheduled"
    status = call("cases.status", me, reference=result["reference"].lower())
    assert status["service"] == "bulky_waste" and status["history"][0]["status"] == "received"


@pytest.mark.parametrize(
    ("service", "fields", "code"),
    [
        (
            "bulky_waste",
            {"street": "Marktstraße", "preferred_date": "2027-06-02"},
            "not_a_pickup_day",
        ),
        (
            "bulky_waste",
            {"street": "Nirgendwoweg", "preferred_date": "2027-06-08"},
            "unknown_street",
        ),
        ("bulky_waste", {"preferred_date": "2027-06-08"}, "missing_param"),
        (
            "bulky_waste",
            {"street": "Marktstraße", "items": list("abcdefghijk"), "preferred_date": "2027-06-08"},
            "too_many_items",
        ),
        ("residents_parking_permit", {"licence_plate": "123 ABC"}, "invalid_plate"),
        ("residents_parking_permit", {}, "missing_param"),
        ("Drop Table", {}, "unknown_service"),
        ("citizens_office_appointment", {}, "unknown_service"),
        ("dog_registration", "not a dict", "invalid_param"),
    ],
)
def test_bad_applications(call, new_contact, service, fields, code):
    assert _error(call, "cases.submit", new_contact(), service=service, fields=fields).code == code


def test_parking_permit_plate_is_normalised(call, new_contact):
    me = new_contact()
    result = call(
        "cases.submit",
        me,
        service="residents_parking_permit",
        fields={"licence_plate": "bor-ab 123e", "street": "Wallstraße"},
    )
    assert result["expected_days"] == 10


def test_report_near_open_report_is_linked(engine, call, new_contact):
    first, second, third, fourth = (new_contact() for _ in range(4))
    original = call(
        "cases.submit",
        first,
        service="report_issue",
        category="pothole",
        location=SCHLOSS,
        fields={"description": "tiefes Loch"},
    )
    assert original["linked"] is False
    near = call(
        "cases.submit",
        second,
        service="report_issue",
        category="pothole",
        location=TWENTY_METRES_EAST,
        fields={},
    )
    assert near["linked"] is True and near["linked_reference"] == original["reference"]
    assert near["next_step"] == "already_reported"
    far = call(
        "cases.submit",
        third,
        service="report_issue",
        category="pothole",
        location=FIFTY_METRES_EAST,
        fields={},
    )
    other_kind = call(
        "cases.submit",
        fourth,
        service="report_issue",
        category="graffiti",
        location=TWENTY_METRES_EAST,
        fields={},
    )
    assert far["linked"] is False and other_kind["linked"] is False
    # The linked citizen hears about the original's progress.
    with transaction(engine) as session:
        set_case_status(session, original["reference"], "done", "Loch ist verfüllt.")
    assert call("cases.status", second, reference=near["reference"])["status"] == "done"
    # A closed report no longer swallows new ones.
    again = call(
        "cases.submit",
        fourth,
        service="report_issue",
        category="pothole",
        location=SCHLOSS,
        fields={},
    )
    assert again["linked"] is False


def test_report_by_address_links_same_address(call, new_contact):
    a, b = new_contact(), new_contact()
    fields = {"street": "Wallstr.", "house_number": "5"}
    first = call("cases.submit", a, service="report_issue", category="streetlight", fields=fields)
    second = call(
        "cases.submit",
        b,
        service="report_issue",
        category="streetlight",
        fields={"street": "wallstraße", "house_number": " 5 "},
    )
    assert second["linked_reference"] == first["reference"]


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"category": "ufo", "location": SCHLOSS}, "unknown_category"),
        ({"category": "pothole"}, "location_required"),
        ({"category": "pothole", "location": {"lat": 123, "lon": 7}}, "invalid_param"),
        ({"category": "pothole", "location": {"lat": "x", "lon": 7}}, "invalid_param"),
    ],
)
def test_bad_reports(call, new_contact, params, code):
    err = _error(call, "cases.submit", new_contact(), service="report_issue", fields={}, **params)
    assert err.code == code


def test_status_only_for_own_contact(call, new_contact):
    owner, stranger = new_contact(), new_contact()
    ref = call("cases.submit", owner, service="dog_registration", fields={"breed": "Dackel"})[
        "reference"
    ]
    assert _error(call, "cases.status", stranger, reference=ref).code == "not_found"
    assert _error(call, "cases.status", stranger, reference="AH-2027-999999").code == "not_found"
    assert _error(call, "cases.status", stranger, reference="hallo").code == "invalid_reference"
    assert call("cases.my_cases", stranger)["cases"] == []
    assert [c["reference"] for c in call("cases.my_cases", owner)["cases"]] == [ref]


def test_set_status_records_event_and_notifies(engine, call, new_contact):
    owner = new_contact(language="en")
    ref = call("cases.submit", owner, service="change_of_address", fields={})["reference"]
    with transaction(engine) as session:
        set_case_status(
            session, ref, "waiting_for_citizen", "Please send a copy of your lease.", actor="anna"
        )
    with transaction(engine) as session:
        case = session.exec(select(CityCase).where(CityCase.reference == ref)).one()
        events = session.exec(select(CaseEvent).where(CaseEvent.case_id == case.id)).all()
        outbox = session.exec(select(Outbox).where(Outbox.contact_id == owner)).all()
        assert [e.status for e in events] == ["received", "waiting_for_citizen"]
        assert events[-1].actor == "anna"
        assert len(outbox) == 1 and outbox[0].body["kind"] == "status"
        message = session.get(Message, outbox[0].message_id)
        assert ref in message.text and "waiting for your reply" in message.text
        assert "copy of your lease" in message.text
    status = call("cases.status", owner, reference=ref)
    assert status["status"] == "waiting_for_citizen"
    assert status["message"] == "Please send a copy of your lease."


@pytest.mark.parametrize(
    ("ref", "status", "code"),
    [
        ("AH-2027-000001", "lost", "unknown_status"),
        ("AH-2027-123456", "done", "not_found"),
        ("nonsense", "done", "invalid_reference"),
    ],
)
def test_set_status_errors(engine, ref, status, code):
    with pytest.raises(ActionError) as err, transaction(engine) as session:
        set_case_status(session, ref, status)
    assert err.value.code == code
