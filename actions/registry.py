"""The registry of the city's backend actions that flows call by name.

A flow step says `action: boats.book`; the flow runtime asks the engine's services to
run it, and the engine calls `run_action` inside the same database transaction as the
conversation's state change, so a booking and its confirmation message commit together.

An action is a plain function `(ctx, params) -> dict`. It raises `ActionError` with a
short machine code (`"insufficient_balance"`, `"slot_taken"`) for outcomes the citizen
must be told about; the flow maps the code to a message in the citizen's language.

Each action declares whether it writes (`@action("boats.book", writes=True)`): a booking,
a payment, a case, a link or an erasure request is a deed the citizen confirms first.
`catalogue()` hands the names and that flag to the flow loader, which refuses a writing
action before a flow's confirmation step, and to the Rasa bridge, which runs writing
calls at most once. A lookup that claims an unclaimed voucher (`vouchers.balance`) is
not a deed: repeating it changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.core.errors import ActionError
from bot.core.settings import Settings

__all__ = ["ACTIONS", "ActionContext", "ActionError", "action", "catalogue", "run_action"]


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
_WRITES: dict[str, bool] = {}


def action(name: str, *, writes: bool) -> Callable[[ActionFn], ActionFn]:
    """Register a function as the action `name` (names are unique), saying whether it
    changes something for the citizen."""

    def register(fn: ActionFn) -> ActionFn:
        if name in ACTIONS:
            raise ValueError(f"action {name!r} is registered twice")
        ACTIONS[name] = fn
        _WRITES[name] = writes
        return fn

    return register


def catalogue() -> dict[str, bool]:
    """Every registered action's name → whether it writes."""
    return dict(_WRITES)


def run_action(name: str, ctx: ActionContext, params: dict[str, Any]) -> dict[str, Any]:
    """Run the registered action `name`; unknown names are a flow definition error."""
    try:
        fn = ACTIONS[name]
    except KeyError:
        raise KeyError(f"unknown action {name!r}") from None
    return fn(ctx, params)
