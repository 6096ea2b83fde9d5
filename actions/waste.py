"""Bulky waste pickup days per district (`actions/data/bulky_waste.yaml`).

Action: `waste.pickup_days` {street | district, count?} → {district, dates: [ISO dates]}.
Error codes: missing_param, unknown_street, unknown_district.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from actions import datafiles, places
from actions.hours import WEEKDAYS, holiday
from actions.params import as_int
from actions.registry import ActionContext, ActionError, action

DEFAULT_COUNT = 4


def max_items() -> int:
    """How many items one pickup may take."""
    return int(datafiles.load("bulky_waste")["max_items"])


def pickup_days(district: str, since: date, count: int = DEFAULT_COUNT) -> list[date]:
    """The district's next `count` pickup days after `since` (holidays skipped)."""
    rule = datafiles.load("bulky_waste")["districts"].get(district)
    if rule is None:
        raise ActionError("unknown_district", value=district[:40], known=list(places.districts()))
    anchor = date.fromisoformat(rule["anchor"])
    step = timedelta(weeks=int(rule["every_weeks"]))
    assert WEEKDAYS[anchor.weekday()] == rule["weekday"], (
        f"anchor of {district} is no {rule['weekday']}"
    )
    day = anchor + step * max(0, (since - anchor) // step)
    result: list[date] = []
    while len(result) < count:
        if day > since and holiday(day) is None:
            result.append(day)
        day += step
    return result


@action("waste.pickup_days", writes=False)
def pickup_days_action(ctx: ActionContext, params: dict[str, Any]) -> dict[str, Any]:
    """Next bulky waste pickup days for an address's street or a district.

    params {street | district, count?} → {district, dates}.
    """
    if params.get("street"):
        street = places.find_street(str(params["street"]))
        if street is None:
            raise ActionError("unknown_street", value=str(params["street"])[:60])
        district = street.district
    elif params.get("district"):
        wanted = places.fold(str(params["district"]))
        district = next((d for d in places.districts() if places.fold(d) == wanted), wanted)
    else:
        raise ActionError("missing_param", param="street")
    count = max(1, min(as_int(params.get("count") or DEFAULT_COUNT, "count"), 12))
    dates = pickup_days(district, ctx.now.date(), count)
    return {"district": district, "dates": [d.isoformat() for d in dates]}
