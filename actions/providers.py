"""Live information from outside the city hall: parking garages and weather.

Each is a `Protocol`; the offline demo providers compute deterministic values from the
date and time (no network, same answer in every test). A real provider is plugged in by
setting `PARKING_PROVIDER` / `WEATHER_PROVIDER` to `package.module:ClassName` (a class
with a no-argument constructor); `demo` is the default.
"""

from __future__ import annotations

import hashlib
import importlib
import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from actions import datafiles
from bot.core.settings import Settings


@dataclass(frozen=True)
class GarageStatus:
    """Free spaces in one garage at one moment."""

    id: str
    name: str
    address: str
    capacity: int
    free: int
    lat: float
    lon: float


@dataclass(frozen=True)
class Weather:
    """The forecast for one day in the city."""

    day: date
    condition: str  # sunny / partly_cloudy / cloudy / rain / showers / snow / fog
    temp_min_c: int
    temp_max_c: int
    precipitation_mm: float
    wind_kmh: int


class ParkingProvider(Protocol):
    """Where parking data comes from."""

    def garages(self, now: datetime) -> list[GarageStatus]: ...


class WeatherProvider(Protocol):
    """Where the forecast comes from."""

    def forecast(self, day: date, now: datetime) -> Weather: ...


def _unit(*parts: Any) -> float:
    """A stable pseudo-random number in [0, 1) for the given parts."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


class DemoParking:
    """Occupancy that follows a typical day: quiet at night, full around noon on Saturdays."""

    def garages(self, now: datetime) -> list[GarageStatus]:
        hour = now.hour + now.minute / 60
        busy = (
            0.15 + 0.65 * max(0.0, math.sin(math.pi * (hour - 7) / 13)) if 7 <= hour <= 20 else 0.1
        )
        if now.weekday() == 5:
            busy = min(0.97, busy + 0.2)
        result = []
        for item in datafiles.load("parking")["garages"]:
            jitter = (_unit(item["id"], now.date(), now.hour) - 0.5) * 0.1
            occupied = round(item["capacity"] * min(1.0, max(0.0, busy + jitter)))
            result.append(GarageStatus(free=item["capacity"] - occupied, **item))
        return result


CONDITIONS = ("sunny", "partly_cloudy", "cloudy", "showers", "rain", "fog")


class DemoWeather:
    """Münsterland-like weather by season, the same for the same date every time."""

    def forecast(self, day: date, now: datetime) -> Weather:
        season = math.cos(2 * math.pi * (day.timetuple().tm_yday - 200) / 365)  # 1 in July
        base = 10 + 9 * season
        roll = _unit("weather", day)
        condition = CONDITIONS[int(roll * len(CONDITIONS))]
        if condition in {"rain", "showers"} and base < 2:
            condition = "snow"
        wet = condition in {"rain", "showers", "snow"}
        return Weather(
            day=day,
            condition=condition,
            temp_min_c=round(base - 4 - 3 * _unit("min", day)),
            temp_max_c=round(base + 3 + 5 * _unit("max", day) - (2 if wet else 0)),
            precipitation_mm=round(8 * _unit("rain", day), 1) if wet else 0.0,
            wind_kmh=round(5 + 30 * _unit("wind", day)),
        )


def _load(spec: str, demo: type) -> Any:
    if spec in {"", "demo"}:
        return demo()
    module, _, name = spec.partition(":")
    try:
        return getattr(importlib.import_module(module), name)()
    except (ImportError, AttributeError, ValueError) as exc:
        raise RuntimeError(f"provider {spec!r} cannot be loaded: {exc}") from exc


def parking_provider(settings: Settings) -> ParkingProvider:
    """The configured parking provider (PARKING_PROVIDER)."""
    return _load(settings.parking_provider, DemoParking)  # type: ignore[no-any-return]


def weather_provider(settings: Settings) -> WeatherProvider:
    """The configured weather provider (WEATHER_PROVIDER)."""
    return _load(settings.weather_provider, DemoWeather)  # type: ignore[no-any-return]
