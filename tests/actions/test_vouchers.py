"""City voucher: claiming, PIN, redemption, errors, ledger, rate limiting."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from actions.models import Voucher, VoucherTransaction
from actions.registry import ActionError
from bot.core.db import transaction
from bot.core.throttle import GuessCounter

CODE = "AHS-DEMO-0001"


def _error(call, *args, **kwargs) -> ActionError:
    with pytest.raises(ActionError) as err:
        call(*args, **kwargs)
    return err.value


def test_first_contact_claims_others_need_pin(demo, call, new_contact):
    owner, other = new_contact(), new_contact()
    first = call("vouchers.balance", owner, code="ahs demo 0001")
    assert first == first | {"code": CODE, "balance_cents": 5000, "claimed_now": True}
    assert call("vouchers.balance", owner, code=CODE)["claimed_now"] is False
    assert _error(call, "vouchers.balance", other, code=CODE).code == "pin_required"
    assert _error(call, "vouchers.balance", other, code=CODE, pin="9999").code == "wrong_pin"
    seen = call("vouchers.balance", other, code=CODE, pin="1234")
    assert seen["balance_cents"] == 5000 and seen["claimed_by_you"] is False


def test_partial_redemption_and_receipt(engine, demo, call, new_contact):
    me = new_contact()
    receipt = call("vouchers.redeem", me, code=CODE, merchant_id=1, amount_cents=1250)
    assert receipt["transaction_id"].startswith("T-")
    assert receipt["balance_cents"] == 3750
    assert receipt["merchant_name"] == "Eiscafé am Schloss"
    receipt = call("vouchers.redeem", me, code=CODE, merchant_id=2, amount_cents="3750")
    assert receipt["balance_cents"] == 0
    err = _error(call, "vouchers.redeem", me, code=CODE, merchant_id=1, amount_cents=1)
    assert err.code == "insufficient_balance" and err.details["balance_cents"] == 0
    with transaction(engine) as session:
        rows = session.exec(select(VoucherTransaction).order_by(VoucherTransaction.id)).all()
        mine = [r for r in rows if r.kind == "redeem"]
        assert [r.balance_after_cents for r in mine] == [3750, 0]


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"code": "AHS-NOPE-0000", "merchant_id": 1, "amount_cents": 100}, "unknown_code"),
        ({"code": "hello", "merchant_id": 1, "amount_cents": 100}, "unknown_code"),
        ({"code": CODE, "merchant_id": 99999, "amount_cents": 100}, "unknown_merchant"),
        ({"code": CODE, "merchant_id": "x", "amount_cents": 100}, "invalid_param"),
        ({"code": CODE, "merchant_id": 1, "amount_cents": 0}, "invalid_amount"),
        ({"code": CODE, "merchant_id": 1, "amount_cents": -5}, "invalid_amount"),
        ({"code": CODE, "merchant_id": 1, "amount_cents": 12.5}, "invalid_param"),
        ({"code": CODE, "merchant_id": 1, "amount_cents": "zehn"}, "invalid_param"),
        ({"code": CODE, "merchant_id": 1, "amount_cents": 5001}, "insufficient_balance"),
        ({"merchant_id": 1, "amount_cents": 100}, "missing_param"),
    ],
)
def test_bad_redemptions(demo, call, new_contact, params, code):
    assert _error(call, "vouchers.redeem", new_contact(), **params).code == code


def test_expired_voucher(engine, demo, call, new_contact, now):
    me = new_contact()
    later = now + timedelta(days=3 * 365 + 1)
    assert call("vouchers.balance", me, now=later, code=CODE)["expired"] is True
    err = _error(call, "vouchers.redeem", me, now=later, code=CODE, merchant_id=1, amount_cents=100)
    assert err.code == "expired"


def test_code_guessing_is_limited_per_contact(engine, demo, call, new_contact, now):
    guesser = new_contact()
    for n in range(5):
        assert (
            _error(call, "vouchers.balance", guesser, code=f"AHS-XXXX-000{n}").code
            == "unknown_code"
        )
    # Even the right code is refused now, and the window passes after 15 minutes.
    assert _error(call, "vouchers.balance", guesser, code=CODE).code == "too_many_attempts"
    later = now + timedelta(minutes=16)
    assert call("vouchers.balance", guesser, now=later, code=CODE)["balance_cents"] == 5000


def test_pin_guessing_is_limited_per_voucher(engine, demo, call, new_contact):
    call("vouchers.balance", new_contact(), code=CODE)
    codes = []
    for _ in range(12):  # a fresh contact per try, as a script opening web sessions would
        codes.append(_error(call, "vouchers.balance", new_contact(), code=CODE, pin="0000").code)
    assert codes[:10] == ["wrong_pin"] * 10
    assert set(codes[10:]) == {"too_many_attempts"}
    assert _error(call, "vouchers.balance", new_contact(), code=CODE, pin="1234").code == (
        "too_many_attempts"
    )
    with transaction(engine) as session:
        counter = session.get(GuessCounter, "voucher:1")
        assert counter is not None and counter.attempts >= 10


def test_pin_is_stored_hashed(engine, demo):
    with transaction(engine) as session:
        voucher = session.exec(select(Voucher).where(Voucher.code == CODE)).one()
        assert "1234" not in voucher.pin_hash and voucher.pin_hash.startswith("$argon2")


def test_ledger_is_append_only(engine, demo):
    with pytest.raises(RuntimeError, match="append-only"), transaction(engine) as session:
        row = session.exec(select(VoucherTransaction)).first()
        assert row is not None
        row.amount_cents = 1
        session.add(row)
        session.flush()
