"""Assemble the engine from settings: database, NLU, dialogue. Used by API and CLI."""

from __future__ import annotations

from sqlalchemy.engine import Engine as DbEngine

import actions  # noqa: F401  registers the actions on import
from actions.registry import ACTIONS
from bot.core.db import make_engine
from bot.core.settings import Settings
from bot.engine import Engine, Understand
from bot.rasa.flowset import flow_dirs
from bot.teams import get_teams
from flows.dialogue import Dialogue


def build_engine(
    settings: Settings, db: DbEngine | None = None, understand: Understand | None = None
) -> Engine:
    """A ready engine; the NLU model loads (or trains) here, not on the first message."""
    import nlu  # deferred: loading the model is the slow part of start-up

    teams = get_teams(settings.teams_file)
    if understand is None:
        nlu.get_nlu()
        understand = nlu.parse
    dialogue = Dialogue(
        threshold=nlu.CONFIDENCE_THRESHOLD,
        expiry_minutes=settings.flow_expiry_minutes,
        flow_dirs=flow_dirs(settings),
        known_actions=frozenset(ACTIONS),
        handoff_intents=teams.escalate_intents,
    )
    db = db or make_engine(settings.database_url)
    return Engine(db, settings, understand, dialogue, teams)
