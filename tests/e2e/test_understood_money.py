"""Money end to end through POST /api/chat: the citizen's notation in every language, the
confirmation naming amount and shop, and the voucher ledger holding exactly that amount."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from actions.models import Voucher, VoucherTransaction
from bot.core.db import make_engine


def ledger(sqlite_url: str, code: str) -> tuple[int, list[int]]:
    """The voucher's balance and the amounts of its redemptions."""
    db = make_engine(sqlite_url)
    with Session(db) as session:
        voucher = session.exec(select(Voucher).where(Voucher.code == code)).one()
        paid = session.exec(
            select(VoucherTransaction.amount_cents).where(
                VoucherTransaction.voucher_id == voucher.id, VoucherTransaction.kind == "redeem"
            )
        ).all()
    db.dispose()
    return voucher.balance_cents, list(paid)


PAYMENTS = [
    # lang, first message, amount as confirmed, yes, code, cents
    ("nl", "ik betaal met bon AHS-DEMO-0009 € 3,60 bij Eiscafé am Schloss", "€ 3,60", "ja",
     "AHS-DEMO-0009", 360),
    ("nl", "Eiscafé am Schloss, EUR 5, bon AHS-DEMO-0008", "€ 5,00", "klopt", "AHS-DEMO-0008",
     500),
    ("en", "paying 4.20 EUR at Eiscafé am Schloss with voucher AHS-DEMO-0007", "€4.20", "yes",
     "AHS-DEMO-0007", 420),
    ("en", "voucher AHS-DEMO-0006 €9.99 at the Eiscafé am Schloss", "€9.99", "yes",
     "AHS-DEMO-0006", 999),
    ("de", "Gutschein AHS-DEMO-0005 im Eiscafé am Schloss, 6 Euro 30", "6,30 €", "ja",
     "AHS-DEMO-0005", 630),
]


@pytest.mark.parametrize(("lang", "first", "shown", "yes", "code", "cents"), PAYMENTS)
def test_payment_in_the_citizens_notation_reaches_the_ledger(
    chat, sqlite_url: str, lang: str, first: str, shown: str, yes: str, code: str, cents: int
) -> None:
    web = chat(lang)
    confirm = web.send(first)
    assert shown in confirm and "Eiscafé am Schloss" in confirm, confirm  # amount and shop
    assert "confirm:yes" in web.payloads()
    receipt = web.send(yes)
    assert shown in receipt, receipt
    assert ledger(sqlite_url, code) == (5000 - cents, [cents])


@pytest.mark.parametrize(
    ("lang", "first", "asked"),
    [
        ("de", "mit AHS-DEMO-0004 im Eiscafé am Schloss 8 oder 9 Euro zahlen", "Welchen Betrag"),
        ("en", "pay 8 or 9 euros with AHS-DEMO-0003 at Eiscafé am Schloss", "How much"),
        ("nl", "met bon AHS-DEMO-0002 € 8 of € 9 betalen bij Eiscafé am Schloss", "Welk bedrag"),
    ],
)
def test_an_unsure_amount_is_asked(chat, sqlite_url: str, lang: str, first: str, asked: str):
    web = chat(lang)
    reply = web.send(first)
    assert asked in reply and "confirm:yes" not in web.payloads(), reply
    code = next(w for w in first.split() if w.startswith("AHS-"))
    assert ledger(sqlite_url, code) == (5000, [])
