"""The state keeps the buttons shown last, so a typed "2" or a button's title means the
same on every channel that shows buttons as a numbered list."""

from __future__ import annotations

from bot.core.messages import Button, Reply
from flows.state import State, load_state, remember_buttons, typed_choice

BOATS = [
    Button(title="Tretboot", payload="slot:boat_type=Tretboot"),
    Button(title="Ruderboot", payload="slot:boat_type=Ruderboot"),
]


def test_the_newest_reply_with_buttons_is_kept_and_a_turn_without_forgets_them() -> None:
    state = State()
    remember_buttons(state, [Reply(text="Welches Boot?", buttons=BOATS), Reply(text="Tipp")])
    assert state["buttons"] == [b.model_dump() for b in BOATS]
    assert typed_choice(state, " 2. ") == BOATS[1]
    assert typed_choice(state, "tretboot") == BOATS[0]
    assert typed_choice(state, "3") is None and typed_choice(state, "Kanu") is None
    remember_buttons(state, [Reply(text="Danke")])
    assert "buttons" not in state and typed_choice(state, "1") is None


def test_a_stored_state_is_read_as_it_was_written() -> None:
    stored = {"flows": [], "misunderstood": 1, "buttons": [b.model_dump() for b in BOATS]}
    state = load_state(stored)
    assert state == stored and state is not stored
    assert typed_choice(state, "1") == BOATS[0]
    assert load_state(None) == {}
