"""Tables of the city's backend: boats, vouchers, acceptance points, cases, appointments.

Money is always integer cents, times are always aware UTC (shown in the city's time
zone by the flows). Tokens that open something without a login (tickets, merchant
pages) come from `secrets` and are never derived from ids. Concurrency guarantees are
kept by the database, not by Python: row locks before overlap checks (boats, vouchers),
unique constraints (appointment slots, references), a counter row (case references).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint, event
from sqlmodel import Field, SQLModel

from bot.core.models import utcnow

BOAT_TYPES = ("Ruderboot", "Tretboot", "Kanu")
CASE_STATUSES = ("received", "in_progress", "waiting_for_citizen", "done", "rejected")
OPEN_CASE_STATUSES = ("received", "in_progress", "waiting_for_citizen")


class Boat(SQLModel, table=True):
    """One boat at a dock; its row is the lock that serialises bookings of it."""

    __tablename__ = "boat"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=80, unique=True)
    type: str = Field(max_length=20, index=True)  # one of BOAT_TYPES
    price_per_hour_cents: int
    dock: str = Field(max_length=80)
    active: bool = True


class BoatBooking(SQLModel, table=True):
    """A booked time on one boat; `ticket_token` opens the QR ticket."""

    __tablename__ = "boat_booking"
    __table_args__ = (Index("ix_boat_booking_boat_time", "boat_id", "start_at", "end_at"),)

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(max_length=16, unique=True)
    boat_id: int = Field(foreign_key="boat.id")
    contact_id: int = Field(foreign_key="contact.id", index=True)
    start_at: datetime
    end_at: datetime
    status: str = Field(default="booked", max_length=12)  # booked / cancelled
    price_cents: int
    ticket_token: str = Field(max_length=64)
    reminder_sent: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    cancelled_at: datetime | None = None


class Voucher(SQLModel, table=True):
    """A city voucher; the balance only changes together with a ledger row."""

    __tablename__ = "voucher"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=20, unique=True)
    value_cents: int
    balance_cents: int
    expires_at: datetime
    pin_hash: str = Field(max_length=200)  # argon2; the PIN itself is never stored
    contact_id: int | None = Field(default=None, foreign_key="contact.id", index=True)
    claimed_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class VoucherTransaction(SQLModel, table=True):
    """Append-only ledger: every cent that leaves or enters a voucher has a row here."""

    __tablename__ = "voucher_transaction"

    id: int | None = Field(default=None, primary_key=True)
    public_id: str = Field(max_length=16, unique=True)  # shown to citizen and merchant
    voucher_id: int = Field(foreign_key="voucher.id", index=True)
    kind: str = Field(max_length=10)  # issue / redeem
    amount_cents: int  # always positive; `kind` says the direction
    balance_after_cents: int
    merchant_id: int | None = Field(default=None, foreign_key="merchant.id", index=True)
    contact_id: int | None = Field(default=None, foreign_key="contact.id")
    created_at: datetime = Field(default_factory=utcnow, index=True)


@event.listens_for(VoucherTransaction, "before_update")
@event.listens_for(VoucherTransaction, "before_delete")
def _ledger_is_append_only(_mapper: Any, _connection: Any, target: VoucherTransaction) -> None:
    """Refuse to change history through the ORM; corrections are new rows."""
    raise RuntimeError(f"voucher ledger row {target.public_id} is append-only")


class Merchant(SQLModel, table=True):
    """An acceptance point of the city voucher; `id` is stable (it is in QR deep links)."""

    __tablename__ = "merchant"

    id: int = Field(primary_key=True)
    name: str = Field(max_length=120)
    category: str = Field(max_length=30, index=True)
    street: str = Field(max_length=120)
    house_number: str = Field(max_length=10)
    postcode: str = Field(default="48683", max_length=10)
    city: str = Field(default="Ahaus", max_length=60)
    lat: float
    lon: float
    merchant_token: str = Field(max_length=64, unique=True)
    active: bool = True


class CaseCounter(SQLModel, table=True):
    """The last case number used per year; its row lock makes references gap-safe."""

    __tablename__ = "case_counter"

    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    last_value: int = 0


class CityCase(SQLModel, table=True):
    """A service application or a report, known to the citizen by its reference."""

    __tablename__ = "city_case"
    __table_args__ = (Index("ix_city_case_open_reports", "service", "category", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(max_length=20, unique=True)  # AH-YYYY-NNNNNN
    service: str = Field(max_length=50, index=True)
    contact_id: int = Field(foreign_key="contact.id", index=True)
    fields: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="received", max_length=24)
    category: str | None = Field(default=None, max_length=30)
    lat: float | None = None
    lon: float | None = None
    address_key: str | None = Field(default=None, max_length=160)  # normalised street + no.
    linked_to_id: int | None = Field(default=None, foreign_key="city_case.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class CaseEvent(SQLModel, table=True):
    """One entry of a case's status history, with the message the citizen was sent."""

    __tablename__ = "case_event"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="city_case.id", index=True)
    status: str = Field(max_length=24)
    message: str | None = None
    actor: str = Field(default="system", max_length=64)
    created_at: datetime = Field(default_factory=utcnow)


class OfficeAppointment(SQLModel, table=True):
    """A booked citizens' office slot; the unique constraint forbids double booking."""

    __tablename__ = "office_appointment"
    __table_args__ = (UniqueConstraint("starts_at", "desk", name="uq_office_appointment_slot"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="city_case.id", unique=True)
    contact_id: int = Field(foreign_key="contact.id", index=True)
    starts_at: datetime
    desk: int
    created_at: datetime = Field(default_factory=utcnow)

