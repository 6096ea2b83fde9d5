"""Typed answers the slot parsers must understand without the NLU's help."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from flows.definition import Option, SlotDef
from flows.slots import (
    match_option,
    named_option,
    parse_amount,
    parse_date,
    parse_duration,
    parse_phone,
    parse_reference,
    parse_text,
    parse_time,
    parse_yes_no,
    typed_address,
)

FRIDAY = date(2026, 11, 20)


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("2", 120),
        ("2 Stunden", 120),
        ("zwei Stunden", 120),
        ("two hours", 120),
        ("twee uur", 120),
        ("90 Minuten", 90),
        ("1,5 h", 90),
        ("anderthalb Stunden", 90),
        ("2h", 120),
        ("eine Stunde", 60),
        ("blau", None),
    ],
)
def test_duration(text: str, minutes: int | None) -> None:
    assert parse_duration(text) == minutes


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("15:30", "15:30"),
        ("15 Uhr", "15:00"),
        ("um 9.30 Uhr", "09:30"),
        ("3pm", "15:00"),
        ("15", "15:00"),
        ("für 2 Stunden", None),
        ("25:00", None),
    ],
)
def test_time(text: str, value: str | None) -> None:
    assert parse_time(text) == value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("morgen", "2026-11-21"),
        ("heute", "2026-11-20"),
        ("übermorgen", "2026-11-22"),
        ("Samstag", "2026-11-21"),
        ("am Montag", "2026-11-23"),
        ("zaterdag", "2026-11-21"),
        ("28.11.", "2026-11-28"),
        ("3.1.", "2027-01-03"),
        ("2026-12-24", "2026-12-24"),
        ("24. Dezember", "2026-12-24"),
        ("tomorrow", "2026-11-21"),
        ("irgendwann", None),
    ],
)
def test_date(text: str, value: str | None) -> None:
    assert parse_date(text, FRIDAY) == value


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("12,50", 1250),
        ("12.50 €", 1250),
        ("€ 7", 700),
        ("7 Euro", 700),
        ("0,5", 50),
        ("nichts", None),
    ],
)
def test_amount(text: str, cents: int | None) -> None:
    assert parse_amount(text) == cents


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("Ja", True),
        ("ja, bitte", True),
        ("yes", True),
        ("klopt", True),
        ("Nein", False),
        ("nee", False),
        ("nein, 16 Uhr", False),
        ("vielleicht", None),
    ],
)
def test_yes_no(text: str, answer: bool | None) -> None:
    assert parse_yes_no(text) is answer


def test_reference_is_normalised() -> None:
    assert parse_reference("Status ah 2026 4711") == "AH-2026-004711"
    assert parse_reference("AH-2026-000001") == "AH-2026-000001"
    assert parse_reference("b-abc123") == "B-ABC123"
    assert parse_reference("no idea") is None


def test_typed_address_splits_the_house_number() -> None:
    assert typed_address("Marktstraße 12") == {
        "address": "Marktstraße 12",
        "street": "Marktstraße",
        "house_number": "12",
    }
    assert typed_address("Wallstr. 3a")["house_number"] == "3a"


def test_choice_matching() -> None:
    options = [
        Option("1", {"de": "Eiscafé am Schloss, Schloßstraße 4", "en": "x", "nl": "x"}),
        Option("163", {"de": "Eiscafé Jan, Van-Delden-Straße 36a", "en": "y", "nl": "y"}),
        Option("Tretboot", {"de": "Tretboot", "en": "Pedal boat", "nl": "Waterfiets"}),
    ]
    assert match_option("Eiscafé am Schloss", options) == "1"  # the name before the comma
    assert match_option("2", options) == "163"
    assert match_option("pedal boat", options) == "Tretboot"
    assert match_option("Tretbot", options) == "Tretboot"  # a typo
    assert match_option("ja", options) is None  # never a fuzzy "Eiscafé Jan"
    assert match_option("Ruderboot", options) is None


def test_phone_email_and_datetime_typed() -> None:
    assert parse_phone("0151 2345678") == "+491512345678"
    assert parse_phone("+31 6 12345678") == "+31612345678"
    assert parse_phone("call me") is None
    email = SlotDef("mail", "email", {}, {})
    assert parse_text(email, "an Max.Muster@Example.de bitte", [], datetime(2026, 11, 20)) == (
        "max.muster@example.de"
    )
    when = SlotDef("when", "datetime", {}, {})
    assert parse_text(when, "Montag um 9:20", [], datetime(2026, 11, 20)) == "2026-11-23T09:20"


@pytest.mark.parametrize(
    ("kind", "text", "key"),
    [
        ("date", "31.02.", "slot.invalid.date_impossible"),
        ("date", "am 30.2.", "slot.invalid.date_impossible"),
        ("date", "29.02.", None),  # exists in leap years: the range check decides
        ("date", "blub", None),
        ("time", "25 Uhr", "slot.invalid.time_impossible"),
        ("time", "14:75", "slot.invalid.time_impossible"),
        ("time", "25", None),  # a bare number is no claim to be a time
        ("amount", "-5 Euro", "slot.invalid.negative"),
        ("duration", "-2 Stunden", "slot.invalid.negative"),
        ("amount", "5-10 Euro", None),
    ],
)
def test_why_a_typed_answer_is_no_value(kind: str, text: str, key: str | None) -> None:
    from flows.slots import unparsed_problem

    problem = unparsed_problem(SlotDef("x", kind, {}, {}), text)
    assert (problem.key if problem else None) == key


SHOPS = [
    Option("1", {lang: "Eiscafé am Schloss, Schloßstraße 4" for lang in ("de", "en", "nl")}),
    Option("163", {lang: "Eiscafé Jan, Van-Delden-Straße 36a" for lang in ("de", "en", "nl")}),
    Option("166", {lang: "Eiscafé Tim, Heeker Straße 38b" for lang in ("de", "en", "nl")}),
]
DAYS = [Option(d, {"de": d, "en": d, "nl": d}) for d in ("2026-11-24", "2026-11-26", "2026-12-01")]
TIMES = [
    Option("1", {lang: "Ruderboot 11:00–13:00" for lang in ("de", "en", "nl")}),
    Option("2", {lang: "Ruderboot 14:30–16:30" for lang in ("de", "en", "nl")}),
]


@pytest.mark.parametrize(
    ("text", "options", "value"),
    [
        ("die zweite bitte", SHOPS, "163"),
        ("das letzte", SHOPS, "166"),
        ("Nr. 3", SHOPS, "166"),
        ("the second one", SHOPS, "163"),
        ("the last one please", SHOPS, "166"),
        ("de eerste graag", SHOPS, "1"),
        ("de laatste", SHOPS, "166"),
        ("Tim", SHOPS, "166"),  # a unique part of the title
        ("the one on Heeker Straße", SHOPS, "166"),
        ("ja", SHOPS, None),
        ("ok", SHOPS, None),
        ("yes", SHOPS, None),
        ("oké", SHOPS, None),
        ("Donnerstag", DAYS, "2026-11-26"),  # an offered date typed freely
        ("am 1.12.", DAYS, "2026-12-01"),
        ("thursday", DAYS, "2026-11-26"),
        ("de 24e", DAYS, "2026-11-24"),
        ("Freitag", DAYS, None),  # not offered
        ("um 14:30", TIMES, "2"),  # an offered time typed freely
        ("11 Uhr", TIMES, "1"),
        ("the first free time", TIMES, "1"),
    ],
)
def test_a_choice_in_the_citizens_words(text: str, options: list[Option], value) -> None:
    assert match_option(text, options, FRIDAY) == value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Ich zahle im Eiscafé am Schloss mit AHS-DEMO-0001", "1"),
        ("paying at eiscafé tim with my voucher", "166"),
        ("betalen bij Eiscafé Jan", "163"),
        ("in einem Eiscafé", None),  # a category names no one shop
        ("Eiscafé Jan oder Eiscafé Tim", None),
    ],
)
def test_a_shop_named_exactly_needs_no_list(text: str, value: str | None) -> None:
    assert named_option(text, SHOPS) == value
