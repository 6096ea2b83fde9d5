"""Assemble the engine from settings: database, NLU, dialogue. Used by API and CLI.

This is where the independent packages meet: the city's services are read from their
flow files (`flows.services`) and handed to the NLU as its `service` lookup and to the
actions as the rules `cases.submit` applies, so neither needs to know about flows.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from sqlalchemy.engine import Engine as DbEngine

import actions  # noqa: F401  registers the actions on import
from actions import service_rules
from actions.registry import ACTIONS
from bot.core.db import make_engine
from bot.core.settings import Settings
from bot.engine import Engine, Understand
from flows import services
from flows.dialogue import DEFINITIONS_DIR, Dialogue


def build_engine(
    settings: Settings,
    db: DbEngine | None = None,
    understand: Understand | None = None,
    flow_dirs: Iterable[Path] = (DEFINITIONS_DIR,),
) -> Engine:
    """A ready engine; the NLU model loads (or trains) here, not on the first message.

    `flow_dirs` are read in order (a city's own folder after the shipped definitions).
    """
    import nlu  # deferred: loading the model is the slow part of start-up

    dialogue = Dialogue(
        threshold=nlu.CONFIDENCE_THRESHOLD,
        expiry_minutes=settings.flow_expiry_minutes,
        flow_dirs=tuple(flow_dirs),
        known_actions=frozenset(ACTIONS),
    )
    service_rules.register(services.backend_rules(dialogue.flows))
    if understand is None:
        understand = nlu.parser({"service": services.nlu_lookup(dialogue.flows)})
    return Engine(db or make_engine(settings.database_url), settings, understand, dialogue)
