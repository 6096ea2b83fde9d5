"""The staff side of a conversation: queue, claim, assign, answer, note, hand back, close.

Every function works in the caller's transaction and writes one audit line. A staff
answer goes through the outbox like every other message, so it reaches the citizen on
their channel and is part of the transcript. Who holds a chat is decided by the
database: a claim is one conditional UPDATE (`assignee IS NULL OR assignee = me`), so of
two staff members claiming at once exactly one wins, on any number of API processes.

Errors (`InboxError` and below):
    NotFound   – no such conversation (404)
    Forbidden  – the login may not see or act on this team's chats (403)
    Conflict   – someone else holds the chat, or it is not with staff (409)
    Invalid    – an unknown colleague, team or flow (422)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import or_, update
from sqlmodel import Session, select

from bot.core.i18n import t
from bot.core.messages import Button, Reply
from bot.core.models import Contact, Conversation, Message, utcnow
from bot.core.outbox import enqueue
from bot.handoff import BOT, HUMAN, active_handoff, audit, end_handoff
from bot.ratings import RATING, rating_question
from bot.staff import StaffUser, find_user
from bot.staff_tables import Handoff, StaffAudit, StaffNote, StaffPresence, TeamMembership
from bot.teams import Teams
from flows.state import State, remember_buttons

MEMBER, READER = "member", "reader"
TRANSCRIPT_LIMIT = 300


class InboxError(Exception):
    """Base of the inbox's refusals; the API maps each to a status code."""


class NotFound(InboxError, LookupError):
    """No conversation with that id."""


class Forbidden(InboxError):
    """The login may not see (or act on) chats of this team."""


class Conflict(InboxError):
    """Someone else holds the chat, or it is not in a state for this action."""


class Invalid(InboxError, ValueError):
    """An unknown colleague, team or flow."""


@dataclass(frozen=True)
class Access:
    """What one login may do per team: work its queue (`member`) or only read it."""

    user: StaffUser
    teams: dict[str, str]  # team -> member/reader

    def can_read(self, team: str) -> bool:
        return team in self.teams

    def can_act(self, team: str) -> bool:
        return self.teams.get(team) == MEMBER


def access_for(session: Session, user: StaffUser, teams: Teams) -> Access:
    """Admins work every team; others their memberships (the teams file's `members` and
    the admin page's); a login without any team works the default team."""
    if "admin" in user.roles.split(","):
        return Access(user, {key: MEMBER for key in teams.teams})
    granted: dict[str, str] = {
        k: MEMBER for k, tm in teams.teams.items() if user.username in tm.members
    }
    for row in session.exec(select(TeamMembership).where(TeamMembership.user_id == user.id)):
        if row.team in teams.teams and granted.get(row.team) != MEMBER:
            granted[row.team] = row.access
    return Access(user, granted or {teams.default: MEMBER})


def team_members(session: Session, teams: Teams) -> dict[str, list[str]]:
    """The active staff logins that work each team's queue (for transfers)."""
    users = session.exec(select(StaffUser).where(StaffUser.active == True)).all()  # noqa: E712
    result: dict[str, list[str]] = {key: [] for key in teams.teams}
    for user in users:
        if not user.has_role("staff"):
            continue
        for team, level in access_for(session, user, teams).teams.items():
            if level == MEMBER:
                result[team].append(user.username)
    return result


def set_memberships(
    session: Session, user: StaffUser, wanted: dict[str, str], teams: Teams
) -> None:
    """Replace the login's team memberships (team -> member/reader) set on the admin page."""
    bad = [k for k, v in wanted.items() if k not in teams.teams or v not in (MEMBER, READER)]
    if bad:
        raise Invalid(f"Unbekanntes Team oder Recht: {bad[0]!r}.")
    for row in session.exec(select(TeamMembership).where(TeamMembership.user_id == user.id)):
        session.delete(row)
    session.flush()
    for team, level in wanted.items():
        session.add(TeamMembership(user_id=user.id, team=team, access=level))  # type: ignore[arg-type]


