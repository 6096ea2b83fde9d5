"""The city voucher (Stadtgutschein): balance, claiming, redemption at a shop.

A voucher is bound to the first contact who checks it; everyone else must give the PIN
printed on it. Money moves only in `redeem`, which locks the voucher row
(`SELECT … FOR UPDATE`) before it reads the balance, so concurrent redemptions queue and
the balance never goes below zero; each redemption writes one ledger row with the
balance after it, so value − balance == sum of redemptions, always.

Guessing is limited in the database (`bot.core.throttle`, counted before the secret is
looked at, atomically, so concurrent guesses queue): 5 failed code/PIN entries per contact
and 10 failed PIN entries per voucher in 15 minutes, 20 per web chat client address, and
500 a window in the whole city (a new web session is a new contact, so the address and
the city-wide count are what stop a script). The owner of a voucher is recognised by
the contact and counts nothing. An unclaimed voucher is claimed with one conditional
UPDATE, so of several chats asking at once exactly one becomes the owner and the others
must give the PIN.

Actions (params → result keys):

- `vouchers.balance` {code, pin?} → {code, balance_cents, value_cents, expires_at,
  expired, claimed_by_you, claimed_now}
- `vouchers.redeem` {code, merchant_id, amount_cents, pin?} → {transaction_id, code,
  amount_cents, balance_cents, merchant_id, merchant_name, created_at}

Error codes: missing_param, invalid_param, unknown_code, pin_required, wrong_pin,
expired (details: expired_at), insufficient_balance (details: balance_cents),
invalid_amount, unknown_merchant, too_many_attempts (details: retry_after_minutes).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, select

from actions.models import Merchant, Voucher, VoucherTransaction
from actions.params import as_cents, as_int, required
from actions.registry import ActionContext, ActionError, action
from actions.secure import new_public_id, verify_pin
from bot.core import throttle

CODE_PATTERN = re.compile(r"^AHS-[A-Z0-9]{4}-[A-Z0-9]{4}$")
PIN_FAILURES_PER_VOUCHER = 10


def normalise_code(value: Any) -> str | None:
    """`ahs 7k2m 9qxd`, `AHS7K2M9QXD` → `AHS-7K2M-9QXD`; None if it cannot be a code."""
    text = re.sub(r"[^A-Za-z0-9]", "", str(value or "")).upper()
    if len(text) != 11 or not text.startswith("AHS"):
        return None
    code = f"{text[:3]}-{text[3:7]}-{text[7:]}"
    return code if CODE_PATTERN.match(code) else None


GUESSES_PER_CONTACT = 5
GUESSES_PER_ADDRESS = 20
GUESSES_CITY_WIDE = 500


def _guess_limits(ctx: ActionContext) -> list[throttle.Limit]:
    limits = [
        throttle.Limit(f"voucher-contact:{ctx.contact_id}", GUESSES_PER_CONTACT),
        throttle.Limit("voucher-global", GUESSES_CITY_WIDE),
    ]
    address = ctx.extra.get("client_address")  # the web chat's; providers' are no one's
    if address:
        limits.append(throttle.Limit(f"voucher-ip:{address}", GUESSES_PER_ADDRESS))
    return limits


def _charge(ctx: ActionContext, limits: list[throttle.Limit], now: datetime) -> None:
    retry_after = throttle.charge(ctx.session, limits, now)
    if retry_after is not None:
        raise ActionError("too_many_attempts", retry_after_minutes=-(-retry_after // 60))


def open_voucher(ctx: ActionContext, params: dict[str, Any], lock: bool) -> tuple[Voucher, bool]:
    """The voucher the contact may use, claiming it if unclaimed; returns (voucher, claimed_now).

    The owner gets in by being the owner. Anyone else is charged one guess first (code
    known? unclaimed, or the right PIN?) and given it back only when all was right.
    """
    now = ctx.now.astimezone(UTC)
    raw = required(params, "code")
    code = normalise_code(raw)
    query = select(Voucher).where(Voucher.code == code)
    voucher = ctx.session.exec(query.with_for_update() if lock else query).first() if code else None
    if voucher is not None and voucher.contact_id == ctx.contact_id:
        return voucher, False
    limits = _guess_limits(ctx)
    _charge(ctx, limits, now)
    if voucher is None:
        raise ActionError("unknown_code", voucher_code=str(raw)[:20])
    if voucher.contact_id is None and _claim(ctx, voucher, now):
        throttle.refund(ctx.session, limits)
        return voucher, True
    voucher_limit = throttle.Limit(f"voucher:{voucher.id}", PIN_FAILURES_PER_VOUCHER)
    check_pin(ctx, voucher, params.get("pin"), voucher_limit, now)
    throttle.refund(ctx.session, [*limits, voucher_limit])
    return voucher, False


def _claim(ctx: ActionContext, voucher: Voucher, now: datetime) -> bool:
    """Make the contact the owner unless someone else became it first (then reload it).

    The UPDATE only matches while the voucher is unclaimed; on PostgreSQL a concurrent
    claim's row lock makes it wait and then see that claim, so only one chat wins.
    """
    claimed = ctx.session.execute(
        update(Voucher)
        .where(Voucher.id == voucher.id, Voucher.contact_id.is_(None))  # type: ignore[union-attr]
        .values(contact_id=ctx.contact_id, claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    ctx.session.refresh(voucher)
    return claimed.rowcount == 1


def check_pin(
    ctx: ActionContext, voucher: Voucher, pin: Any, limit: throttle.Limit, now: datetime
) -> None:
    """Let a non-owner in only with the voucher's PIN, counting the try on the voucher."""
    if pin is None or not str(pin).strip():
        raise ActionError("pin_required", voucher_code=voucher.code)
    _charge(ctx, [limit], now)
    if not verify_pin(voucher.pin_hash, str(pin).strip()):
        raise ActionError("wrong_pin", voucher_code=voucher.code)


