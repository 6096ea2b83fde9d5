"""The citizen's side of a handoff: escalation to a team, silence while staff answer.

The dialogue only says that a conversation should go to a person
(`HandoffRequested`); the engine calls `escalate` in the same transaction, which
opens a `Handoff` for the right team and tells the citizen what happens next: the
place in the queue and the expected wait in office hours, else when the team will
answer. While a conversation is with staff (mode `human`), `citizen_turn` decides what the
citizen's message does: nothing visible (the bot stays silent) or end the handoff
("zurück zum Bot"). Rating after a close is `bot.ratings`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from bot.core.i18n import t
from bot.core.messages import Reply
from bot.core.models import utcnow
from bot.staff import StaffUser
from bot.staff_tables import Handoff, StaffAudit, StaffPresence, TeamMembership
from bot.teams import Team, Teams
from flows.events import Event, ReplySent
from flows.summary import format_date

HUMAN = "human"
BOT = "bot"
CITIZEN = "citizen"
ONLINE_SECONDS = 90  # an inbox that polled within this is "online" (see api/staff_events)


@dataclass(frozen=True)
class CitizenTurn:
    """What a citizen's message does while the conversation is not with the bot.

    `mode`: the conversation's mode afterwards; `to_bot`: the message is for the bot's
    dialogue after all (a rating skipped by writing something else)."""

    mode: str
    events: list[Event] = field(default_factory=list)
    to_bot: bool = False


def active_handoff(session: Session, conversation_id: int) -> Handoff | None:
    """The conversation's stay with staff that is not closed yet, if any."""
    return session.exec(
        select(Handoff)
        .where(Handoff.conversation_id == conversation_id, Handoff.status != "closed")
        .order_by(Handoff.id.desc())  # type: ignore[union-attr]
        .limit(1)
    ).first()


def audit(
    session: Session,
    handoff: Handoff,
    actor: str,
    action: str,
    **detail: object,
) -> None:
    """One line of the audit log of the handoff's conversation."""
    session.add(
        StaffAudit(
            conversation_id=handoff.conversation_id,
            handoff_id=handoff.id,
            actor=actor,
            action=action,
            detail=detail,
        )
    )


def escalate(
    session: Session,
    teams: Teams,
    *,
    conversation_id: int,
    channel: str,
    language: str,
    reason: str,
    state: dict[str, Any],
    intent: str | None,
    now: datetime,
) -> list[Reply]:
    """Queue the conversation for its team and say what happens next (`now`: local time).

    `state`: the conversation state before the turn, whose open flow (with its slots)
    decides the team and is kept for staff to see. A conversation already waiting or
    with staff keeps its place and gets no second promise.
    """
    if active_handoff(session, conversation_id) is not None:
        return []
    frame = open_frame(state, reason)
    team = teams.route(frame.get("flow"), intent)
    handoff = Handoff(
        conversation_id=conversation_id,
        team=team.key,
        reason=reason[:120],
        channel=channel,
        language=language,
        flow=frame,
    )
    session.add(handoff)
    session.flush()
    audit(session, handoff, "bot", "escalate", team=team.key, reason=reason)
    assignee = auto_assignee(session, team) if team.in_office(now) else None
    if assignee is not None:
        handoff.assignee, handoff.status, handoff.claimed_at = assignee, "open", utcnow()
        session.add(handoff)
        audit(session, handoff, "bot", "assign", team=team.key, assignee=assignee)
        return [Reply(text=t("escalation.assigned", language, team=team.name(language)))]
    return [Reply(text=promise(session, team, handoff, now, language))]