def _latest_handoff(session: Session, conversation_id: int) -> Handoff | None:
    return session.exec(
        select(Handoff)
        .where(Handoff.conversation_id == conversation_id)
        .order_by(Handoff.id.desc())  # type: ignore[union-attr]
        .limit(1)
    ).first()


def _status(conversation: Conversation, handoff: Handoff | None) -> str:
    if handoff is None:
        return "bot"
    return handoff.status


def summary(
    conversation: Conversation, contact: Contact, handoff: Handoff | None, teams: Teams
) -> dict[str, Any]:
    """One row of the queue: SPEC's fields first, then what the page shows besides."""
    return {
        "id": conversation.id,
        "channel": contact.channel,
        "language": (handoff.language if handoff else None) or contact.language,
        "status": _status(conversation, handoff),
        "team": handoff.team if handoff else None,
        "assignee": handoff.assignee if handoff else None,
        "waiting_since": handoff.created_at if handoff else None,
        "reason": handoff.reason if handoff else None,
        "reason_text": reason_text(handoff.reason) if handoff else None,
        "team_name": teams.get(handoff.team).name("de") if handoff else None,
        "name": contact.name,
        "mode": conversation.mode,
        "message_count": conversation.message_count,
        "last_inbound_at": conversation.last_inbound_at,
        "handoff_id": handoff.id if handoff else None,
    }


REASONS = {
    "citizen_asked": "Bürger*in möchte eine Person sprechen",
    "offer_accepted": "Bot hat zweimal nicht verstanden",
    "flow_failed": "Ablauf kam nicht weiter",
    "staff_took_over": "Von Mitarbeiter*in übernommen",
}


@lru_cache(maxsize=512)
def reason_text(reason: str) -> str:
    """The handoff's reason in the inbox's German."""
    if reason in REASONS:
        return REASONS[reason]
    kind, _, rest = reason.partition(":")
    if kind == "flow":
        flow, _, code = rest.partition(":")
        return f"Ablauf „{flow}“ übergibt" + (f" ({code})" if code else "")
    if kind == "intent":
        return f"Thema „{rest}“ geht direkt an Mitarbeiter*innen"
    return reason


_QUEUE_COLUMNS = (
    Handoff.id,
    Handoff.conversation_id,
    Handoff.team,
    Handoff.status,
    Handoff.reason,
    Handoff.language,
    Handoff.assignee,
    Handoff.created_at,
    Conversation.mode,
    Conversation.message_count,
    Conversation.last_inbound_at,
    Contact.channel,
    Contact.language.label("contact_language"),  # type: ignore[attr-defined]
    Contact.name,
)


def queue(
    session: Session, access: Access, teams: Teams, status: str | None = None, limit: int = 500
) -> list[dict[str, Any]]:
    """Chats with staff the login may read: waiting first (longest wait on top), then open;
    `status=closed` lists the most recently closed. Plain columns, no ORM objects: the
    queue of a busy office has hundreds of rows and is reloaded on every change."""
    wanted = [status] if status else ["waiting", "open"]
    query = (
        select(*_QUEUE_COLUMNS)
        .join(Conversation, Conversation.id == Handoff.conversation_id)  # type: ignore[arg-type]
        .join(Contact, Contact.id == Conversation.contact_id)  # type: ignore[arg-type]
        .where(Handoff.status.in_(wanted), Handoff.team.in_(list(access.teams)))  # type: ignore[attr-defined]
    )
    if status == "closed":
        query = query.order_by(Handoff.closed_at.desc())  # type: ignore[union-attr]
    else:
        query = query.order_by((Handoff.status == "waiting").desc(), Handoff.created_at)  # type: ignore[arg-type]
    names = {key: team.name("de") for key, team in teams.teams.items()}
    return [
        {
            "id": r.conversation_id,
            "channel": r.channel,
            "language": r.language or r.contact_language,
            "status": r.status,
            "team": r.team,
            "assignee": r.assignee,
            "waiting_since": r.created_at,
            "reason": r.reason,
            "reason_text": reason_text(r.reason),
            "team_name": names.get(r.team),
            "name": r.name,
            "mode": r.mode,
            "message_count": r.message_count,
            "last_inbound_at": r.last_inbound_at,
            "handoff_id": r.id,
        }
        for r in session.execute(query.limit(limit)).all()
    ]