def _expired(voucher: Voucher, now: datetime) -> bool:
    return voucher.expires_at <= now


@action("vouchers.balance", writes=False)
def balance(ctx: ActionContext, params: dict[str, Any]) -> dict[str, Any]:
    """Balance of a voucher; the first contact to ask claims it.

    params {code, pin?} → {code, balance_cents, value_cents, expires_at, expired,
    claimed_by_you, claimed_now}. Errors: unknown_code, pin_required, wrong_pin,
    too_many_attempts.
    """
    voucher, claimed_now = open_voucher(ctx, params, lock=False)
    now = ctx.now.astimezone(UTC)
    return {
        "code": voucher.code,
        "balance_cents": voucher.balance_cents,
        "value_cents": voucher.value_cents,
        "expires_at": voucher.expires_at.astimezone(ctx.settings.tz).isoformat(),
        "expired": _expired(voucher, now),
        "claimed_by_you": voucher.contact_id == ctx.contact_id,
        "claimed_now": claimed_now,
    }


def find_merchant(session: Session, merchant_id: Any) -> Merchant:
    """An active acceptance point by id, or `unknown_merchant`."""
    merchant = session.get(Merchant, as_int(merchant_id, "merchant_id"))
    if merchant is None or not merchant.active:
        raise ActionError("unknown_merchant", merchant_id=str(merchant_id)[:20])
    return merchant


@action("vouchers.redeem", writes=True)
def redeem(ctx: ActionContext, params: dict[str, Any]) -> dict[str, Any]:
    """Pay `amount_cents` at a shop from a voucher; partial amounts are fine.

    params {code, merchant_id, amount_cents, pin?} → {transaction_id, code, amount_cents,
    balance_cents, merchant_id, merchant_name, created_at}. Errors: unknown_code,
    pin_required, wrong_pin, expired, insufficient_balance, invalid_amount,
    unknown_merchant, too_many_attempts.
    """
    amount = as_cents(required(params, "amount_cents"))
    merchant = find_merchant(ctx.session, required(params, "merchant_id"))
    voucher, _ = open_voucher(ctx, params, lock=True)
    now = ctx.now.astimezone(UTC)
    if _expired(voucher, now):
        raise ActionError(
            "expired", expired_at=voucher.expires_at.astimezone(ctx.settings.tz).isoformat()
        )
    if amount > voucher.balance_cents:
        raise ActionError("insufficient_balance", balance_cents=voucher.balance_cents)
    voucher.balance_cents -= amount
    entry = VoucherTransaction(
        public_id=new_public_id("T"),
        voucher_id=voucher.id,  # type: ignore[arg-type]
        kind="redeem",
        amount_cents=amount,
        balance_after_cents=voucher.balance_cents,
        merchant_id=merchant.id,
        contact_id=ctx.contact_id,
        created_at=now,
    )
    ctx.session.add(voucher)
    ctx.session.add(entry)
    ctx.session.flush()
    return {
        "transaction_id": entry.public_id,
        "code": voucher.code,
        "amount_cents": amount,
        "balance_cents": voucher.balance_cents,
        "merchant_id": merchant.id,
        "merchant_name": merchant.name,
        "created_at": now.astimezone(ctx.settings.tz).isoformat(),
    }


def issue(
    session: Session,
    code: str,
    value_cents: int,
    pin_hash: str,
    expires_at: datetime,
    now: datetime,
) -> Voucher:
    """Create a voucher with its `issue` ledger row (demo load, later the city's sales)."""
    voucher = Voucher(
        code=code,
        value_cents=value_cents,
        balance_cents=value_cents,
        expires_at=expires_at,
        pin_hash=pin_hash,
        created_at=now,
    )
    session.add(voucher)
    session.flush()
    session.add(
        VoucherTransaction(
            public_id=new_public_id("T"),
            voucher_id=voucher.id,  # type: ignore[arg-type]
            kind="issue",
            amount_cents=value_cents,
            balance_after_cents=value_cents,
            created_at=now,
        )
    )
    session.flush()
    return voucher
