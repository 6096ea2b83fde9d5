"""A citizen's data: everything stored about one contact, exported or erased.

Both work from the schema itself (`bot.schema.metadata`), not from a list of tables, so
a table added later is covered the day it is added: every row that points at the
contact — directly through a `contact.id` foreign key, or through a row that does (a
conversation's messages, a handoff's rating) — belongs to the citizen.

Erasure deletes those rows, except the records the law requires the city to keep
(`KEPT_ON_ERASURE`: applications and reports, bookings, vouchers and their ledger,
appointments). Those stay, pointing at the contact row, which is emptied of everything
that identified the person: the link to the person is gone, the record remains.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Table, delete, or_, select, update
from sqlmodel import Session

from bot.core.models import Contact
from bot.schema import metadata

#: Tables whose rows are kept on erasure (accounting, the law of each service, and the
#: record that an erasure was asked for and done); they keep pointing at the emptied
#: contact row.
KEPT_ON_ERASURE = frozenset(
    {"city_case", "case_event", "boat_booking", "voucher", "voucher_transaction",
     "office_appointment", "privacy_erasure"}
)
#: Columns never exported: hashes of secrets (a PIN, a ticket token) are no one's data.
SECRET_SUFFIXES = ("_hash", "token")


def _ownership(contact_id: int) -> dict[Table, ColumnElement[bool]]:
    """For every table with rows of the contact, the condition that selects them."""
    contact = metadata.tables["contact"]
    owned: dict[Table, ColumnElement[bool]] = {contact: contact.c.id == contact_id}
    for table in metadata.sorted_tables:  # parents before children
        if table is contact:
            continue
        conditions = []
        for fk in table.foreign_keys:
            parent = fk.column.table
            if parent is table or parent not in owned:
                continue
            if parent is contact:
                conditions.append(fk.parent == contact_id)
            else:
                conditions.append(fk.parent.in_(select(fk.column).where(owned[parent])))
        if conditions:
            owned[table] = or_(*conditions) if len(conditions) > 1 else conditions[0]
    return owned


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def export_contact(session: Session, contact_id: int) -> dict[str, list[dict[str, Any]]]:
    """Every row about the contact, table by table, as JSON-ready dicts."""
    export: dict[str, list[dict[str, Any]]] = {}
    for table, condition in _ownership(contact_id).items():
        columns = [c for c in table.columns if not c.name.endswith(SECRET_SUFFIXES)]
        rows = session.execute(select(*columns).where(condition)).mappings().all()
        if rows:
            export[table.name] = [{k: _plain(v) for k, v in row.items()} for row in rows]
    return export


def erase_contact(session: Session, contact_id: int) -> dict[str, int]:
    """Delete the contact's rows (children first), keep what the law requires, and empty
    the contact row; returns the number of rows deleted per table."""
    owned = _ownership(contact_id)
    contact = metadata.tables["contact"]
    counts: dict[str, int] = {}
    for table in reversed(metadata.sorted_tables):  # children before parents
        if table is contact or table not in owned or table.name in KEPT_ON_ERASURE:
            continue
        for fk in table.foreign_keys:  # a self-reference to a row that goes, e.g. replies
            if fk.column.table is table and fk.parent.nullable:
                session.execute(
                    update(table).where(fk.parent.in_(select(fk.column).where(owned[table])))
                    .values({fk.parent.name: None})
                )
        result = session.execute(delete(table).where(owned[table]))
        if result.rowcount:
            counts[table.name] = result.rowcount
    session.execute(
        update(Contact)
        .where(Contact.id == contact_id)  # type: ignore[arg-type]
        .values(
            channel_user_id=f"erased-{secrets.token_hex(8)}",
            name=None,
            phone=None,
            language=None,
            last_inbound_at=None,
        )
    )
    return counts


def is_erased(session: Session, contact_id: int) -> bool:
    """Whether the contact row has been emptied (its records kept by law remain)."""
    contact = session.get(Contact, contact_id)
    return contact is None or contact.channel_user_id.startswith("erased-")