def load_conversation(
    session: Session, conversation_id: int, access: Access, teams: Teams, *, act: bool = False
) -> tuple[Conversation, Contact, Handoff | None]:
    """The conversation, its contact and latest handoff, if `access` may see it (and act
    on it, with `act`); else NotFound or Forbidden."""
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        raise NotFound(conversation_id)
    contact = session.get(Contact, conversation.contact_id)
    assert contact is not None
    handoff = _latest_handoff(session, conversation_id)
    team = handoff.team if handoff else teams.default
    if not access.can_read(team):
        raise Forbidden(team)
    if act and not access.can_act(team):
        raise Forbidden(team)
    return conversation, contact, handoff


def lock_conversation(session: Session, conversation_id: int) -> None:
    """Serialise staff actions on one conversation with the citizen's turns (row lock)."""
    session.exec(
        select(Conversation.id).where(Conversation.id == conversation_id).with_for_update()
    ).first()


def transcript_lines(session: Session, conversation_id: int) -> list[dict[str, Any]]:
    """The newest TRANSCRIPT_LIMIT lines, oldest first, with the bot's understanding."""
    rows = session.execute(
        select(*_LINE_COLUMNS)
        .where(Message.conversation_id == conversation_id)
        .order_by(Message.id.desc())  # type: ignore[union-attr]
        .limit(TRANSCRIPT_LIMIT)
    ).all()
    return [message_line(m) for m in reversed(rows)]


_LINE_COLUMNS = (
    Message.id,
    Message.conversation_id,
    Message.direction,
    Message.author,
    Message.text,
    Message.payload,
    Message.data,
    Message.created_at,
)


def message_line(message: Any) -> dict[str, Any]:
    """A transcript line for staff: SPEC's fields, plus buttons, image and kind."""
    understood = message.direction == "in" and bool(message.text)
    intent = (message.data.get("parse") or {}).get("intent") or {} if understood else {}
    reply = message.data.get("reply") or {}
    return {
        "id": message.id,
        "conversation_id": message.conversation_id,
        "direction": message.direction,
        "author": message.author,
        "text": message.text or (f"[{message.payload}]" if message.payload else ""),
        "intent": intent.get("name"),
        "confidence": intent.get("confidence"),
        "created_at": message.created_at,
        "kind": message.data.get("kind"),
        "buttons": [b.get("title", "") for b in reply.get("buttons", [])],
        "image_url": reply.get("image_url"),
    }


def detail(
    session: Session, conversation_id: int, access: Access, teams: Teams
) -> tuple[dict[str, Any], Contact]:
    """The conversation for one staff member: summary, transcript, notes, audit log."""
    conversation, contact, handoff = load_conversation(session, conversation_id, access, teams)
    notes = session.exec(
        select(StaffNote).where(StaffNote.conversation_id == conversation_id).order_by(StaffNote.id)  # type: ignore[arg-type]
    ).all()
    log = session.exec(
        select(StaffAudit)
        .where(StaffAudit.conversation_id == conversation_id)
        .order_by(StaffAudit.id)  # type: ignore[arg-type]
    ).all()
    view = summary(conversation, contact, handoff, teams)
    view["messages"] = transcript_lines(session, conversation_id)
    view["notes"] = [
        {"id": n.id, "author": n.author, "text": n.text, "created_at": n.created_at} for n in notes
    ]
    view["audit"] = [
        {"actor": a.actor, "action": a.action, "detail": a.detail, "created_at": a.created_at}
        for a in log
    ]
    view["flow_state"] = handoff.flow if handoff else {}
    view["can_act"] = access.can_act(handoff.team if handoff else teams.default)
    return view, contact


def _touch(session: Session, handoff: Handoff) -> None:
    handoff.updated_at = utcnow()
    session.add(handoff)


