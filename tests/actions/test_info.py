"""Information: opening hours with holidays, events, parking and weather providers."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from actions import providers
from actions.registry import ActionError


def _error(call, *args, **kwargs) -> ActionError:
    with pytest.raises(ActionError) as err:
        call(*args, **kwargs)
    return err.value


def test_recycling_yard_on_saturday(call, new_contact):
    result = call("info.opening_hours", new_contact(), place="Wertstoffhof", date="2027-06-05")
    assert result["place"] == "recycling_yard" and result["weekday"] == "sat"
    assert result["open"] is True and result["intervals"] == [{"from": "09:00", "to": "14:00"}]


def test_citizens_office_saturday_and_aliases(call, new_contact):
    me = new_contact()
    for name in ("Bürgerbüro", "buergerbuero", "citizens office", "Burgerbureau"):
        result = call("info.opening_hours", me, place=name, date="2027-06-05")
        assert result["place"] == "citizens_office" and result["open"] is True


def test_holiday_closes_and_names_next_open_day(call, new_contact):
    result = call("info.opening_hours", new_contact(), place="rathaus", date="2026-12-25")
    assert result["open"] is False and result["holiday"]["de"] == "1. Weihnachtstag"
    assert result["next_open"]["date"] == "2026-12-28"


def test_pool_opens_on_holidays_but_not_christmas_eve(call, new_contact):
    me = new_contact()
    assert call("info.opening_hours", me, place="pool", date="2027-05-06")["open"] is True
    assert call("info.opening_hours", me, place="Hallenbad", date="2026-12-24")["open"] is False
    short = call("info.opening_hours", me, place="library", date="2026-12-24")
    assert short["intervals"] == [{"from": "08:00", "to": "12:00"}]


def test_unknown_place(call, new_contact):
    err = _error(call, "info.opening_hours", new_contact(), place="Mond")
    assert err.code == "unknown_place" and "town_hall" in err.details["known"]


def test_events_in_range_with_weekly_ones(call, new_contact, now):
    result = call("info.events", new_contact(), **{"from": "2026-12-05", "to": "2026-12-06"})
    ids = [e["id"] for e in result["events"]]
    assert ids == ["weihnachtsmarkt-2026", "wochenmarkt", "adventskonzert-2026"]
    assert result["events"][2]["title"] == "Adventskonzert im Schloss"


@pytest.mark.parametrize(
    "params",
    [{"from": "2027-06-10", "to": "2027-06-01"}, {"from": "2027-01-01", "to": "2027-12-31"}],
)
def test_event_range_errors(call, new_contact, params):
    assert _error(call, "info.events", new_contact(), **params).code == "date_out_of_range"


def test_parking_is_deterministic(call, new_contact):
    me = new_contact()
    first, second = call("info.parking", me), call("info.parking", me)
    assert first == second and len(first["garages"]) == 4
    assert all(0 <= g["free"] <= g["capacity"] for g in first["garages"])


def test_weather_demo_and_range(call, new_contact):
    me = new_contact()
    today = call("info.weather", me)
    assert today["date"] == "2027-06-01" and today["condition"] in (*providers.CONDITIONS, "snow")
    assert today["temp_min_c"] <= today["temp_max_c"]
    assert _error(call, "info.weather", me, date="2027-07-01").code == "date_out_of_range"


class FixedWeather:
    """A stand-in for a real provider, loaded by its import path."""

    def forecast(self, day: date, now: datetime) -> providers.Weather:
        return providers.Weather(day, "sunny", 20, 30, 0.0, 5)


def test_provider_selected_by_setting(settings):
    fixed = settings.model_copy(update={"weather_provider": f"{__name__}:FixedWeather"})
    chosen = providers.weather_provider(fixed)
    assert chosen.forecast(date(2027, 6, 1), datetime(2027, 6, 1)).temp_max_c == 30
    missing = settings.model_copy(update={"weather_provider": "nowhere:Nothing"})
    with pytest.raises(RuntimeError, match="nowhere:Nothing"):
        providers.weather_provider(missing)
