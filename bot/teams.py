"""The teams that take chats over from the bot: routing, office hours, canned answers.

Read from `bot/teams.yaml` (or the file in TEAMS_FILE) once per process. Everything
here is pure: which team a handoff goes to, whether a team is in office at a moment,
and when it next opens. Public holidays come from the city's calendar
(`actions.hours`), so the bot never promises an answer on Christmas Day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from actions import hours

DEFAULT_FILE = Path(__file__).resolve().parent / "teams.yaml"
WEEKDAYS = hours.WEEKDAYS
LOOKAHEAD_DAYS = 21  # how far ahead to look for the next office hour


class TeamsConfigError(ValueError):
    """The teams file is wrong; the message names the file and the key."""


@dataclass(frozen=True)
class Team:
    """One team: who is in it, what it handles and when it is in office."""

    key: str
    names: dict[str, str]
    members: tuple[str, ...] = ()
    flows: frozenset[str] = frozenset()
    intents: frozenset[str] = frozenset()
    escalate: frozenset[str] = frozenset()
    place: str | None = None
    weekly: dict[str, tuple[tuple[time, time], ...]] = field(default_factory=dict)
    minutes_per_chat: int = 5
    auto_assign: bool = False
    capacity: int = 3

    def name(self, lang: str) -> str:
        return self.names.get(lang) or self.names.get("de") or self.key

    def intervals_on(self, day: date) -> tuple[tuple[time, time], ...]:
        """The team's office hours on `day` (none on public holidays unless its place opens)."""
        if self.place is not None:
            return hours.hours_on(self.place, day).intervals
        if hours.holiday(day) is not None:
            return ()
        return self.weekly.get(WEEKDAYS[day.weekday()], ())

    def in_office(self, moment: datetime) -> bool:
        """True while `moment` (local time) is inside an office interval."""
        now = moment.time()
        return any(a <= now < b for a, b in self.intervals_on(moment.date()))

    def next_opening(self, moment: datetime) -> datetime | None:
        """The next start of an office interval after `moment` (local, naive wall time)."""
        for offset in range(LOOKAHEAD_DAYS):
            day = moment.date() + timedelta(days=offset)
            for start, _end in self.intervals_on(day):
                at = datetime.combine(day, start, tzinfo=moment.tzinfo)
                if at > moment:
                    return at
        return None


@dataclass(frozen=True)
class Teams:
    """All teams of the city and the rules between them."""

    teams: dict[str, Team]
    default: str
    back_to_bot: frozenset[str]
    canned: tuple[dict[str, Any], ...] = ()
    window_template: dict[str, str] = field(default_factory=dict)

    def get(self, key: str | None) -> Team:
        return self.teams.get(key or "", self.teams[self.default])

    def route(self, flow: str | None, intent: str | None) -> Team:
        """The team for a handoff about `flow` (first choice) or `intent`."""
        for team in self.teams.values():
            if flow and flow in team.flows:
                return team
        for team in self.teams.values():
            if intent and (intent in team.intents or intent in team.escalate):
                return team
        return self.teams[self.default]

    @property
    def escalate_intents(self) -> frozenset[str]:
        """Intents configured to go straight to a person."""
        return frozenset().union(*(t.escalate for t in self.teams.values()))

    def is_back_to_bot(self, text: str) -> bool:
        """True when the whole message asks to talk to the bot again ("zurück zum Bot!")."""
        cleaned = " ".join(text.lower().strip(" .!?\"'„“").split())
        return cleaned in self.back_to_bot

    def canned_for(self, lang: str) -> list[dict[str, str]]:
        """Canned answers for a citizen writing in `lang` (German where a text is missing)."""
        return [
            {"title": c["title"], "text": c["texts"].get(lang) or c["texts"]["de"]}
            for c in self.canned
        ]


def _times(path: Path, where: str, raw: Any) -> tuple[tuple[time, time], ...]:
    try:
        return tuple((time.fromisoformat(a), time.fromisoformat(b)) for a, b in raw or [])
    except (TypeError, ValueError) as exc:
        raise TeamsConfigError(f'{path}: {where}: intervals like [["08:00", "12:30"]]') from exc


def _team(path: Path, key: str, raw: dict[str, Any]) -> Team:
    where = f"teams.{key}"
    if not isinstance(raw, dict) or not isinstance(raw.get("names"), dict):
        raise TeamsConfigError(f"{path}: {where}: needs `names` per language")
    place = raw.get("place")
    if place is not None and place not in hours.place_keys():
        raise TeamsConfigError(f"{path}: {where}.place: unknown place {place!r}")
    weekly = raw.get("weekly") or {}
    bad = [d for d in weekly if d not in WEEKDAYS]
    if bad:
        raise TeamsConfigError(f"{path}: {where}.weekly: unknown day {bad[0]!r}")
    if place is None and not weekly:
        raise TeamsConfigError(f"{path}: {where}: needs `place` or `weekly` office hours")
    return Team(
        key=key,
        names={str(k): str(v) for k, v in raw["names"].items()},
        members=tuple(str(m).lower() for m in raw.get("members") or []),
        flows=frozenset(raw.get("flows") or []),
        intents=frozenset(raw.get("intents") or []),
        escalate=frozenset(raw.get("escalate") or []),
        place=place,
        weekly={d: _times(path, f"{where}.weekly.{d}", v) for d, v in weekly.items()},
        minutes_per_chat=int(raw.get("minutes_per_chat", 5)),
        auto_assign=bool(raw.get("auto_assign", False)),
        capacity=int(raw.get("capacity", 3)),
    )


def load_teams(path: Path | str | None = None) -> Teams:
    """Read and check a teams file; mistakes name the file and the key."""
    path = Path(path) if path else DEFAULT_FILE
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise TeamsConfigError(f"cannot read teams file {path}: {exc}") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("teams"), dict) or not raw["teams"]:
        raise TeamsConfigError(f"{path}: needs a mapping `teams` with at least one team")
    teams = {str(k): _team(path, str(k), v) for k, v in raw["teams"].items()}
    default = str(raw.get("default") or next(iter(teams)))
    if default not in teams:
        raise TeamsConfigError(f"{path}: default: unknown team {default!r}")
    return Teams(
        teams=teams,
        default=default,
        back_to_bot=frozenset(" ".join(str(p).lower().split()) for p in raw.get("back_to_bot", [])),
        canned=tuple(raw.get("canned") or ()),
        window_template={str(k): str(v) for k, v in (raw.get("window_template") or {}).items()},
    )


@lru_cache
def get_teams(path: str = "") -> Teams:
    """The process-wide teams (cached per file)."""
    return load_teams(path or None)
