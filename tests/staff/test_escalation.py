"""Escalation: the right team, the right promise, silence while with staff, back to the bot."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from bot.core.db import transaction
from bot.core.messages import InboundMessage
from bot.core.models import Conversation
from bot.engine import Engine
from bot.inbox import mark_online
from bot.staff import add_user
from bot.staff_tables import Handoff, StaffAudit
from bot.teams import DEFAULT_FILE, TeamsConfigError, load_teams
from flows.dialogue import Dialogue
from tests.support import keyword_engine, keyword_nlu

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY_10 = datetime(2026, 12, 7, 10, 0, tzinfo=BERLIN)
SATURDAY_13 = datetime(2026, 12, 5, 13, 0, tzinfo=BERLIN)
CHRISTMAS_EVE_13 = datetime(2026, 12, 24, 13, 0, tzinfo=BERLIN)


def say(
    engine: Engine, text: str, sender: str = "+4915100000001", at: datetime = MONDAY_10, **kw: Any
) -> list[str]:
    handled = engine.handle(
        InboundMessage(channel="twilio", sender_id=sender, text=text, received_at=at, **kw)
    )
    return [r.reply.text for r in handled.replies]


def handoffs(engine: Engine) -> list[Handoff]:
    with Session(engine.db) as session:
        return list(session.exec(select(Handoff).order_by(Handoff.id)).all())


def test_asking_for_a_person_in_office_hours_gives_queue_position_and_wait(
    sqlite_url: str, settings_for
) -> None:
    engine = keyword_engine(settings_for(sqlite_url))
    first = say(engine, "Mitarbeiter bitte")
    assert first[0].startswith("Ich verbinde Sie")
    assert "Team Bürgerbüro" in first[1] and "Nr. 1 in der Warteschlange" in first[1]
    assert "etwa 6 Minuten" in first[1]
    second = say(engine, "Einen Mitarbeiter bitte", sender="+4915100000002")
    assert "Nr. 2 in der Warteschlange" in second[1] and "etwa 12 Minuten" in second[1]
    rows = handoffs(engine)
    assert [(h.team, h.status, h.reason) for h in rows] == [
        ("buergerbuero", "waiting", "citizen_asked")
    ] * 2
    assert "Mitarbeiter" not in " ".join(say(engine, "Mitarbeiter!!"))  # no second promise
    assert len(handoffs(engine)) == 2


@pytest.mark.parametrize(
    ("at", "promise"),
    [
        (SATURDAY_13, "Wir antworten Ihnen am Mo, 07.12.2026 ab 08:00 Uhr"),
        (datetime(2026, 12, 7, 7, 0, tzinfo=BERLIN), "Wir antworten Ihnen heute ab 08:00 Uhr"),
        (datetime(2026, 12, 7, 19, 0, tzinfo=BERLIN), "Wir antworten Ihnen morgen ab 08:00 Uhr"),
        # 24 Dec closes at noon, 25 and 26 Dec are holidays, 27 is a Sunday.
        (CHRISTMAS_EVE_13, "Wir antworten Ihnen am Mo, 28.12.2026 ab 08:00 Uhr"),
    ],
)
def test_outside_office_hours_the_citizen_is_told_when_the_team_answers(
    sqlite_url: str, settings_for, at: datetime, promise: str
) -> None:
    engine = keyword_engine(settings_for(sqlite_url))
    texts = say(engine, "Mitarbeiter", at=at)
    assert "nicht im Dienst" in texts[1] and promise in texts[1]
    assert "weiterschreiben" in texts[1]


def test_promise_in_english_and_dutch(sqlite_url: str, settings_for) -> None:
    engine = keyword_engine(settings_for(sqlite_url))
    en = say(engine, "Mitarbeiter", sender="+441", at=SATURDAY_13, language_hint="en")
    assert "We will answer on Mon 7 Dec 2026 from 08:00" in en[1]
    nl = say(engine, "Mitarbeiter", sender="+311", language_hint="nl")
    assert "U bent nummer 2 in de wachtrij" in nl[1] and "het burgerbureau" in nl[1]


def test_bot_is_silent_with_staff_until_the_citizen_asks_for_the_bot(
    sqlite_url: str, settings_for
) -> None:
    engine = keyword_engine(settings_for(sqlite_url))
    say(engine, "Mitarbeiter")
    assert say(engine, "Hallo?") == []
    assert say(engine, "Hilfe") == []
    assert say(engine, "Zurück zum Bot!") == [
        "Sie sprechen wieder mit dem Stadtbot. Womit kann ich helfen?"
    ]
    [handoff] = handoffs(engine)
    assert (handoff.status, handoff.outcome) == ("closed", "citizen")
    assert "Stadtbot" in say(engine, "Hallo")[0]
    with Session(engine.db) as session:
        assert session.exec(select(Conversation)).one().mode == "bot"
        actions = [a.action for a in session.exec(select(StaffAudit).order_by(StaffAudit.id))]
    assert actions == ["escalate", "release"]


@pytest.mark.parametrize("text", ["bot", "Terug naar de bot", "back to the bot"])
def test_back_to_bot_in_every_language(sqlite_url: str, settings_for, text: str) -> None:
    engine = keyword_engine(settings_for(sqlite_url))
    say(engine, "Mitarbeiter")
    assert len(say(engine, text)) == 1
    assert handoffs(engine)[0].status == "closed"


def parking_nlu(text: str, lang: str | None, now: datetime) -> dict[str, Any]:
    if "park" in text.lower():
        parse = keyword_nlu(text, lang, now)
        parse["intent"] = {"name": "parking", "confidence": 0.95}
        return parse
    return keyword_nlu(text, lang, now)


def test_a_configured_intent_goes_straight_to_its_team(
    sqlite_url: str, settings_for, tmp_path: Path
) -> None:
    config = DEFAULT_FILE.read_text(encoding="utf-8").replace(
        "intents: [parking]\n    escalate: []", "intents: [parking]\n    escalate: [parking]"
    )
    (tmp_path / "teams.yaml").write_text(config, encoding="utf-8")
    settings = settings_for(sqlite_url, teams_file=str(tmp_path / "teams.yaml"))
    teams = load_teams(settings.teams_file)
    base = keyword_engine(settings)
    dialogue = Dialogue(threshold=0.5, handoff_intents=teams.escalate_intents)
    engine = Engine(base.db, settings, parking_nlu, dialogue, teams)
    texts = say(engine, "Falschparker vor meiner Einfahrt")
    assert "Team Ordnungsamt" in texts[1]
    assert [(h.team, h.reason) for h in handoffs(engine)] == [("ordnungsamt", "intent:parking")]


def test_routing_by_flow_then_intent_then_default() -> None:
    teams = load_teams()
    assert teams.route("report_issue", "human_handoff").key == "bauhof"
    assert teams.route("dog_registration", None).key == "ordnungsamt"
    assert teams.route(None, "parking").key == "ordnungsamt"
    assert teams.route(None, "human_handoff").key == "buergerbuero"


def test_a_broken_teams_file_names_file_and_key(tmp_path: Path) -> None:
    path = tmp_path / "teams.yaml"
    path.write_text("teams:\n  bauhof:\n    names: {de: Bauhof}\n    place: nowhere\n")
    with pytest.raises(TeamsConfigError, match=r"teams.yaml: teams.bauhof.place: unknown place"):
        load_teams(path)
    path.write_text("teams:\n  bauhof:\n    names: {de: Bauhof}\n    weekly: {mon: [[8]]}\n")
    with pytest.raises(TeamsConfigError, match=r"teams.bauhof.weekly.mon"):
        load_teams(path)


def test_auto_assignment_to_online_members_up_to_capacity(
    sqlite_url: str, settings_for, tmp_path: Path
) -> None:
    config = DEFAULT_FILE.read_text(encoding="utf-8").replace(
        "members: [staff]\n    minutes_per_chat: 6\n    auto_assign: false\n    capacity: 4",
        "members: [anna, ben]\n    minutes_per_chat: 6\n    auto_assign: true\n    capacity: 1",
    )
    (tmp_path / "teams.yaml").write_text(config, encoding="utf-8")
    settings = settings_for(sqlite_url, teams_file=str(tmp_path / "teams.yaml"))
    engine = Engine(
        keyword_engine(settings).db,
        settings,
        keyword_nlu,
        Dialogue(threshold=0.5),
        load_teams(settings.teams_file),
    )
    with transaction(engine.db) as session:
        anna = add_user(session, "anna", "anna-password-1", ["staff"])
        ben = add_user(session, "ben", "ben-password-12", ["staff"])
        mark_online(session, anna)
    first = say(engine, "Mitarbeiter", sender="+491")
    assert "gleich hier im Chat" in first[1]
    second = say(engine, "Mitarbeiter", sender="+492")
    assert "Nr. 1 in der Warteschlange" in second[1]  # anna is at capacity, ben offline
    with transaction(engine.db) as session:
        mark_online(session, session.merge(ben))
    say(engine, "Mitarbeiter", sender="+493")
    assert [(h.assignee, h.status) for h in handoffs(engine)] == [
        ("anna", "open"),
        (None, "waiting"),
        ("ben", "open"),
    ]
