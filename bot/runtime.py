"""Assemble the engine from settings: database, NLU, dialogue. Used by API and CLI.

This is where the independent packages meet: the city's services are read from their
flow files (`flows.services`) and handed to the NLU as its `service` lookup, to the
actions as the rules `cases.submit` applies and to the handoff routing as their teams,
so none of them needs to know about flows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine as DbEngine

import actions  # noqa: F401  registers the actions on import
from actions import qr, service_rules
from actions.registry import catalogue
from bot.core.db import make_engine
from bot.core.settings import Settings
from bot.engine import Engine, Understand
from bot.knowledge.base import KnowledgeBase
from bot.llm.assistant import Assistant
from bot.rasa.flowset import flow_dirs
from bot.teams import Teams, get_teams
from flows import services
from flows.definition import Flow
from flows.dialogue import Dialogue
from flows.loader import load_flows


def build_engine(
    settings: Settings, db: DbEngine | None = None, understand: Understand | None = None
) -> Engine:
    """A ready engine; the NLU model loads (or trains) here, not on the first message.

    Flows come from `flows/definitions/` and EXTRA_FLOWS_DIR (a city's own services).
    """
    import nlu  # deferred: loading the model is the slow part of start-up

    teams = get_teams(settings.teams_file)
    dialogue = Dialogue(
        threshold=nlu.CONFIDENCE_THRESHOLD,
        expiry_minutes=settings.flow_expiry_minutes,
        flow_dirs=flow_dirs(settings),
        actions=catalogue(),
        handoff_intents=teams.escalate_intents,
    )
    rules = services.backend_rules(dialogue.flows)
    service_rules.register(rules)
    teams = with_service_teams(teams, rules)
    if understand is None:
        understand = nlu.parser({"service": services.nlu_lookup(dialogue.flows)})
    db = db or make_engine(settings.database_url)
    knowledge = knowledge_base(settings, dialogue.flows.values())
    assistant = Assistant(settings, db, dialogue.flows) if settings.llm_base_url else None
    return Engine(db, settings, understand, dialogue, teams, knowledge, assistant)


def knowledge_base(settings: Settings, flows: Iterable[Flow] | None = None) -> KnowledgeBase:
    """The city's pages (KNOWLEDGE_DIR, else the demo pages) and the services' texts
    (of `flows`, else of the flows the settings load)."""
    if flows is None:
        flows = load_flows(flow_dirs(settings), catalogue()).values()
    return KnowledgeBase(
        flows,
        folder=Path(settings.knowledge_dir) if settings.knowledge_dir else None,
        index_path=Path(settings.knowledge_index) if settings.knowledge_index else None,
        base_url=qr.base_url(settings),
    )


def with_service_teams(teams: Teams, rules: Mapping[str, Mapping[str, Any]]) -> Teams:
    """Handoffs from a service's flow go to the `team` its file names, unless the teams
    file already routes that flow; an unknown team stops the start, naming the service."""
    routed = {flow for team in teams.teams.values() for flow in team.flows}
    updated = dict(teams.teams)
    for flow, rule in rules.items():
        key = rule.get("team")
        if key is None or flow in routed:
            continue
        if key not in updated:
            raise ValueError(f"service {flow!r}: team {key!r} is not in the teams file")
        updated[key] = replace(updated[key], flows=updated[key].flows | {flow})
    return replace(teams, teams=updated)