def _take_over(
    session: Session, conversation: Conversation, contact: Contact, user: str, teams: Teams
) -> Handoff:
    """Staff answer a chat the bot has: it becomes theirs (a handoff opened and claimed)."""
    now = utcnow()
    handoff = Handoff(
        conversation_id=conversation.id,  # type: ignore[arg-type]
        team=teams.default,
        status="open",
        reason="staff_took_over",
        channel=contact.channel,
        language=contact.language or "de",
        assignee=user,
        claimed_at=now,
    )
    session.add(handoff)
    session.flush()
    conversation.mode = HUMAN
    conversation.state = {}
    conversation.updated_at = now
    session.add(conversation)
    audit(session, handoff, user, "claim")
    return handoff


def claim(session: Session, conversation_id: int, access: Access, teams: Teams) -> Handoff:
    """Take the chat. Conflict when someone else holds it."""
    lock_conversation(session, conversation_id)
    conversation, contact, _ = load_conversation(session, conversation_id, access, teams, act=True)
    me = access.user.username
    handoff = active_handoff(session, conversation_id)
    if handoff is None:
        return _take_over(session, conversation, contact, me, teams)
    now = utcnow()
    won = session.execute(
        update(Handoff)
        .where(
            Handoff.id == handoff.id,  # type: ignore[arg-type]
            Handoff.status != "closed",  # type: ignore[arg-type]
            or_(Handoff.assignee.is_(None), Handoff.assignee == me),  # type: ignore[union-attr]
        )
        .values(assignee=me, status="open", claimed_at=now, updated_at=now)
    ).rowcount
    if not won:
        session.refresh(handoff)
        raise Conflict(f"Die Unterhaltung hat bereits {handoff.assignee} übernommen.")
    session.refresh(handoff)
    audit(session, handoff, me, "claim")
    return handoff


def _held_by_me(
    session: Session, conversation_id: int, access: Access, teams: Teams
) -> tuple[Conversation, Contact, Handoff]:
    """The active handoff, claimed for the login on the way if nobody holds it yet."""
    handoff = active_handoff(session, conversation_id)
    if handoff is None or handoff.assignee != access.user.username:
        handoff = claim(session, conversation_id, access, teams)
    conversation, contact, _ = load_conversation(session, conversation_id, access, teams, act=True)
    return conversation, contact, handoff


def assign(
    session: Session,
    conversation_id: int,
    access: Access,
    teams: Teams,
    *,
    assignee: str | None = None,
    team: str | None = None,
) -> Handoff:
    """Give the chat to a colleague and/or another team (back to that team's queue)."""
    lock_conversation(session, conversation_id)
    load_conversation(session, conversation_id, access, teams, act=True)
    handoff = active_handoff(session, conversation_id)
    if handoff is None:
        raise Conflict("Die Unterhaltung ist nicht bei Mitarbeiter*innen.")
    if team is not None and team not in teams.teams:
        raise Invalid(f"Unbekanntes Team {team!r}.")
    if assignee is not None:
        colleague = find_user(session, assignee)
        if colleague is None or not colleague.active or not colleague.has_role("staff"):
            raise Invalid(f"Unbekannte oder gesperrte Anmeldung {assignee!r}.")
        target = team or handoff.team
        if not access_for(session, colleague, teams).can_act(target):
            raise Invalid(f"{colleague.username} gehört nicht zum Team {target}.")
        assignee = colleague.username
    before = {"team": handoff.team, "assignee": handoff.assignee}
    if team is not None:
        handoff.team = team
    handoff.assignee = assignee
    handoff.status = "open" if assignee else "waiting"
    handoff.claimed_at = utcnow() if assignee else None
    _touch(session, handoff)
    session.flush()
    audit(
        session,
        handoff,
        access.user.username,
        "assign",
        before=before,
        team=handoff.team,
        assignee=assignee,
    )
    return handoff


