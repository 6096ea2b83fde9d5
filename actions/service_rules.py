"""What `cases.submit` checks per city service, handed in from the services' YAML files.

A service's rules live in the `rules:` of its `service:` block (one file per service);
the wiring (`bot/runtime.py`) registers them here when it builds the engine, so actions
know services without importing flows, and no Python names a service:

    rules:
      team: ordnungsamt                 # who works on its cases (default buergerbuero)
      required: [licence_plate]         # fields that must be given
      checks: {licence_plate: licence_plate, street: known_street}   # field → check
      next_step: permit_by_post         # what happens next (a code the flows phrase)
      expected_days: 10                 # typical days to decide
      submit: false                     # not a case of its own (booked elsewhere)

Checks (run in the order written, on fields that are given): `known_street` (a street of
Ahaus; sets its proper name and district), `licence_plate` (a German plate, upper-cased),
`item_count` (at most the bulky waste item limit), `pickup_day` (a pickup day of the
street's district; needs `known_street` before it).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from actions import places, waste
from actions.params import as_date
from actions.registry import ActionContext, ActionError

# German licence plate: district code, letters, number, optional E (electric) / H (historic).
PLATE = re.compile(r"^[A-ZÄÖÜ]{1,3}[- ]?[A-Z]{1,2}[- ]?[1-9]\d{0,3}[EH]?$")
RULE_KEYS = {"team", "required", "checks", "next_step", "expected_days", "submit"}


@dataclass(frozen=True)
class ServiceRules:
    """One service's rules, as written in its YAML file."""

    team: str = "buergerbuero"
    required: tuple[str, ...] = ()
    checks: tuple[tuple[str, str], ...] = ()  # (field, check name), in order
    next_step: str = "review"
    expected_days: int = 14
    submit: bool = True


_SERVICES: dict[str, ServiceRules] = {}


def register(catalogue: Mapping[str, Mapping[str, Any]]) -> None:
    """Make `catalogue` (service name → rules) the known services; replaces earlier ones.

    Raises `ValueError` naming the service and the key for a rule the backend cannot apply,
    so a typo in a service file stops the start, not a citizen's application.
    """
    parsed = {name: _parse(name, dict(rules)) for name, rules in catalogue.items()}
    _SERVICES.clear()
    _SERVICES.update(parsed)


def rules_for(service: str) -> ServiceRules | None:
    """The rules of a registered service, or None."""
    return _SERVICES.get(service)


def _parse(name: str, raw: dict[str, Any]) -> ServiceRules:
    unknown = set(raw) - RULE_KEYS
    if unknown:
        raise ValueError(
            f"service {name!r}: unknown rule(s) {sorted(unknown)}; known: {sorted(RULE_KEYS)}"
        )
    checks = raw.get("checks") or {}
    bad = {check for check in checks.values() if check not in CHECKS}
    if not isinstance(checks, dict) or bad:
        raise ValueError(
            f"service {name!r}: unknown check(s) {sorted(bad)}; known: {sorted(CHECKS)}"
        )
    required = raw.get("required") or []
    if not isinstance(required, list):
        raise ValueError(f"service {name!r}: required must be a list of fields, got {required!r}")
    try:
        expected_days = int(raw.get("expected_days", 14))
    except (TypeError, ValueError):
        raise ValueError(
            f"service {name!r}: expected_days must be a number, got {raw['expected_days']!r}"
        ) from None
    return ServiceRules(
        team=str(raw.get("team") or "buergerbuero"),
        required=tuple(str(field) for field in required),
        checks=tuple((str(field), str(check)) for field, check in checks.items()),
        next_step=str(raw.get("next_step") or "review"),
        expected_days=expected_days,
        submit=bool(raw.get("submit", True)),
    )


def apply(ctx: ActionContext, rules: ServiceRules, fields: dict[str, Any]) -> None:
    """Check (and normalise) an application's `fields` by its service's rules."""
    for field in rules.required:
        if fields.get(field) in (None, "", []):
            raise ActionError("missing_param", param=f"fields.{field}")
    for field, check in rules.checks:
        if fields.get(field) not in (None, "", []):
            CHECKS[check](ctx, fields, field)


def known_street(ctx: ActionContext, fields: dict[str, Any], field: str) -> places.Street:
    """A street of Ahaus: stored under its proper name, with its district."""
    street = places.find_street(str(fields[field]))
    if street is None:
        raise ActionError("unknown_street", value=str(fields[field])[:60])
    fields[field] = street.name
    fields["district"] = street.district
    return street


def licence_plate(ctx: ActionContext, fields: dict[str, Any], field: str) -> None:
    plate = str(fields[field]).strip().upper()
    if not PLATE.match(plate):
        raise ActionError("invalid_plate", value=plate[:20])
    fields[field] = plate


def item_count(ctx: ActionContext, fields: dict[str, Any], field: str) -> None:
    items = fields[field]
    count = len(items) if isinstance(items, list) else len(str(items).split(","))
    if count > waste.max_items():
        raise ActionError("too_many_items", max_items=waste.max_items())


def pickup_day(ctx: ActionContext, fields: dict[str, Any], field: str) -> None:
    district = fields.get("district")
    if not district:
        raise ActionError("missing_param", param="fields.street")
    wanted = as_date(fields[field], field)
    dates = waste.pickup_days(str(district), ctx.now.date())
    if wanted not in dates:
        raise ActionError("not_a_pickup_day", dates=[d.isoformat() for d in dates])
    fields[field] = wanted.isoformat()


CHECKS: dict[str, Callable[[ActionContext, dict[str, Any], str], Any]] = {
    "known_street": known_street,
    "licence_plate": licence_plate,
    "item_count": item_count,
    "pickup_day": pickup_day,
}
