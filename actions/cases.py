"""Service applications and reports as cases: submit, status, staff status changes.

A case's reference `AH-YYYY-NNNNNN` comes from a per-year counter row that is
incremented with `UPDATE … RETURNING` (the row lock serialises concurrent submissions
on PostgreSQL; SQLite serialises writers anyway), so references are unique and dense.
A report near an identical open report (same category, ≤ 30 m, or the same address) is
linked to it instead of becoming a second job for the city; the citizen still gets a
reference and hears about every status change of the original.

Actions (params → result keys):

- `cases.submit` {service, fields: {…}, location?: {lat, lon}, category?} →
  {reference, service, status, team, linked, linked_reference, next_step, expected_days,
  created_at}; what is checked per service comes from its YAML file
  (`actions/service_rules.py`)
- `cases.status` {reference} → {reference, service, status, message, updated_at,
  history: [{status, message, at}], linked_reference}
- `cases.my_cases` {} → {cases: [{reference, service, status, updated_at}]}

Error codes: missing_param, invalid_param, unknown_service, unknown_category (report
categories), invalid_reference, not_found, unknown_street, not_a_pickup_day (details:
dates), too_many_items, invalid_plate, location_required.

Staff side: `set_case_status(session, reference, status, message, actor)` (CLI and API).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text, update
from sqlmodel import Session, col, select

from actions import notify, places, service_rules
from actions.geo import haversine_m, valid_coordinates
from actions.models import CASE_STATUSES, OPEN_CASE_STATUSES, CaseCounter, CaseEvent, CityCase
from actions.params import as_float, invalid, required
from actions.registry import ActionContext, ActionError, action
from bot.core.db import insert_ignore
from bot.core.models import Contact

SERVICE_ID = re.compile(r"^[a-z][a-z0-9_]{1,49}$")
REFERENCE = re.compile(r"^AH-?(\d{4})-?(\d{1,6})$")
REPORT_CATEGORIES = ("pothole", "streetlight", "dumping", "bin", "graffiti", "fallen_tree", "other")
DUPLICATE_RADIUS_M = 30.0
MAX_FIELDS_BYTES = 20_000
# Reports of defects are cases too, but not a service: the Bauhof inspects them.
REPORT = "report_issue"
REPORT_RULES = service_rules.ServiceRules(team="bauhof", next_step="inspection", expected_days=5)


def next_reference(session: Session, year: int) -> str:
    """The next free `AH-YYYY-NNNNNN`, safe under concurrent submissions."""
    table = CaseCounter.__table__  # type: ignore[attr-defined]
    insert_ignore(session, table, {"year": year, "last_value": 0}, conflict=("year",))
    number = session.execute(
        update(table)
        .where(table.c.year == year)
        .values(last_value=table.c.last_value + 1)
        .returning(table.c.last_value)
    ).scalar_one()
    return f"AH-{year}-{number:06d}"


def normalise_reference(value: Any) -> str:
    """`ah 2026 4711` → `AH-2026-004711`, or `invalid_reference`."""
    compact = re.sub(r"[\s./]", "-", str(value or "").strip().upper())
    match = REFERENCE.match(compact.replace("--", "-"))
    if not match:
        raise ActionError("invalid_reference", value=str(value)[:30])
    return f"AH-{match.group(1)}-{int(match.group(2)):06d}"


def _fields(params: dict[str, Any]) -> dict[str, Any]:
    fields = params.get("fields") or {}
    if not isinstance(fields, dict):
        raise invalid("fields", type(fields).__name__)
    try:
        size = len(json.dumps(fields, default=str))
    except (TypeError, ValueError):
        raise invalid("fields", "not JSON") from None
    if size > MAX_FIELDS_BYTES:
        raise invalid("fields", f"{size} bytes")
    return json.loads(json.dumps(fields, default=str))


def _location(params: dict[str, Any]) -> tuple[float, float] | None:
    location = params.get("location")
    if not location:
        return None
    if not isinstance(location, dict):
        raise invalid("location", location)
    lat = as_float(location.get("lat", location.get("latitude")), "location")
    lon = as_float(location.get("lon", location.get("longitude")), "location")
    if not valid_coordinates(lat, lon):
        raise invalid("location", f"{lat},{lon}")
    return lat, lon


def _street_of(ctx: ActionContext, fields: dict[str, Any]) -> places.Street | None:
    """The report's street, checked like an application's (`known_street`)."""
    return service_rules.known_street(ctx, fields, "street") if fields.get("street") else None


def _service_rules(service: str) -> service_rules.ServiceRules:
    """The rules of a service citizens apply for with `cases.submit`, or `unknown_service`."""
    rules = service_rules.rules_for(service)
    if rules is None or not rules.submit:
        raise ActionError("unknown_service", value=service[:50])
    return rules


def _find_duplicate(
    session: Session, category: str, point: tuple[float, float] | None, key: str | None
) -> CityCase | None:
    """An open, unlinked report of `category` within 30 m of `point` or at address `key`."""
    if session.connection().dialect.name == "postgresql":
        # Two identical reports submitted at once must not both become originals.
        session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"report:{category}"}
        )
    query = select(CityCase).where(
        CityCase.service == "report_issue",
        CityCase.category == category,
        col(CityCase.status).in_(OPEN_CASE_STATUSES),
        col(CityCase.linked_to_id).is_(None),
    )
    for case in session.exec(query.order_by(CityCase.id)).all():  # type: ignore[arg-type]
        if key and case.address_key == key:
            return case
        if point and _within(point, case):
            return case
    return None


def _within(point: tuple[float, float], case: CityCase) -> bool:
    """Whether `case` was reported with coordinates within the duplicate radius of `point`."""
    if case.lat is None or case.lon is None:  # typed addresses carry no coordinates
        return False
    return haversine_m(point[0], point[1], case.lat, case.lon) <= DUPLICATE_RADIUS_M


def create_case(
    ctx: ActionContext, service: str, fields: dict[str, Any], **columns: Any
) -> CityCase:
    """Insert a case with its first event; shared by `submit` and the office calendar."""
    now = ctx.now.astimezone(UTC)
    case = CityCase(
        reference=next_reference(ctx.session, ctx.now.year),
        service=service,
        contact_id=ctx.contact_id,
        fields=fields,
        created_at=now,
        updated_at=now,
        **columns,
    )
    ctx.session.add(case)
    ctx.session.flush()
    ctx.session.add(CaseEvent(case_id=case.id, status=case.status, actor="citizen", created_at=now))  # type: ignore[arg-type]
    ctx.session.flush()
    return case


@action("cases.submit", writes=True)
def submit(ctx: ActionContext, params: dict[str, Any]) -> dict[str, Any]:
    """Submit an application or a report; reports near an identical open one are linked.

    params {service, fields, location?: {lat, lon}, category?} → {reference, service,
    status, team, linked, linked_reference, next_step, expected_days, created_at}.
    """
    service = str(required(params, "service")).strip().lower()
    if not SERVICE_ID.match(service):
        raise ActionError("unknown_service", value=service[:50])
    rules = REPORT_RULES if service == REPORT else _service_rules(service)
    fields = _fields(params)
    point = _location(params)
    columns: dict[str, Any] = {}
    original: CityCase | None = None
    if service == REPORT:
        category = str(params.get("category") or fields.get("category") or "").strip().lower()
        if category not in REPORT_CATEGORIES:
            raise ActionError(
                "unknown_category", value=category[:30], known=list(REPORT_CATEGORIES)
            )
        street = _street_of(ctx, fields)
        key = places.address_key(street, str(fields.get("house_number", ""))) if street else None
        if point is None and street is None:
            raise ActionError("location_required")
        original = _find_duplicate(ctx.session, category, point, key)
        columns.update(category=category, address_key=key)
    else:
        service_rules.apply(ctx, rules, fields)
    if point:
        columns.update(lat=point[0], lon=point[1])
    if original is not None:
        columns.update(linked_to_id=original.id, status=original.status)
    case = create_case(ctx, service, fields, **columns)
    return {
        "reference": case.reference,
        "service": service,
        "status": case.status,
        "team": rules.team,
        "linked": original is not None,
        "linked_reference": original.reference if original else None,
        "next_step": "already_reported" if original else rules.next_step,
        "expected_days": rules.expected_days,
        "created_at": ctx.now.isoformat(),
    }


def own_case(ctx: ActionContext, reference: Any) -> CityCase:
    """The contact's case by reference; anyone else's is `not_found`."""
    ref = normalise_reference(reference)
    case = ctx.session.exec(
        select(CityCase).where(CityCase.reference == ref, CityCase.contact_id == ctx.contact_id)
    ).first()
    if case is None:
        raise ActionError("not_found", what="case", reference=ref)
    return case


@action("cases.status", writes=False)
def status(ctx: ActionContext, params: dict[str, Any]) -> dict[str, Any]:
    """Status and history of one's own case; other people's cases do not exist here.

    params {reference} → {reference, service, status, message, updated_at, history:
    [{status, message, at}], linked_reference}.
    """
    case = own_case(ctx, required(params, "reference"))
    events = ctx.session.exec(
        select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)  # type: ignore[arg-type]
    ).all()
    linked = ctx.session.get(CityCase, case.linked_to_id) if case.linked_to_id else None
    tz = ctx.settings.tz
    return {
        "reference": case.reference,
        "service": case.service,
        "status": case.status,
        "message": next((e.message for e in reversed(events) if e.message), None),
        "updated_at": case.updated_at.astimezone(tz).isoformat(),
        "history": [
            {
                "status": e.status,
                "message": e.message,
                "at": e.created_at.astimezone(tz).isoformat(),
            }
            for e in events
        ],
        "linked_reference": linked.reference if linked else None,
    }


@action("cases.my_cases", writes=False)
def my_cases(ctx: ActionContext, params: dict[str, Any]) -> dict[str, Any]:
    """The contact's cases, newest first.

    params {} → {cases: [{reference, service, status, updated_at}]}.
    """
    rows = ctx.session.exec(
        select(CityCase)
        .where(CityCase.contact_id == ctx.contact_id)
        .order_by(col(CityCase.id).desc())
    ).all()
    tz = ctx.settings.tz
    return {
        "cases": [
            {
                "reference": c.reference,
                "service": c.service,
                "status": c.status,
                "updated_at": c.updated_at.astimezone(tz).isoformat(),
            }
            for c in rows
        ]
    }


def set_case_status(
    session: Session,
    reference: str,
    new_status: str,
    message: str | None = None,
    actor: str = "staff",
    now: datetime | None = None,
) -> CityCase:
    """Change a case's status, record the event and notify the citizen, in one transaction.

    Reports linked to this case follow it, and their citizens are told too. Raises
    `ActionError` `invalid_reference`, `not_found` or `unknown_status`.
    """
    if new_status not in CASE_STATUSES:
        raise ActionError("unknown_status", value=new_status[:30], known=list(CASE_STATUSES))
    ref = normalise_reference(reference)
    case = session.exec(select(CityCase).where(CityCase.reference == ref).with_for_update()).first()
    if case is None:
        raise ActionError("not_found", what="case", reference=ref)
    now = now or datetime.now(UTC)
    message = (message or "").strip() or None
    followers = session.exec(select(CityCase).where(CityCase.linked_to_id == case.id)).all()
    for item in [case, *followers]:
        item.status = new_status
        item.updated_at = now
        session.add(item)
        session.add(
            CaseEvent(
                case_id=item.id, status=new_status, message=message, actor=actor, created_at=now
            )
        )  # type: ignore[arg-type]
        contact = session.get(Contact, item.contact_id)
        if contact is not None:
            notify.notify_status(session, contact, item.reference, new_status, message)
    session.flush()
    return case
