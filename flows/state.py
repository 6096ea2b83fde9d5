"""The conversation state the dialogue keeps between turns, as types.

The state is the JSON the engine stores in `conversation.state`: the flow stack, the
counters and offers of the dialogue, what the citizen answered last and the buttons
shown last. It is typed with `TypedDict`s rather than dataclasses or pydantic models
because the state *is* that JSON: the runtime changes it in place during a turn and the
engine stores it as it is, so a type checker knows every key and its type (a misspelt
key or a mode that does not exist fails `make lint`) while nothing is converted on the
way in or out: the stored JSON stays exactly what it was (no migration), and a turn
pays nothing for the types. A model class would be parsed and dumped on every turn,
and a field added without updating the dump would be lost silently.

The state is written only by this code, so stored JSON is trusted as it is
(`load_state`); frames of flows that no longer exist are dropped by the dialogue.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal, NotRequired, TypedDict, cast

from bot.core.messages import Button, Reply

# What the top frame waits for besides a slot value: yes/no at the summary, which
# answer to change, or whether to hand over to staff after failed answers.
Mode = Literal["confirm", "edit", "staff"]
# What the dialogue waits for outside a flow: yes/no to "shall I get a colleague?".
Awaiting = Literal["handoff_offer"]


class StoredOption(TypedDict):
    """One option of a choice read from the backend when it was asked."""

    value: str
    title: str
    item: Any  # the backend's item, for `{slot_item.…}` templates


class Frame(TypedDict):
    """One running flow; the stack's top is the one the citizen is talking to."""

    flow: str
    step: int  # index into the flow's steps
    slots: dict[str, Any]  # filled values (None: skipped)
    vars: dict[str, Any]  # saved action results and `set` variables
    asking: str | None  # the slot asked last
    mode: Mode | None
    fails: dict[str, int]  # failed answers per slot
    options: dict[str, list[StoredOption]]  # per `options_from` slot
    updated: str  # ISO time of the frame's last turn (for expiry)
    confirmed: NotRequired[int]  # the confirm step just answered "yes"
    confirm_text: NotRequired[str]  # the summary shown, kept as a consent's wording


class Answered(TypedDict):
    """The last flow that answered a question (no confirm step), for follow-ups
    ("und am Sonntag?")."""

    flow: str
    slots: dict[str, Any]


class ShownButton(TypedDict):
    title: str
    payload: str


class State(TypedDict, total=False):
    """A conversation's state; every key may be missing (a new conversation is `{}`)."""

    flows: list[Frame]  # the flow stack, top last
    misunderstood: int  # misunderstandings in a row
    awaiting: Awaiting
    clarify: list[str]  # intents offered in "Meinten Sie …?"
    memory: dict[str, Any]  # slots flows `remember` for later flows
    answered: Answered
    buttons: list[ShownButton]  # the buttons of the newest reply that had any


def load_state(raw: Mapping[str, Any] | None) -> State:
    """A stored state as the dialogue's type (a copy: the caller's stays untouched)."""
    return cast(State, dict(raw or {}))


def remember_buttons(state: State, replies: Iterable[Reply]) -> None:
    """Keep the buttons of the newest of `replies` that has any (none: forget them), so
    a typed "2" or a button's title can be resolved on the next turn (`typed_choice`)."""
    shown: list[ShownButton] = []
    for reply in replies:
        if reply.buttons:
            shown = [{"title": b.title, "payload": b.payload} for b in reply.buttons]
    if shown:
        state["buttons"] = shown
    else:
        state.pop("buttons", None)


def typed_choice(state: Mapping[str, Any], text: str) -> Button | None:
    """The button a typed answer means among the last ones shown: its number in the
    list, or its exact title (channels that show buttons as a numbered list)."""
    answer = text.strip().rstrip(".").casefold()
    buttons = state.get("buttons") or []
    if not answer or len(answer) > 100 or not buttons:
        return None
    if answer.isdigit() and 1 <= int(answer) <= len(buttons):
        return Button(**buttons[int(answer) - 1])
    return next((Button(**b) for b in buttons if b["title"].casefold() == answer), None)
