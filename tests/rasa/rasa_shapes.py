"""Action calls in the shape Rasa 3.x sends them (rasa/core/actions/action.py, RemoteAction).

`{"next_action", "sender_id", "tracker", "domain", "version"}`, where the tracker is
`DialogueStateTracker.current_state(EventVerbosity.ALL)`: sender_id, slots,
latest_message (the parse data with message_id and metadata), latest_event_time,
followup_action, paused, stack, events, latest_input_channel, active_loop,
latest_action, latest_action_name. Events are Rasa's JSON events (`action`, `user`,
`slot`, `active_loop`).
"""

from __future__ import annotations

import itertools
from typing import Any

RASA_VERSION = "3.6.21"
_clock = itertools.count(1_764_600_000)


def user_event(text: str, intent: str, message_id: str, channel: str) -> dict[str, Any]:
    parse = parse_data(text, intent, message_id)
    return {
        "event": "user",
        "timestamp": float(next(_clock)),
        "metadata": {},
        "text": text,
        "parse_data": parse,
        "input_channel": channel,
        "message_id": message_id,
    }


def parse_data(text: str, intent: str, message_id: str) -> dict[str, Any]:
    return {
        "intent": {"name": intent, "confidence": 0.98},
        "entities": [],
        "text": text,
        "message_id": message_id,
        "metadata": {},
        "intent_ranking": [{"name": intent, "confidence": 0.98}],
    }


def slot_event(name: str, value: Any) -> dict[str, Any]:
    return {"event": "slot", "timestamp": float(next(_clock)), "name": name, "value": value}


def action_call(
    action: str,
    *,
    sender: str = "rasa-user-1",
    slots: dict[str, Any] | None = None,
    text: str = "ja, bitte",
    intent: str = "affirm",
    message_id: str = "5b3d6f1e0c",
    channel: str = "rest",
    active_loop: str | None = None,
    trailing_slot_events: bool = False,
    domain: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A `POST /webhook` body; with `trailing_slot_events` the slots end the event list,
    as when a form has just extracted them and calls its validation action."""
    slots = dict(slots or {})
    events: list[dict[str, Any]] = [
        {"event": "action", "timestamp": float(next(_clock)), "name": "action_session_start",
         "policy": None, "confidence": 1.0},
        {"event": "session_started", "timestamp": float(next(_clock))},
        {"event": "action", "timestamp": float(next(_clock)), "name": "action_listen",
         "policy": None, "confidence": None},
    ]
    if active_loop:
        events.append({"event": "active_loop", "timestamp": float(next(_clock)),
                       "name": active_loop})
    events.append(user_event(text, intent, message_id, channel))
    filled = [slot_event(k, v) for k, v in slots.items() if v is not None]
    if trailing_slot_events:
        events.extend(filled)
    else:
        events[3:3] = filled
    all_slots = {"requested_slot": None, **slots}
    return {
        "next_action": action,
        "sender_id": sender,
        "tracker": {
            "sender_id": sender,
            "slots": all_slots,
            "latest_message": parse_data(text, intent, message_id),
            "latest_event_time": events[-1]["timestamp"],
            "followup_action": None,
            "paused": False,
            "stack": [],
            "events": events,
            "latest_input_channel": channel,
            "active_loop": {"name": active_loop} if active_loop else {},
            "latest_action": {"action_name": "action_listen"},
            "latest_action_name": "action_listen",
        },
        "domain": domain or minimal_domain(),
        "version": RASA_VERSION,
    }


def minimal_domain() -> dict[str, Any]:
    """`Domain.as_dict()` of a small assistant that uses the city's actions."""
    return {
        "version": "3.1",
        "config": {"store_entities_as_slots": True},
        "session_config": {"session_expiration_time": 60, "carry_over_slots_to_new_session": True},
        "intents": ["affirm", "book_boat", "redeem_voucher"],
        "entities": [],
        "slots": {},
        "responses": {},
        "actions": ["action_search_boats", "action_book_boat", "action_redeem_voucher"],
        "forms": {"book_boat_form": {"required_slots": ["boat_type", "date", "time", "duration"]}},
        "e2e_actions": [],
    }
