"""What the city learns from its chats, in aggregates only: no person appears here.

Counts per day and channel, the intents citizens come with, how many conversations the
bot finished without staff (containment), how often it did not understand (fallbacks),
how long citizens waited for a person and how they rated the help. Every number is a
count or an average over many conversations; nothing returned names a contact, a text
or an id, so the page and its CSV can go to anyone in the city administration.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from statistics import median
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlmodel import Session

from bot.core.models import Message
from bot.staff_tables import ChatRating, Handoff


@dataclass
class Report:
    """The aggregates of one period, [start, end) in the city's days."""

    start: date
    end: date
    per_day: dict[date, dict[str, int]] = field(default_factory=dict)  # day → channel → in
    outbound: int = 0
    inbound: int = 0
    top_intents: list[tuple[str, int]] = field(default_factory=list)
    fallbacks: int = 0
    conversations: int = 0
    handed_to_staff: int = 0
    wait_median_minutes: float | None = None
    wait_p90_minutes: float | None = None
    ratings: dict[str, tuple[float, int]] = field(default_factory=dict)  # team → (avg, n)

    @property
    def fallback_rate(self) -> float:
        return self.fallbacks / self.inbound if self.inbound else 0.0

    @property
    def containment_rate(self) -> float:
        """Share of conversations with citizen messages that no person had to take."""
        if not self.conversations:
            return 0.0
        return 1 - self.handed_to_staff / self.conversations

    @property
    def channels(self) -> list[str]:
        return sorted({c for counts in self.per_day.values() for c in counts})


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo("UTC"))


def build_report(session: Session, start: date, end: date, tz: ZoneInfo) -> Report:
    """Aggregate [start, end) in the city's time zone `tz`."""
    since = datetime(start.year, start.month, start.day, tzinfo=tz)
    until = datetime(end.year, end.month, end.day, tzinfo=tz)
    report = Report(start=start, end=end)
    in_period = (Message.created_at >= since, Message.created_at < until)  # type: ignore[operator]

    per_day: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    rows = session.execute(
        select(Message.created_at, Message.channel, Message.direction).where(*in_period)
    )
    for created_at, channel, direction in rows:
        if direction == "in":
            per_day[_aware(created_at).astimezone(tz).date()][channel] += 1
            report.inbound += 1
        else:
            report.outbound += 1
    day = start
    while day < end:  # every day of the period, also the quiet ones
        report.per_day[day] = dict(per_day.get(day, {}))
        day += timedelta(days=1)

    intent = Message.data["parse"]["intent"]["name"].as_string()  # type: ignore[index]
    inbound = (*in_period, Message.direction == "in")
    report.top_intents = [
        (name, count)
        for name, count in session.execute(
            select(intent, func.count()).where(*inbound, intent.is_not(None))
            .group_by(intent).order_by(func.count().desc()).limit(10)
        )
    ]
    fallback = Message.data["fallback"].as_boolean()  # type: ignore[index]
    report.fallbacks = session.execute(
        select(func.count()).where(*inbound, fallback.is_(True))
    ).scalar_one()
    report.conversations = session.execute(
        select(func.count(func.distinct(Message.conversation_id))).where(*inbound)
    ).scalar_one()
    handoff_period = (Handoff.created_at >= since, Handoff.created_at < until)  # type: ignore[operator]
    report.handed_to_staff = session.execute(
        select(func.count(func.distinct(Handoff.conversation_id))).where(*handoff_period)
    ).scalar_one()
    waits = sorted(
        (_aware(claimed) - _aware(created)).total_seconds() / 60
        for created, claimed in session.execute(
            select(Handoff.created_at, Handoff.claimed_at).where(
                *handoff_period, Handoff.claimed_at.is_not(None)  # type: ignore[union-attr]
            )
        )
    )
    if waits:
        report.wait_median_minutes = round(median(waits), 1)
        report.wait_p90_minutes = round(waits[min(len(waits) - 1, int(0.9 * len(waits)))], 1)
    rating_period = (ChatRating.created_at >= since, ChatRating.created_at < until)  # type: ignore[operator]
    report.ratings = {
        team: (round(float(average), 2), count)
        for team, average, count in session.execute(
            select(ChatRating.team, func.avg(ChatRating.score), func.count())
            .where(*rating_period).group_by(ChatRating.team)
        )
    }
    return report


def daily_csv_rows(report: Report) -> list[list[str]]:
    """`day, channel, inbound messages` for every day and channel of the report."""
    rows = [["day", "channel", "inbound_messages"]]
    for day, counts in report.per_day.items():
        for channel in report.channels:
            rows.append([day.isoformat(), channel, str(counts.get(channel, 0))])
    return rows