def auto_assignee(session: Session, team: Team) -> str | None:
    """With `auto_assign`: the online member with the fewest open chats under `capacity`."""
    if not team.auto_assign:
        return None
    members = set(team.members) | set(
        session.exec(
            select(StaffUser.username)
            .join(TeamMembership, TeamMembership.user_id == StaffUser.id)  # type: ignore[arg-type]
            .where(TeamMembership.team == team.key, TeamMembership.access == "member")
        ).all()
    )
    online = session.exec(
        select(StaffUser.username)
        .join(StaffPresence, StaffPresence.user_id == StaffUser.id)  # type: ignore[arg-type]
        .where(
            StaffUser.active == True,  # noqa: E712
            StaffUser.username.in_(members),  # type: ignore[attr-defined]
            StaffPresence.last_seen_at >= utcnow() - timedelta(seconds=ONLINE_SECONDS),  # type: ignore[operator]
        )
    ).all()
    if not online:
        return None
    load = dict(
        session.exec(
            select(Handoff.assignee, func.count())
            .where(Handoff.status == "open", Handoff.assignee.in_(online))  # type: ignore[union-attr]
            .group_by(Handoff.assignee)
        ).all()
    )
    free = sorted((load.get(name, 0), name) for name in online if load.get(name, 0) < team.capacity)
    return free[0][1] if free else None


def open_frame(state: dict[str, Any], reason: str) -> dict[str, Any]:
    """The flow the handoff is about, `{"flow", "slots"}`: the one open before the turn,
    else the one named in the reason ("flow:report_issue:…"); `{}` without one."""
    flows = state.get("flows") or []
    if flows:
        top = flows[-1]
        return {"flow": str(top.get("flow")), "slots": dict(top.get("slots") or {})}
    if reason.startswith("flow:"):
        return {"flow": reason.split(":")[1], "slots": {}}
    return {}


def queue_position(session: Session, handoff: Handoff) -> int:
    """1 for the first waiting conversation of the team, 2 for the next …"""
    ahead = session.exec(
        select(func.count())
        .select_from(Handoff)
        .where(
            Handoff.team == handoff.team,
            Handoff.status == "waiting",
            Handoff.id < handoff.id,  # type: ignore[operator]
        )
    ).one()
    return int(ahead) + 1


def promise(session: Session, team: Team, handoff: Handoff, now: datetime, lang: str) -> str:
    """What the citizen is told: queue and wait in office hours, else when the team answers."""
    name = team.name(lang)
    if team.in_office(now):
        position = queue_position(session, handoff)
        minutes = max(2, position * team.minutes_per_chat)
        return t("escalation.queued", lang, team=name, position=position, minutes=minutes)
    opening = team.next_opening(now)
    if opening is None:
        return t("escalation.closed_unknown", lang, team=name)
    if opening.date() == now.date():
        when = t("escalation.today_at", lang, time=opening.strftime("%H:%M"))
    elif (opening.date() - now.date()).days == 1:
        when = t("escalation.tomorrow_at", lang, time=opening.strftime("%H:%M"))
    else:
        when = t(
            "escalation.day_at",
            lang,
            day=format_date(opening.date(), lang),
            time=opening.strftime("%H:%M"),
        )
    return t("escalation.closed", lang, team=name, when=when)


def end_handoff(session: Session, handoff: Handoff, actor: str, outcome: str) -> None:
    """Close the stay with staff (released, closed, or ended by the citizen)."""
    now = utcnow()
    handoff.status = "closed"
    handoff.outcome = outcome
    handoff.closed_at = now
    handoff.updated_at = now
    session.add(handoff)
    audit(session, handoff, actor, "release" if outcome != "closed" else "close")


def citizen_turn(
    session: Session,
    teams: Teams,
    *,
    conversation_id: int,
    mode: str,
    text: str,
    payload: str | None,
    lang: str,
) -> CitizenTurn:
    """The citizen wrote while the conversation is with staff: silence, or back to the bot.

    (`mode` is always `human` here; ratings have `bot.ratings.rating_turn`.)"""
    if not teams.is_back_to_bot(text or payload or ""):
        handoff = active_handoff(session, conversation_id)
        if handoff is not None:
            handoff.updated_at = utcnow()
            session.add(handoff)
        return CitizenTurn(mode=HUMAN)
    handoff = active_handoff(session, conversation_id)
    if handoff is not None:
        end_handoff(session, handoff, CITIZEN, CITIZEN)
    return CitizenTurn(mode=BOT, events=[ReplySent(Reply(text=t("escalation.back_to_bot", lang)))])
