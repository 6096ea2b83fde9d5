"""What the city's backend knows about one contact, read-only, for the staff inbox.

Staff answering a citizen see the cases, boat bookings and vouchers (with balance)
that belong to the contact, without being able to change them from there. Voucher
codes are shown with their last four characters only: staff never need the whole code.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from actions.models import Boat, BoatBooking, CityCase, Voucher

LIMIT = 20


def _masked(code: str) -> str:
    return "…" + code[-4:]


def contact_overview(session: Session, contact_id: int) -> dict[str, list[dict[str, Any]]]:
    """The contact's newest cases, bookings and vouchers (at most LIMIT of each)."""
    cases = session.exec(
        select(CityCase)
        .where(CityCase.contact_id == contact_id)
        .order_by(CityCase.id.desc())  # type: ignore[union-attr]
        .limit(LIMIT)
    ).all()
    bookings = session.exec(
        select(BoatBooking, Boat)
        .join(Boat, Boat.id == BoatBooking.boat_id)  # type: ignore[arg-type]
        .where(BoatBooking.contact_id == contact_id)
        .order_by(BoatBooking.id.desc())  # type: ignore[union-attr]
        .limit(LIMIT)
    ).all()
    vouchers = session.exec(
        select(Voucher)
        .where(Voucher.contact_id == contact_id)
        .order_by(Voucher.id.desc())  # type: ignore[union-attr]
        .limit(LIMIT)
    ).all()
    return {
        "cases": [
            {
                "reference": c.reference,
                "service": c.service,
                "status": c.status,
                "created_at": c.created_at.isoformat(),
            }
            for c in cases
        ],
        "bookings": [
            {
                "reference": b.reference,
                "boat": boat.name,
                "start_at": b.start_at.isoformat(),
                "end_at": b.end_at.isoformat(),
                "status": b.status,
            }
            for b, boat in bookings
        ],
        "vouchers": [
            {
                "code": _masked(v.code),
                "balance_cents": v.balance_cents,
                "value_cents": v.value_cents,
                "expires_at": v.expires_at.isoformat(),
            }
            for v in vouchers
        ],
    }
