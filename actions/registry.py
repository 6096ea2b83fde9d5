"""The registry of the city's backend actions that flows call by name.

A flow step says `action: boats.book`; the flow runtime asks the engine's services to
run it, and the engine calls `run_action` inside the same database transaction as the
conversation's state change, so a booking and its confirmation message commit together.

An action is a plain function `(ctx, params) -> dict`. It raises `ActionError` with a
short machine code (`"insufficient_balance"`, `"slot_taken"`) for outcomes the citizen
must be told about; the flow maps the code to a message in the citizen's language.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.core.errors import ActionError
from bot.core.settings import Settings

__all__ = ["ACTIONS", "ActionContext", "ActionError", "action", "run_action"]


@dataclass
class ActionContext:
    """What an action may use: the open transaction and who is asking."""

    session: Session
    contact_id: int
    channel: str
    language: str
    now: datetime  # aware, in the city's time zone
    settings: Settings
    extra: dict[str, Any] = field(default_factory=dict)


ActionFn = Callable[[ActionContext, dict[str, Any]], dict[str, Any]]
ACTIONS: dict[str, ActionFn] = {}


def action(name: str) -> Callable[[ActionFn], ActionFn]:
    """Register a function as the action `name`; names are unique."""

    def register(fn: ActionFn) -> ActionFn:
        if name in ACTIONS:
            raise ValueError(f"action {name!r} is registered twice")
        ACTIONS[name] = fn
        return fn

    return register


def run_action(name: str, ctx: ActionContext, params: dict[str, Any]) -> dict[str, Any]:
    """Run the registered action `name`; unknown names are a flow definition error."""
    try:
        fn = ACTIONS[name]
    except KeyError:
        raise KeyError(f"unknown action {name!r}") from None
    return fn(ctx, params)
