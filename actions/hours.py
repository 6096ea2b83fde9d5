"""Opening hours of public places on a given date, with NRW public holidays.

Pure functions over `actions/data/opening_hours.yaml`; the `info.opening_hours` action
and the citizens' office calendar both ask here, so they never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from functools import lru_cache
from typing import Any

from actions import datafiles
from actions.places import fold

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class DayHours:
    """A place's hours on one date; no intervals means closed."""

    place: str
    day: date
    intervals: tuple[tuple[time, time], ...]
    holiday: dict[str, str] | None  # names per language, if a public holiday

    @property
    def is_open(self) -> bool:
        return bool(self.intervals)


def _data() -> dict[str, Any]:
    return datafiles.load("opening_hours")


def _intervals(raw: list[list[str]]) -> tuple[tuple[time, time], ...]:
    return tuple((time.fromisoformat(a), time.fromisoformat(b)) for a, b in raw)


@lru_cache
def aliases() -> dict[str, str]:
    """Every way to name a place (key, alias, names) folded → place key."""
    result: dict[str, str] = {}
    for key, place in _data()["places"].items():
        for name in [
            key,
            key.replace("_", " "),
            *place.get("aliases", []),
            *place["names"].values(),
        ]:
            result[fold(name)] = key
    return result


def place_key(value: str) -> str | None:
    """The place key for what a citizen or a flow calls it; None if unknown."""
    return aliases().get(fold(str(value)))


def holiday(day: date) -> dict[str, str] | None:
    """The public holiday's names on `day`, if it is one."""
    return _data()["holidays"].get(day.isoformat())


def hours_on(key: str, day: date) -> DayHours:
    """Opening hours of place `key` on `day`: exception, else holiday rule, else weekly."""
    place = _data()["places"][key]
    feiertag = holiday(day)
    exception = _data().get("exceptions", {}).get(day.isoformat())
    if exception is not None and (key in exception or "all" in exception):
        raw = exception.get(key, exception.get("all"))
    elif feiertag is not None:
        raw = place.get("open_on_holidays", [])
    else:
        raw = place.get("weekly", {}).get(WEEKDAYS[day.weekday()], [])
    return DayHours(place=key, day=day, intervals=_intervals(raw), holiday=feiertag)


def place_info(key: str) -> dict[str, Any]:
    """Names and address of a place."""
    place = _data()["places"][key]
    return {"place": key, "names": place["names"], "address": place.get("address")}


def place_keys() -> list[str]:
    """All known places."""
    return list(_data()["places"])


def appointment_rules() -> dict[str, int]:
    """Slot length and desks of the citizens' office calendar."""
    return dict(_data()["places"]["citizens_office"]["appointments"])
