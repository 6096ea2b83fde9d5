"""Demo city data for `stadtbot demo load` and `make run`: boats, shops, demo vouchers.

Idempotent: rows are found by their natural key (boat name, shop id, voucher code) and
only missing ones are created, so a second run adds nothing. The only vouchers it
creates are the fixed, documented demo ones (`AHS-DEMO-0001` … `-0010`, 50,00 €, PIN
1234); real vouchers never follow a guessable pattern. Opening hours, events, holidays
and bulky waste days are read from `actions/data/` directly and need no loading.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from actions import datafiles, vouchers
from actions.models import Boat, Merchant, Voucher
from actions.secure import hash_pin, new_token

DEMO_VOUCHER_CODES = tuple(f"AHS-DEMO-{n:04d}" for n in range(1, 11))
DEMO_VOUCHER_CENTS = 5000
DEMO_PIN = "1234"
VOUCHER_VALIDITY = timedelta(days=3 * 365)


def load_boats(session: Session) -> int:
    """Create the dock's boats from `boats.yaml` that are missing."""
    cfg = datafiles.load("boats")
    existing = set(session.exec(select(Boat.name)).all())
    created = 0
    for item in cfg["boats"]:
        if item["name"] not in existing:
            session.add(Boat(dock=cfg["dock"], **item))
            created += 1
    return created


def load_merchants(session: Session) -> int:
    """Create missing acceptance points from `acceptance_points.yaml`, each with a fresh token."""
    existing = set(session.exec(select(Merchant.id)).all())
    created = 0
    for item in datafiles.load("acceptance_points")["acceptance_points"]:
        if item["id"] not in existing:
            session.add(Merchant(merchant_token=new_token(), **item))
            created += 1
    return created


def load_vouchers(session: Session, now: datetime) -> int:
    """Create the missing fixed demo vouchers (one argon2 hash shared: same demo PIN)."""
    existing = set(
        session.exec(select(Voucher.code).where(Voucher.code.in_(DEMO_VOUCHER_CODES))).all()  # type: ignore[attr-defined]
    )
    missing = [code for code in DEMO_VOUCHER_CODES if code not in existing]
    if not missing:
        return 0
    pin_hash = hash_pin(DEMO_PIN)
    for code in missing:
        vouchers.issue(session, code, DEMO_VOUCHER_CENTS, pin_hash, now + VOUCHER_VALIDITY, now)
    return len(missing)


def load_demo(session: Session, now: datetime | None = None) -> dict[str, int]:
    """Load all demo data in the caller's transaction; returns rows created per kind."""
    now = now or datetime.now(UTC)
    counts = {
        "boats": load_boats(session),
        "merchants": load_merchants(session),
    }
    session.flush()
    counts["vouchers"] = load_vouchers(session, now)
    session.flush()
    return counts
