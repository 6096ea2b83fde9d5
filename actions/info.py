"""Information answers: opening hours, events, parking, weather. Structured data only;
the flows phrase it in the citizen's language (titles come in `ctx.language` as well).

Actions (params → result keys; times local ISO 8601):

- `info.places` {} → {places: [{place, names, address}]}
- `info.opening_hours` {place, date?} → {place, names, address, date, weekday, open,
  intervals: [{from, to}], holiday: {de, en, nl} | None, next_open: {date, intervals} | None}
- `info.events` {from?, to?} → {from, to, events: [{id, title, titles, start, end, place,
  description}]} (default: today and the next 7 days; at most 31 days)
- `info.parking` {} → {garages: [{id, name, address, capacity, free, lat, lon}], total_free,
  at}
- `info.weather` {date?} → {date, condition, temp_min_c, temp_max_c, precipitation_mm,
  wind_kmh}

Error codes: missing_param, invalid_param, unknown_place (details: known),
date_out_of_range.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime, time, timedelta
from typing import Any

from actions import datafiles, hours, providers
from actions.params import as_date, required
from actions.registry import ActionContext, ActionError, action

MAX_EVENT_DAYS = 31
WEATHER_DAYS = 7


def _intervals(day_hours: hours.DayHours) -> list[dict[str, str]]:
    return [
        {"from": a.strftime("%H:%M"), "to": b.strftime("%H:%M")} for a, b in day_hours.intervals
    ]


@action("info.places", writes=False)
def places(ctx: ActionContext, params: dict[str, Any]) -> dict[str, Any]:
    """Places with opening hours.

    params {} → {places: [{place, names, address}]}.
    """
    return {"places": [hours.place_info(key) for key in hours.place_keys()]}


@action("info.opening_hours", writes=False)
def opening_hours(ctx: ActionContext, params: dict[str, Any]) -> dict[str, Any]:
    """Is a place open on a date, and when; if closed, the next open day.

    params {place, date?} → {place, names, address, date, weekday, open, intervals,
    holiday, next_open}.
    """
    key = hours.place_key(str(required(params, "place")))
    if key is None:
        raise ActionError(
            "unknown_place", value=str(params["place"])[:40], known=hours.place_keys()
        )
    day = as_date(params["date"]) if params.get("date") else ctx.now.date()
    today = hours.hours_on(key, day)
    next_open = None
    if not today.is_open:
        for offset in range(1, 15):
            later = hours.hours_on(key, day + timedelta(days=offset))
            if later.is_open:
                next_open = {"date": later.day.isoformat(), "intervals": _intervals(later)}
                break
    return {
        **hours.place_info(key),
        "date": day.isoformat(),
        "weekday": hours.WEEKDAYS[day.weekday()],
        "open": today.is_open,
        "intervals": _intervals(today),
        "holiday": today.holiday,
        "next_open": next_open,
    }


def _localised(value: Any, language: str) -> str | None:
    if isinstance(value, dict):
        return value.get(language) or value.get("de")
    return value


def _occurrences(
    item: dict[str, Any], first: date, last: date, tz: Any
) -> list[tuple[datetime, datetime]]:
    """Start and end of each occurrence of an event between two dates (inclusive)."""
    if "weekly" in item:
        start_t, end_t = (time.fromisoformat(t) for t in item["time"])
        weekday = hours.WEEKDAYS.index(item["weekly"])
        result = []
        day = first + timedelta(days=(weekday - first.weekday()) % 7)
        while day <= last:
            result.append(
                (datetime.combine(day, start_t, tzinfo=tz), datetime.combine(day, end_t, tzinfo=tz))
            )
            day += timedelta(days=7)
        return result
    start = datetime.fromisoformat(item["start"]).replace(tzinfo=tz)
    end = datetime.fromisoformat(item["end"]).replace(tzinfo=tz)
    overlaps = start.date() <= last and end.date() >= first
    return [(start, end)] if overlaps else []


@action("info.events", writes=False)
def events(ctx: ActionContext, params: dict[str, Any]) -> dict[str, Any]:
    """Events between two dates (inclusive), sorted by start.

    params {from?, to?} → {from, to, events: [{id, title, titles, start, end, place,
    description}]}.
    """
    first = as_date(params["from"], "from") if params.get("from") else ctx.now.date()
    last = as_date(params["to"], "to") if params.get("to") else first + timedelta(days=7)
    if last < first or (last - first).days > MAX_EVENT_DAYS:
        raise ActionError("date_out_of_range", max_days=MAX_EVENT_DAYS)
    tz = ctx.settings.tz
    found = []
    for item in datafiles.load("events")["events"]:
        for start, end in _occurrences(item, first, last, tz):
            found.append(
                {
                    "id": item["id"],
                    "title": _localised(item["title"], ctx.language),
                    "titles": item["title"],
                    "start": start.isoformat(),
                    "end": end.isoformat(),
                    "place": item.get("place"),
                    "description": _localised(item.get("description"), ctx.language),
                }
            )
    found.sort(key=lambda e: e["start"])
    return {"from": first.isoformat(), "to": last.isoformat(), "events": found}


@action("info.parking", writes=False)
def parking(ctx: ActionContext, params: dict[str, Any]) -> dict[str, Any]:
    """Free spaces in the parking garages now.

    params {} → {garages: [{id, name, address, capacity, free, lat, lon}], total_free, at}.
    """
    garages = providers.parking_provider(ctx.settings).garages(ctx.now)
    return {
        "garages": [asdict(g) for g in garages],
        "total_free": sum(g.free for g in garages),
        "at": ctx.now.isoformat(),
    }


@action("info.weather", writes=False)
def weather(ctx: ActionContext, params: dict[str, Any]) -> dict[str, Any]:
    """The forecast for today or a day in the coming week.

    params {date?} → {date, condition, temp_min_c, temp_max_c, precipitation_mm, wind_kmh}.
    """
    day = as_date(params["date"]) if params.get("date") else ctx.now.date()
    if not 0 <= (day - ctx.now.date()).days < WEATHER_DAYS:
        raise ActionError("date_out_of_range", max_days=WEATHER_DAYS)
    forecast = providers.weather_provider(ctx.settings).forecast(day, ctx.now)
    result = asdict(forecast)
    result["date"] = result.pop("day").isoformat()
    return result
