"""Money in every notation of de/en/nl, read the same by the NLU and the flows, and never
taken from a voucher code, reference, phone number, date or house number."""

from __future__ import annotations

import pytest

from bot.core.amounts import find_amounts, sure_amount
from flows.slots import parse_amount
from nlu import parse

NOTATIONS = [
    # German
    ("Das macht 7,80 €", 780),
    ("7,80€ bitte", 780),
    ("genau 23 Euro 40", 2340),
    ("23,- passt", 2300),
    ("1.200 € für die Reparatur", 120000),
    ("neunzehn Euro neunzig", 1990),
    # English
    ("it came to €7.80", 780),
    ("that's 23.40 EUR", 2340),
    ("EUR 19", 1900),
    ("about 4 euros", 400),
    ("twenty-five euros", 2500),
    # Dutch
    ("het is € 7,80", 780),
    ("€7,80 graag", 780),
    ("19 euro 90", 1990),
    ("23,- alstublieft", 2300),
    ("vijftien euro", 1500),
]


@pytest.mark.parametrize(("text", "cents"), NOTATIONS)
def test_every_common_notation_is_one_amount(text: str, cents: int) -> None:
    assert sure_amount(text) == cents
    assert [e["value"] for e in parse(text)["entities"] if e["entity"] == "amount"] == [cents]


NOT_MONEY = [
    ("Mein Gutschein AHS-DEMO-0007 €", "AHS-DEMO-0007"),
    ("Vorgang AH-2026-000315 EUR", "AH-2026-000315"),
    ("call me on +49 2561 72 100", "+49 2561 72 100"),
    ("bel me op 06 12345678", "06 12345678"),
    ("Sperrmüll am 14.12. in der Wallstraße 14", "14"),
]


@pytest.mark.parametrize(("text", "other"), NOT_MONEY)
def test_no_amount_from_other_entities(text: str, other: str) -> None:
    entities = parse(text)["entities"]
    assert not [e for e in entities if e["entity"] == "amount"], entities


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("mit AHS-DEMO-0009 € 12,50 im Eiscafé", 1250),  # the bug: € after the code's digits
        ("bon AHS-DEMO-0004 € 3,20 bij de bakker", 320),
        ("voucher AHS-DEMO-0002, EUR 6 at the bakery", 600),
    ],
)
def test_a_code_before_the_currency_sign_gives_nothing(text: str, cents: int) -> None:
    amounts = [e["value"] for e in parse(text)["entities"] if e["entity"] == "amount"]
    assert amounts == [cents]


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("12", 1200),
        ("8.90", 890),
        ("8,90", 890),
        ("zwölf fünfzig", 1250),
        ("twelve fifty", 1250),
        ("twaalf vijftig", 1250),
        ("5 oder 6 Euro", None),  # unsure: asked again
        ("between 5 and 6", None),
        ("5-6 €", None),
        ("AHS-DEMO-0003", None),
        ("am 12.03.", None),
        ("keine Ahnung", None),
    ],
)
def test_typed_answer_to_how_much(text: str, cents: int | None) -> None:
    assert parse_amount(text) == cents


def test_bare_numbers_count_only_as_an_answer() -> None:
    assert find_amounts("Tisch für 4") == []
    assert [a.cents for a in find_amounts("4", typed=True)] == [400]
