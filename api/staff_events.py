"""Live inbox: server-sent events from the database, so every API process sees every change.

Each open inbox polls two cheap indexed queries every POLL_SECONDS: transcript lines
newer than the last one it sent (by primary key) and handoffs changed since the last
poll. A line is sent only for conversations the login may read. Polling the database
instead of an in-process bus keeps it right with several API processes and workers.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from sqlalchemy import func
from sqlmodel import Session, select

from bot.core.db import transaction
from bot.core.models import Message, utcnow
from bot.engine import Engine
from bot.inbox import access_for, mark_online, message_line
from bot.staff import StaffUser
from bot.staff_tables import Handoff

POLL_SECONDS = 0.25
HEARTBEAT_SECONDS = 15.0
PRESENCE_SECONDS = 30.0
BATCH = 500
# A handoff committed by another process may carry a slightly earlier clock.
CLOCK_SLACK = timedelta(seconds=2)


class Cursor:
    """Where one inbox stands: last line sent, handoff versions already announced."""

    def __init__(self, engine: Engine, user: StaffUser) -> None:
        self.engine = engine
        self.user = user
        with Session(engine.db) as session:
            self.message_id = int(
                session.exec(select(func.coalesce(func.max(Message.id), 0))).one()
            )
        self.since = utcnow()
        self.seen: set[tuple[int, str]] = set()

    def poll(self) -> list[dict[str, Any]]:
        """New events since the last poll (runs in a worker thread)."""
        with Session(self.engine.db) as session:
            readable = access_for(session, self.user, self.engine.teams).teams
            lines = session.exec(
                select(Message)
                .where(Message.id > self.message_id)  # type: ignore[operator]
                .order_by(Message.id)  # type: ignore[arg-type]
                .limit(BATCH)
            ).all()
            changed = session.exec(
                select(Handoff).where(Handoff.updated_at >= self.since - CLOCK_SLACK)  # type: ignore[operator]
            ).all()
            teams = self._teams_of(session, {m.conversation_id for m in lines})
        out: list[dict[str, Any]] = []
        for handoff in changed:
            key = (handoff.id, handoff.updated_at.isoformat())  # type: ignore[arg-type]
            if key in self.seen or handoff.team not in readable:
                continue
            self.seen.add(key)  # type: ignore[arg-type]
            out.append(
                {
                    "type": "queue",
                    "conversation_id": handoff.conversation_id,
                    "status": handoff.status,
                    "team": handoff.team,
                    "assignee": handoff.assignee,
                }
            )
        for line in lines:
            self.message_id = max(self.message_id, line.id)  # type: ignore[type-var]
            team = teams.get(line.conversation_id)
            if team is not None and team in readable:
                out.append({"type": "message", "message": message_line(line), "team": team})
        self.since = max(self.since, utcnow() - CLOCK_SLACK)
        if len(self.seen) > 5000:
            self.seen.clear()
        return out

    @staticmethod
    def _teams_of(session: Session, conversation_ids: set[int]) -> dict[int, str]:
        """The team of each conversation's latest handoff (none: not an inbox chat)."""
        if not conversation_ids:
            return {}
        rows = session.exec(
            select(Handoff.conversation_id, Handoff.team)
            .where(Handoff.conversation_id.in_(conversation_ids))  # type: ignore[attr-defined]
            .order_by(Handoff.id)  # type: ignore[arg-type]
        ).all()
        return {conversation_id: team for conversation_id, team in rows}

    def online(self) -> None:
        with transaction(self.engine.db) as session:
            mark_online(session, self.user)


async def event_stream(request: Request, engine: Engine, user: StaffUser) -> StreamingResponse:
    """An SSE response that lives until the browser goes away."""
    cursor = await run_in_threadpool(Cursor, engine, user)

    async def frames() -> AsyncIterator[str]:
        loop = asyncio.get_running_loop()
        last_beat = last_presence = 0.0
        yield "retry: 2000\n\n"
        while not await request.is_disconnected():
            now = loop.time()
            if now - last_presence > PRESENCE_SECONDS:
                await run_in_threadpool(cursor.online)
                last_presence = now
            for event in await run_in_threadpool(cursor.poll):
                yield f"event: {event['type']}\ndata: {json.dumps(event, default=str)}\n\n"
                last_beat = now
            if now - last_beat > HEARTBEAT_SECONDS:
                yield ": keep-alive\n\n"
                last_beat = now
            await asyncio.sleep(POLL_SECONDS)

    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(frames(), media_type="text/event-stream", headers=headers)