def staff_reply(
    session: Session,
    conversation_id: int,
    access: Access,
    teams: Teams,
    text: str,
    image_url: str | None = None,
) -> Message:
    """Answer the citizen; the chat is claimed for the login if nobody holds it yet."""
    conversation, contact, handoff = _held_by_me(session, conversation_id, access, teams)
    conversation.updated_at = utcnow()
    session.add(conversation)
    message_id = enqueue(
        session,
        contact,
        Reply(text=text, image_url=image_url),
        author=access.user.username,
        kind="staff",
        conversation_id=conversation.id,
    )
    _touch(session, handoff)
    audit(session, handoff, access.user.username, "reply", message_id=message_id)
    message = session.get(Message, message_id)
    assert message is not None
    return message


def add_note(
    session: Session, conversation_id: int, access: Access, teams: Teams, text: str
) -> StaffNote:
    """An internal note; the citizen never sees it."""
    load_conversation(session, conversation_id, access, teams, act=True)
    note = StaffNote(conversation_id=conversation_id, author=access.user.username, text=text)
    session.add(note)
    session.flush()
    handoff = _latest_handoff(session, conversation_id)
    if handoff is not None:
        _touch(session, handoff)
        audit(session, handoff, access.user.username, "note", note_id=note.id)
    else:
        session.add(
            StaffAudit(
                conversation_id=conversation_id,
                actor=access.user.username,
                action="note",
                detail={"note_id": note.id},
            )
        )
    return note


def release(
    session: Session,
    conversation_id: int,
    access: Access,
    teams: Teams,
    flow: tuple[str, dict[str, str]] | None = None,
) -> None:
    """Hand the conversation back to the bot; `flow` (name, titles) is offered to start."""
    lock_conversation(session, conversation_id)
    conversation, contact, _ = load_conversation(session, conversation_id, access, teams, act=True)
    handoff = active_handoff(session, conversation_id)
    if handoff is not None:
        _ensure_not_someone_elses(handoff, access)
        end_handoff(session, handoff, access.user.username, "released")
    lang = (handoff.language if handoff else None) or contact.language or "de"
    buttons = (
        [Button(title=flow[1].get(lang) or flow[0], payload=f"flow:{flow[0]}")] if flow else []
    )
    reply = Reply(text=t("escalation.released", lang), buttons=buttons)
    conversation.mode = BOT
    conversation.state = _fresh_state(reply)
    conversation.updated_at = utcnow()
    session.add(conversation)
    enqueue(session, contact, reply, kind="staff", conversation_id=conversation.id)


def close(session: Session, conversation_id: int, access: Access, teams: Teams) -> None:
    """Close the chat; the citizen is asked for a rating in their language."""
    lock_conversation(session, conversation_id)
    conversation, contact, _ = load_conversation(session, conversation_id, access, teams, act=True)
    handoff = active_handoff(session, conversation_id)
    if handoff is None:
        raise Conflict("Die Unterhaltung ist nicht bei Mitarbeiter*innen.")
    _ensure_not_someone_elses(handoff, access)
    end_handoff(session, handoff, access.user.username, "closed")
    lang = handoff.language or contact.language or "de"
    question = rating_question(lang)
    conversation.mode = RATING
    conversation.state = _fresh_state(question)
    conversation.updated_at = utcnow()
    session.add(conversation)
    enqueue(session, contact, question, kind="staff", conversation_id=conversation.id)


def _fresh_state(reply: Reply) -> dict[str, Any]:
    """The state of a conversation back from staff: empty but for the buttons of the
    message that ends the handoff, so a typed "2" or title picks one (numbered lists)."""
    state = State()
    remember_buttons(state, [reply])
    return dict(state)


def _ensure_not_someone_elses(handoff: Handoff, access: Access) -> None:
    mine = handoff.assignee in (None, access.user.username)
    if not mine and "admin" not in access.user.roles.split(","):
        raise Conflict(f"Die Unterhaltung hat {handoff.assignee} übernommen.")


def mark_online(session: Session, user: StaffUser) -> None:
    """The login has the inbox open now (for automatic assignment)."""
    row = session.get(StaffPresence, user.id)
    if row is None:
        session.add(StaffPresence(user_id=user.id, last_seen_at=utcnow()))  # type: ignore[arg-type]
    else:
        row.last_seen_at = utcnow()
        session.add(row)
