"""Whole conversations compared with golden files: state + turns in, events out.

A change in wording or behaviour shows up as a readable JSON diff. After an intended
change, regenerate with `UPDATE_GOLDEN=1 pytest tests/flows/test_golden.py` and review
the diff like code.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.flows.helpers import Chat, FakeServices
from tests.flows.test_runtime import BOOKING, SEARCH_OK

GOLDEN = Path(__file__).parent / "golden"

BALANCE = {
    "code": "AHS-DEMO-0001",
    "balance_cents": 5000,
    "value_cents": 5000,
    "expires_at": "2029-11-20T00:00:00+01:00",
    "expired": False,
}
SHOPS = {
    "merchants": [
        {"id": 1, "name": "Eiscafé am Schloss", "street": "Schloßstraße", "house_number": "4"},
        {"id": 3, "name": "Café am Markt", "street": "Hohe Straße", "house_number": "44"},
    ],
    "total": 2,
}
RECEIPT = {
    "transaction_id": "T-7KXM4QPA",
    "code": "AHS-DEMO-0001",
    "amount_cents": 1250,
    "balance_cents": 3750,
    "merchant_id": 1,
    "merchant_name": "Eiscafé am Schloss",
}

# (golden file name, backend answers, turns as keyword arguments of Chat.send)
CONVERSATIONS: list[tuple[str, dict[str, Any], list[dict[str, Any]]]] = [
    (
        "book_boat_de",
        {
            "boats.search": SEARCH_OK,
            "boats.book": BOOKING,
            "boats.quote": {
                "price_per_hour_cents": 1200,
                "duration_minutes": 120,
                "price_cents": 2400,
            },
        },
        [
            {
                "text": "Ruderboot morgen um 15 Uhr",
                "intent": "book_boat",
                "entities": {"boat_type": "Ruderboot", "date": "2026-11-21", "time": "15:00"},
            },
            {"text": "was kostet das?", "intent": "service_info"},
            {"text": "zwei Stunden", "confidence": 0.3},
            {"text": "nein, 16 Uhr", "intent": "deny", "entities": {"time": "16:00"}},
            {"text": "ja", "intent": "affirm"},
        ],
    ),
    (
        "redeem_voucher_en",
        {
            "vouchers.balance": BALANCE,
            "merchants.search": SHOPS,
            "merchants.get": {"merchant": SHOPS["merchants"][0]},
            "vouchers.redeem": RECEIPT,
        },
        [
            {
                "text": "I want to pay with my voucher AHS-DEMO-0001",
                "intent": "redeem_voucher",
                "entities": {"voucher_code": "AHS-DEMO-0001"},
                "lang": "en",
            },
            {"text": "a café", "entities": {"merchant_category": "cafe"}, "lang": "en"},
            {"text": "1", "confidence": 0.2, "lang": "en"},
            {"text": "€12.50", "entities": {"amount": 1250}, "lang": "en"},
            {"payload": "confirm:yes", "lang": "en"},
        ],
    ),
]


def transcript(handlers: dict[str, Any], turns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    chat = Chat(FakeServices(handlers))
    result = []
    for turn in turns:
        chat.send(**turn)
        result.append(
            {
                "in": turn.get("text") or turn.get("payload"),
                "events": [e.as_dict() for e in chat.events],
            }
        )
    return result


@pytest.mark.parametrize(
    ("name", "handlers", "turns"), CONVERSATIONS, ids=[c[0] for c in CONVERSATIONS]
)
def test_conversation_matches_golden(
    name: str, handlers: dict[str, Any], turns: list[dict[str, Any]]
) -> None:
    actual = transcript(handlers, turns)
    path = GOLDEN / f"{name}.json"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(json.dumps(actual, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    assert actual == json.loads(path.read_text(encoding="utf-8"))
