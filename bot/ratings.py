"""After staff close a chat: the citizen is asked for a rating, 1–5 and a comment.

Closing sets the conversation's mode to `rating` and sends the question with five
buttons and "skip" (typing the number works on every channel). A score moves on to
`comment`, where the next message is kept as the comment (or skipped). Anything else
than a score while `rating` is taken as skipping: the message goes to the bot as usual,
so a citizen who simply carries on is never stuck in a questionnaire.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, select

from bot.core.i18n import t
from bot.core.messages import Button, Reply
from bot.handoff import BOT, CitizenTurn
from bot.staff_tables import ChatRating, Handoff
from bot.teams import Teams
from flows.events import ReplySent

RATING = "rating"
COMMENT = "comment"
RATE_PAYLOAD = "rate:"
SKIP_PAYLOAD = "rate:skip"
SKIP_WORDS = frozenset({"überspringen", "ueberspringen", "skip", "overslaan", "nein", "no", "nee"})
MAX_COMMENT = 1000
_SCORE = re.compile(r"^\s*([1-5])\s*(?:/\s*5|sterne?|stars?|sterren)?\s*[.!]?\s*$", re.I)


def rating_question(lang: str) -> Reply:
    """The question sent on close: five buttons and one to skip."""
    buttons = [Button(title=str(n), payload=f"{RATE_PAYLOAD}{n}") for n in range(1, 6)]
    buttons.append(Button(title=t("rating.skip", lang), payload=SKIP_PAYLOAD))
    return Reply(text=t("rating.question", lang), buttons=buttons)


def _score(text: str, payload: str | None) -> int | None:
    if payload and payload.startswith(RATE_PAYLOAD) and payload[len(RATE_PAYLOAD) :].isdigit():
        value = int(payload[len(RATE_PAYLOAD) :])
        return value if 1 <= value <= 5 else None
    stars = text.strip()
    if stars and set(stars) <= {"⭐", "★"} and len(stars) <= 5:
        return len(stars)
    match = _SCORE.match(text or "")
    return int(match.group(1)) if match else None


def _skipped(text: str, payload: str | None) -> bool:
    return payload == SKIP_PAYLOAD or text.strip(" .!").lower() in SKIP_WORDS


def _last_closed(session: Session, conversation_id: int) -> Handoff | None:
    return session.exec(
        select(Handoff)
        .where(Handoff.conversation_id == conversation_id, Handoff.status == "closed")
        .order_by(Handoff.id.desc())  # type: ignore[union-attr]
        .limit(1)
    ).first()


def rating_turn(
    session: Session,
    teams: Teams,
    *,
    conversation_id: int,
    mode: str,
    text: str,
    payload: str | None,
    lang: str,
) -> CitizenTurn:
    """The citizen answered the rating question (`rating`) or the comment question."""
    handoff = _last_closed(session, conversation_id)
    rating = (
        session.exec(select(ChatRating).where(ChatRating.handoff_id == handoff.id)).first()
        if handoff is not None
        else None
    )
    if mode == COMMENT:
        if rating is not None and text and not _skipped(text, payload):
            rating.comment = text[:MAX_COMMENT]
            session.add(rating)
        return CitizenTurn(mode=BOT, events=[ReplySent(Reply(text=t("rating.thanks", lang)))])
    if _skipped(text, payload):
        return CitizenTurn(mode=BOT, events=[ReplySent(Reply(text=t("rating.skipped", lang)))])
    score = _score(text, payload)
    if score is None or handoff is None:
        return CitizenTurn(mode=BOT, to_bot=True)
    if rating is None:
        session.add(ChatRating(handoff_id=handoff.id, team=handoff.team, score=score))  # type: ignore[arg-type]
    else:
        rating.score = score
        session.add(rating)
    ask = Reply(
        text=t("rating.ask_comment", lang),
        buttons=[Button(title=t("rating.skip", lang), payload=SKIP_PAYLOAD)],
    )
    return CitizenTurn(mode=COMMENT, events=[ReplySent(ask)])


@dataclass(frozen=True)
class TeamRatings:
    """Ratings of one team: how many, the average, the spread and the latest comments."""

    team: str
    name: str
    count: int
    average: float | None
    by_score: dict[int, int]
    comments: list[dict[str, object]]


def ratings_per_team(session: Session, teams: Teams, comments: int = 10) -> list[TeamRatings]:
    """Every configured team's ratings, for the admin page and the API."""
    rows = session.exec(
        select(ChatRating.team, ChatRating.score, func.count()).group_by(
            ChatRating.team, ChatRating.score
        )
    ).all()
    counts: dict[str, dict[int, int]] = {}
    for team, score, n in rows:
        counts.setdefault(team, {})[int(score)] = int(n)
    result = []
    for key, team in teams.teams.items():
        by_score = {s: counts.get(key, {}).get(s, 0) for s in range(1, 6)}
        total = sum(by_score.values())
        latest = session.exec(
            select(ChatRating)
            .where(ChatRating.team == key, ChatRating.comment.is_not(None))  # type: ignore[union-attr]
            .order_by(ChatRating.id.desc())  # type: ignore[union-attr]
            .limit(comments)
        ).all()
        result.append(
            TeamRatings(
                team=key,
                name=team.name("de"),
                count=total,
                average=round(sum(s * n for s, n in by_score.items()) / total, 2)
                if total
                else None,
                by_score=by_score,
                comments=[
                    {"score": r.score, "comment": r.comment, "created_at": r.created_at.isoformat()}
                    for r in latest
                ],
            )
        )
    return result
