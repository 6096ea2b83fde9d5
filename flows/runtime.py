"""The flow runtime: walks a flow's steps for one turn and says what happened as events.

State is a stack of frames in `state["flows"]` (top last); `flows.state.Frame` says
what a frame holds.

A turn goes: cancel? → answer to a staff offer / confirmation / edit question? →
slot values from buttons, entities, media and typed text → side question? → not for
this flow (the dialogue routes it and the flow resumes afterwards) → re-ask with help.
Then `advance` runs steps until one needs the citizen, capped at `MAX_STEPS_PER_TURN`
so a flow that loops stops with an apology instead of hanging the conversation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.core.i18n import t
from bot.core.messages import Button
from flows.definition import Flow, Option, SlotDef, Step
from flows.events import ReplySent
from flows.filling import FillingMixin
from flows.run_base import (
    ESCAPE_INTENTS,
    MAX_BUTTONS,
    MAX_STACK,
    NOT_A_TOPIC_CHANGE,
    TOPIC_CHANGE_CONFIDENCE,
)
from flows.scope import ScopeMixin
from flows.slots import (
    is_word,
    match_option,
    parse_yes_no,
    starts_with_word,
)
from flows.state import Frame
from flows.steps import StepsMixin
from flows.summary import display


@dataclass
class FlowRun(StepsMixin, FillingMixin, ScopeMixin):
    """A turn's work on the flow stack: entry points and what an answer means per mode."""

    # --- entry points ----------------------------------------------------------------

    def start(self, name: str, preset: dict[str, Any] | None = None) -> None:
        """Start flow `name` on top of the stack, filling what the message already says."""
        if self.frame is not None and self.frame["flow"] == name:
            self.stack.pop()  # asked for the same thing again: start it afresh
        if len(self.stack) >= MAX_STACK:
            self.stack.pop(0)
        frame = self.new_frame(name, preset)
        self.stack.append(frame)
        before = dict(frame["slots"])
        _, problem = self.fill(frame, asked=None, strict=False)
        if problem:  # "am 31.4.": said before the first question, not dropped
            self.say(self.problem_text(problem))
        if self.turn.text and not self.turn.payload and self.side_question(self.flow_of(frame)):
            return  # "Was kostet ein Tretboot?" gets the price first, then the first question
        said = {n for n, v in frame["slots"].items() if v is not None and before.get(n) != v}
        mark = len(self.events)
        self.advance()
        top = self.frame
        replies = [e for e in self.events[mark:] if isinstance(e, ReplySent)]
        if (
            self.turn.text
            and top is not None
            and top.get("asking")
            and top.get("mode") is None
            and len(replies) == 1  # only the next question: no error or result said already
        ):
            # details of the first message are confirmed; at the summary they are listed anyway
            if top is frame:
                rest = {n: v for n, v in frame["slots"].items() if n not in said}
            else:  # switched (apply_service → the service's flow): all it was given is new
                rest = self.remembered(top["flow"])
            self.acknowledge(top, self.flow_of(top), rest, mark)

    def handle(self) -> bool:
        """Treat the turn as input to the open flow; False if it is not meant for it."""
        frame = self.frame
        assert frame is not None
        frame["updated"] = self.turn.now.isoformat()
        text, payload = self.turn.text, self.turn.payload or ""
        if (
            payload == "cancel"
            or (
                self.turn.intent == "cancel"
                and self.confident
                and not payload
                and not self.mentions_slot(frame)  # "kapper" answers, it does not cancel
            )
            or (text and is_word(text, "cancel"))
        ):
            self.cancel_all()
            return True
        mode = frame.get("mode")
        frame["mode"] = None
        if mode == "staff":
            answer = self.yes_no("staff")
            if answer is True:
                self.handoff(t("handoff.started", self.lang), "flow_failed")
                return True
            if answer is False:
                frame["fails"] = {}
                self.reprompt()
                return True
        if mode == "confirm":
            return self.at_confirm(frame)
        if mode == "edit":
            return self.at_edit(frame)
        return self.at_slot(frame)

    def reprompt(self) -> None:
        """Ask again what the top flow is waiting for (after a side question or a resume)."""
        frame = self.frame
        if frame is None:
            return
        asking = frame.get("asking")
        if frame.get("mode") == "confirm" or asking is None:
            frame["mode"] = None
            self.advance()
        else:
            self.ask(frame, asking)

    def cancel_all(self) -> None:
        self.state["flows"] = []
        self.say(t("cancelled", self.lang))

    # --- turn handling per mode ------------------------------------------------------

    def yes_no(self, prefix: str) -> bool | None:
        """A yes/no answer from a button (`prefix:yes`), typed words or the NLU."""
        payload = self.turn.payload or ""
        if payload in (f"{prefix}:yes", "intent:affirm"):
            return True
        if payload in (f"{prefix}:no", "intent:deny"):
            return False
        if self.turn.text:
            typed = parse_yes_no(self.turn.text)
            if typed is not None:
                return typed
        if self.confident and self.turn.intent in ("affirm", "deny"):
            return self.turn.intent == "affirm"
        return None

    def at_slot(self, frame: Frame) -> bool:
        flow = self.flow_of(frame)
        asked = frame.get("asking")
        payload = self.turn.payload or ""
        typed_skip = bool(asked and flow.slots[asked].optional and is_word(self.turn.text, "skip"))
        if asked is not None and (typed_skip or payload == f"skip:{asked}"):
            frame["slots"][asked] = None
            frame["asking"] = None
            self.advance()
            return True
        if asked and flow.slots[asked].type != "text" and self.side_question(flow):
            return True
        if asked and self.topic_change(flow):
            return False
        before = dict(frame["slots"])
        filled, problem = self.fill(frame, asked=asked, strict=False)
        if filled:
            if problem:
                self.say(self.problem_text(problem))
            frame["asking"] = None
            mark = len(self.events)
            self.advance()
            if not problem and asked and self.frame is frame and frame.get("asking") == asked:
                self.acknowledge(frame, flow, before, mark)  # the same question comes again
            return True
        if not asked:
            return False
        if self.side_question(flow):
            return True
        if self.otherwise(frame, flow, flow.slots[asked]):
            return True
        if not problem and self.confident and self.turn.intent not in NOT_A_TOPIC_CHANGE:
            return False
        self.reask(frame, asked, problem)
        return True

    def mentions_slot(self, frame: Frame) -> bool:
        """True if the NLU found an entity one of the open flow's slots reads."""
        flow = self.flow_of(frame)
        return any(
            self.turn.entities(entity) for slot in flow.slots.values() for entity in slot.entities
        )

    def acknowledge(
        self, frame: Frame, flow: Flow, before: dict[str, Any], mark: int
    ) -> None:
        """Say what a message filled besides the question asked ("morgen um 11 für eine
        Stunde" while the boat is asked, or the details of the message that started the
        flow), so the citizen sees it was not ignored and can correct a misreading."""
        new = [
            name
            for name, value in frame["slots"].items()
            if name in flow.slots and value is not None and before.get(name) != value
            if flow.slots[name].in_summary
        ]
        if not new:
            return
        parts = []
        for name in new:
            slot = flow.slots[name]
            value = display(slot, frame["slots"][name], self.lang, self.options(frame, slot))
            parts.append(f"{slot.label[self.lang]}: {value}")
        details = " · ".join(parts)
        self.say(t("flow.noted", self.lang, details=details))
        self.events.insert(mark, self.events.pop())

    def otherwise(self, frame: Frame, flow: Flow, slot: SlotDef) -> bool:
        """A typed answer that is none of the listed options becomes a new search term
        ("Eiscafé am Schloss" when only the first eight cafés were listed)."""
        target = slot.otherwise
        text = (self.turn.text or "").strip()
        if target is None or not text or self.turn.payload or text.isdigit():
            return False
        if starts_with_word(text, "affirm") or starts_with_word(text, "deny"):
            return False  # "ja" to a list is no search term (it once found "Eiscafé Jan")
        frame["slots"][target.slot] = text
        frame["slots"].pop(slot.name, None)
        frame["asking"] = None
        frame["step"] = flow.step_index(target.goto)
        self.advance()
        return True

    def topic_change(self, flow: Flow, text_slot_only: bool = True) -> bool:
        """True when the message clearly starts another flow and carries nothing for this one.

        Checked before a free-text slot takes the message (a text slot accepts anything)
        and at the summary; other slots simply fail to parse and the dialogue reroutes."""
        intent = self.turn.intent
        owner = next((f for f in self.flows.values() if intent in f.intents), None)
        if intent in ESCAPE_INTENTS:
            owner = None if self.turn.confidence < TOPIC_CHANGE_CONFIDENCE else flow
        asked = self.frame.get("asking") if self.frame else None
        if text_slot_only and (asked is None or flow.slots[asked].type != "text"):
            return False
        mentions = any(
            self.turn.entities(entity) for slot in flow.slots.values() for entity in slot.entities
        )
        return (
            owner is not None
            and (owner.name != flow.name or intent in ESCAPE_INTENTS)
            and self.turn.confidence >= TOPIC_CHANGE_CONFIDENCE
            and not self.turn.payload
            and not mentions
        )

    def at_confirm(self, frame: Frame) -> bool:
        flow = self.flow_of(frame)
        step = flow.steps[frame["step"]]
        changed, problem = self.fill(frame, asked=None, strict=True)
        if changed:
            if problem:
                self.say(self.problem_text(problem))
            self.restart_after_change(frame, flow, step)
            return True
        answer = self.yes_no("confirm")
        if answer is True:
            frame["confirmed"] = frame["step"]
            self.advance()
            return True
        if answer is False or (self.turn.text and starts_with_word(self.turn.text, "change")):
            self.ask_what_to_change(frame, flow, step)
            return True
        if self.side_question(flow):
            frame["mode"] = "confirm"
            return True
        if self.topic_change(flow, text_slot_only=False):
            frame["mode"] = "confirm"  # shown again when the other flow is done
            return False
        if problem:
            self.say(self.problem_text(problem))
        self.advance()  # shows the summary again with its buttons
        return True

    def restart_after_change(self, frame: Frame, flow: Flow, step: Step) -> None:
        """After a correction, re-run from the confirm step's `restart` (checks, prices)."""
        frame["step"] = flow.step_index(step.restart) if step.restart else 0
        self.advance()

    def ask_what_to_change(self, frame: Frame, flow: Flow, step: Step) -> None:
        names = self.summary_slots(frame, flow, step)
        frame["mode"] = "edit"
        buttons = [
            Button(title=flow.slots[n].label[self.lang], payload=f"edit:{n}") for n in names
        ][:MAX_BUTTONS]
        self.say(t("flow.what_to_change", self.lang), buttons)

    def at_edit(self, frame: Frame) -> bool:
        flow = self.flow_of(frame)
        step = flow.steps[frame["step"]]
        names = self.summary_slots(frame, flow, step)
        payload = self.turn.payload or ""
        chosen = payload[5:] if payload.startswith("edit:") and payload[5:] in names else None
        if chosen is None and self.turn.text:
            options = [Option(n, flow.slots[n].label) for n in names]
            chosen = match_option(self.turn.text, options)
        if chosen is None:
            changed, _problem = self.fill(frame, asked=None, strict=True)
            if changed:
                self.restart_after_change(frame, flow, step)
                return True
            frame["mode"] = "edit"
            self.say(t("flow.what_to_change", self.lang), self.edit_buttons(flow, names))
            return True
        frame["slots"].pop(chosen, None)
        frame["step"] = flow.step_index(step.restart) if step.restart else 0
        self.ask(frame, chosen)
        return True

    def edit_buttons(self, flow: Flow, names: list[str]) -> list[Button]:
        return [Button(title=flow.slots[n].label[self.lang], payload=f"edit:{n}") for n in names][
            :MAX_BUTTONS
        ]

    def summary_slots(self, frame: Frame, flow: Flow, step: Step) -> list[str]:
        names = step.slots or tuple(flow.slots)
        return [n for n in names if frame["slots"].get(n) is not None and flow.slots[n].in_summary]

    def asked_about(self, frame: Frame, flow: Flow) -> Frame:
        """The frame as the side question sees it: an option the question names ("Was
        kostet ein Ruderboot?" while a pedal boat is chosen) is what it asks about; the
        citizen's answers stay as they were."""
        named = {
            name: value
            for name, value in self.candidates(frame, flow, None, False).items()
            if value is not None and flow.slots[name].type == "choice"
        }
        if not named:
            return frame
        return {**frame, "slots": {**frame["slots"], **named}, "vars": dict(frame["vars"])}

    def side_question(self, flow: Flow) -> bool:
        """Answer a question the flow knows ("was kostet das?") and re-ask the open slot."""
        low = (self.turn.text or "").lower()
        words = set(re.findall(r"[\wäöüß]+", low))
        for question in flow.side_questions:
            hit = any(k in words or (" " in k and k in low) for k in question.keywords) or (
                self.turn.intent in question.intents and self.confident
            )
            if hit:
                frame = self.frame
                assert frame is not None
                self.run_steps(self.asked_about(frame, flow), flow, question.steps)
                self.reprompt()
                return True
        return False
