"""The flow runtime: walks a flow's steps for one turn and says what happened as events.

State is a stack of frames in `state["flows"]` (top last), each a JSON dict:

    {"flow": "book_boat", "step": 0, "slots": {...}, "vars": {...}, "asking": "date",
     "mode": null | "confirm" | "edit" | "staff", "fails": {"date": 1},
     "options": {"merchant_id": [{"value": "17", "title": "Eiscafé"}]}, "updated": ISO}

A turn goes: cancel? → answer to a staff offer / confirmation / edit question? →
slot values from buttons, entities, media and typed text → side question? → not for
this flow (the dialogue routes it and the flow resumes afterwards) → re-ask with help.
Then `advance` runs steps until one needs the citizen, capped at `MAX_STEPS_PER_TURN`
so a flow that loops stops with an apology instead of hanging the conversation.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

from actions.registry import ActionError
from bot.i18n import catalog, t
from bot.messages import Button, Reply
from flows.definition import Condition, ErrorHandler, Flow, Option, SlotDef, Step
from flows.events import ConsentChanged, Event, HandoffRequested, ReplySent
from flows.slots import (
    Problem,
    from_entity,
    from_media,
    is_word,
    match_option,
    parse_text,
    parse_yes_no,
    starts_with_word,
    validate,
)
from flows.summary import (
    MISSING,
    TEMPLATE_RE,
    apply_filter,
    lookup,
    render,
    slot_scope,
    summary_lines,
)
from flows.turn import Services, Turn

log = logging.getLogger(__name__)

MAX_STEPS_PER_TURN = 50
MAX_FAILS = 3
MAX_STACK = 3
MAX_BUTTONS = 8
# Slot types whose typed form is distinctive enough to read as a correction at the summary.
CORRECTABLE_TYPES = ("date", "time", "datetime", "reference", "email")
NOT_A_TOPIC_CHANGE = frozenset({"affirm", "deny", "out_of_scope", "cancel", "thanks"})
TOPIC_CHANGE_CONFIDENCE = 0.85
# Intents without a flow that still leave a free-text question ("Mitarbeiter bitte").
ESCAPE_INTENTS = frozenset({"human_handoff"})


class FlowLoopError(RuntimeError):
    """A flow ran more steps in one turn than any sensible flow needs."""


@dataclass
class FlowRun:
    """One turn's work on the flow stack; collects events, mutates `state` in place."""

    flows: dict[str, Flow]
    state: dict[str, Any]
    turn: Turn
    services: Services
    lang: str
    threshold: float
    events: list[Event] = field(default_factory=list)

    # --- stack helpers ---------------------------------------------------------------

    @property
    def stack(self) -> list[dict[str, Any]]:
        return self.state.setdefault("flows", [])

    @property
    def frame(self) -> dict[str, Any] | None:
        return self.stack[-1] if self.stack else None

    def flow_of(self, frame: dict[str, Any]) -> Flow:
        return self.flows[frame["flow"]]

    def say(self, text: str, buttons: list[Button] | None = None, image: str | None = None) -> None:
        self.events.append(ReplySent(Reply(text=text, buttons=buttons or [], image_url=image)))

    def new_frame(self, name: str, preset: dict[str, Any] | None = None) -> dict[str, Any]:
        """A fresh frame; remembered slots (a voucher code given earlier) are filled in."""
        memory = self.state.get("memory") or {}
        slots = {k: memory[k] for k in self.flows[name].remember if k in memory}
        return {
            "flow": name,
            "step": 0,
            "slots": {**slots, **(preset or {})},
            "vars": {},
            "asking": None,
            "mode": None,
            "fails": {},
            "options": {},
            "updated": self.turn.now.isoformat(),
        }

    # --- entry points ----------------------------------------------------------------

    def start(self, name: str, preset: dict[str, Any] | None = None) -> None:
        """Start flow `name` on top of the stack, filling what the message already says."""
        if len(self.stack) >= MAX_STACK:
            self.stack.pop(0)
        frame = self.new_frame(name, preset)
        self.stack.append(frame)
        self.fill(frame, asked=None, strict=False)
        self.advance()

    def handle(self) -> bool:
        """Treat the turn as input to the open flow; False if it is not meant for it."""
        frame = self.frame
        assert frame is not None
        frame["updated"] = self.turn.now.isoformat()
        text, payload = self.turn.text, self.turn.payload or ""
        if (
            payload == "cancel"
            or (self.turn.intent == "cancel" and self.confident and not payload)
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
        if frame.get("mode") == "confirm" or frame.get("asking") is None:
            frame["mode"] = None
            self.advance()
        else:
            self.ask(frame, frame["asking"])

    def cancel_all(self) -> None:
        self.state["flows"] = []
        self.say(t("cancelled", self.lang))

    # --- turn handling per mode ------------------------------------------------------

    @property
    def confident(self) -> bool:
        return self.turn.confidence >= self.threshold

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

    def at_slot(self, frame: dict[str, Any]) -> bool:
        flow = self.flow_of(frame)
        asked = frame.get("asking")
        payload = self.turn.payload or ""
        typed_skip = bool(asked and flow.slots[asked].optional and is_word(self.turn.text, "skip"))
        if typed_skip or (payload.startswith("skip:") and payload[5:] == asked):
            frame["slots"][asked] = None
            frame["asking"] = None
            self.advance()
            return True
        if asked and flow.slots[asked].type != "text" and self.side_question(flow):
            return True
        if asked and self.topic_change(flow):
            return False
        filled, problem = self.fill(frame, asked=asked, strict=False)
        if filled:
            if problem:
                self.say(self.problem_text(problem))
            frame["asking"] = None
            self.advance()
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

    def otherwise(self, frame: dict[str, Any], flow: Flow, slot: SlotDef) -> bool:
        """A typed answer that is none of the listed options becomes a new search term
        ("Eiscafé am Schloss" when only the first eight cafés were listed)."""
        target = slot.otherwise
        text = (self.turn.text or "").strip()
        if target is None or not text or self.turn.payload or text.isdigit():
            return False
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

    def at_confirm(self, frame: dict[str, Any]) -> bool:
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

    def restart_after_change(self, frame: dict[str, Any], flow: Flow, step: Step) -> None:
        """After a correction, re-run from the confirm step's `restart` (checks, prices)."""
        frame["step"] = flow.step_index(step.restart) if step.restart else 0
        self.advance()

    def ask_what_to_change(self, frame: dict[str, Any], flow: Flow, step: Step) -> None:
        names = self.summary_slots(frame, flow, step)
        frame["mode"] = "edit"
        buttons = [
            Button(title=flow.slots[n].label[self.lang], payload=f"edit:{n}") for n in names
        ][:MAX_BUTTONS]
        self.say(t("flow.what_to_change", self.lang), buttons)

    def at_edit(self, frame: dict[str, Any]) -> bool:
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

    def summary_slots(self, frame: dict[str, Any], flow: Flow, step: Step) -> list[str]:
        names = step.slots or tuple(flow.slots)
        return [n for n in names if frame["slots"].get(n) is not None and flow.slots[n].in_summary]

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
                self.run_steps(frame, flow, question.steps)
                self.reprompt()
                return True
        return False

    # --- filling slots ---------------------------------------------------------------

    def fill(
        self, frame: dict[str, Any], asked: str | None, strict: bool
    ) -> tuple[bool, Problem | None]:
        """Take every slot value the turn offers; returns (asked slot or any slot changed,
        the first problem). `strict` (at the summary) reads only distinctive typed forms."""
        flow = self.flow_of(frame)
        candidates = self.candidates(frame, flow, asked, strict)
        changed_any, asked_filled, problem = False, False, None
        for name, value in candidates.items():
            slot = flow.slots[name]
            issue = validate(slot, value, self.turn.now) if value is not None else None
            if issue:
                problem = problem or issue
                if name == asked:
                    problem = issue
                continue
            if not strict and name != asked and frame["slots"].get(name) is not None:
                continue  # an answer to one question does not overwrite earlier answers
            if frame["slots"].get(name) != value or name not in frame["slots"]:
                frame["slots"][name] = value
                changed_any = True
            if name == asked:
                asked_filled = True
        return asked_filled or changed_any, problem

    def candidates(
        self, frame: dict[str, Any], flow: Flow, asked: str | None, strict: bool
    ) -> dict[str, Any]:
        """Slot values found in the turn, by precedence: button, entity, media, typed text."""
        found: dict[str, Any] = {}
        payload = self.turn.payload or ""
        if m := re.fullmatch(r"slot:(\w+)=(.*)", payload):
            name, raw = m[1], m[2]
            if name in flow.slots:
                slot = flow.slots[name]
                value = parse_text(slot, raw, self.options(frame, slot), self.turn.now)
                found[name] = raw if value is None and slot.type == "choice" else value
            return found
        for name, slot in flow.slots.items():
            if slot.when and not self.holds(frame, slot.when):
                continue
            opts = self.options(frame, slot) if slot.type == "choice" else []
            for entity in slot.entities:
                values = self.turn.entities(entity)
                if values:
                    value = from_entity(slot, values[0], opts)
                    if value is not None:
                        found[name] = value
                        break
            media = from_media(slot, self.turn.media, self.turn.location)
            if media is not None:
                found[name] = media
            elif slot.type == "choice" and name not in found and name != asked and self.turn.text:
                value = self.choice_mention(slot, opts)
                if value is not None:
                    found[name] = value
        text = self.turn.text
        if asked and flow.slots[asked].type == "location" and self.turn.location is None:
            found.pop(asked, None)  # "Marktstraße 5" says more than the street entity in it
        if (
            text
            and asked
            and asked not in found
            and not self.sibling_answered(frame, flow, asked, found)
        ):
            slot = flow.slots[asked]
            value = parse_text(slot, text, self.options(frame, slot), self.turn.now)
            if value is not None:
                found[asked] = value
        for name, slot in flow.slots.items():
            if text and slot.scan and name not in found and name != asked:
                value = parse_text(slot, text, [], self.turn.now)
                if value is not None:
                    found[name] = value
        if text and asked and flow.slots[asked].pattern:
            found.update(self.pattern_neighbours(frame, flow, asked, found))
        if strict and text:
            for name, slot in flow.slots.items():
                if name not in found and slot.type in CORRECTABLE_TYPES and name in frame["slots"]:
                    value = parse_text(slot, text, [], self.turn.now)
                    if value is not None:
                        found[name] = value
        return found

    def sibling_answered(
        self, frame: dict[str, Any], flow: Flow, asked: str, found: dict[str, Any]
    ) -> bool:
        """True if an entity answered another slot of the open `collect` step, so free text
        is not also taken for the asked one ("In einem Café" is a category, not a name)."""
        if flow.slots[asked].type != "text" or flow.slots[asked].pattern:
            return False
        step = flow.steps[frame["step"]] if frame["step"] < len(flow.steps) else None
        if step is None or step.kind != "collect":
            return False
        return any(
            name in found and frame["slots"].get(name) is None
            for name in step.slots
            if name != asked
        )

    def pattern_neighbours(
        self, frame: dict[str, Any], flow: Flow, asked: str, found: dict[str, Any]
    ) -> dict[str, Any]:
        """ "Marktstraße 12" at the street prompt also fills the house number: other empty
        patterned text slots of the same `collect` step take what matches their pattern."""
        step = flow.steps[frame["step"]] if frame["step"] < len(flow.steps) else None
        if step is None or step.kind != "collect":
            return {}
        extra: dict[str, Any] = {}
        for name in step.slots:
            slot = flow.slots[name]
            if name == asked or name in found or name in frame["slots"] or not slot.pattern:
                continue
            if slot.type == "text":
                value = parse_text(slot, self.turn.text, [], self.turn.now)
                if value is not None:
                    extra[name] = value
        return extra

    def choice_mention(self, slot: SlotDef, options: list[Option]) -> str | None:
        """An option named as a whole word in a longer message ("Tretboot morgen")."""
        words = set(re.findall(r"[\wäöüß-]+", (self.turn.text or "").lower()))
        hits = {
            o.value
            for o in options
            for name in (o.value, *o.title.values(), *o.synonyms)
            if " " not in name and len(name) > 3 and name.lower() in words
        }
        return hits.pop() if len(hits) == 1 else None

    def options(self, frame: dict[str, Any], slot: SlotDef) -> list[Option]:
        """A choice's allowed values: fixed in YAML or read when the slot was asked."""
        if slot.options_from is None:
            return list(slot.options)
        stored = frame.get("options", {}).get(slot.name, [])
        return [
            Option(o["value"], {lang: o["title"] for lang in ("de", "en", "nl")}) for o in stored
        ]

    def load_options(self, frame: dict[str, Any], slot: SlotDef) -> list[Option]:
        source = slot.options_from
        assert source is not None
        if source.action:
            params = self.params(frame, source.params)
            try:
                data: Any = self.services.run_action(source.action, params)
            except ActionError as exc:
                log.info("options for %s: %s", slot.name, exc.code)
                data = {}
        else:
            data = self.scope_raw(frame)
        items = lookup(source.list_path, data)
        items = items if isinstance(items, list) else []
        stored = [
            {
                "value": render(source.value_key, {"item": item, "index": i}, self.lang)[:40],
                "title": render(source.title_key, {"item": item, "index": i}, self.lang),
                "item": item,
            }
            for i, item in enumerate(items[: source.limit], 1)
        ]
        frame.setdefault("options", {})[slot.name] = stored
        return self.options(frame, slot)

    # --- asking ----------------------------------------------------------------------

    def ask(self, frame: dict[str, Any], name: str) -> None:
        flow = self.flow_of(frame)
        slot = flow.slots[name]
        frame["asking"] = name
        options = self.load_options(frame, slot) if slot.options_from else list(slot.options)
        text = render(slot.prompt[self.lang], self.scope(frame), self.lang)
        if slot.type == "choice" and slot.options_from:
            text += "\n" + "\n".join(f"{i}. {o.title[self.lang]}" for i, o in enumerate(options, 1))
        self.say(text, self.prompt_buttons(slot, options))

    def prompt_buttons(self, slot: SlotDef, options: list[Option]) -> list[Button]:
        if slot.buttons:
            buttons = [Button(title=b.title[self.lang], payload=b.payload) for b in slot.buttons]
        elif slot.type == "choice":
            buttons = [
                Button(title=o.title[self.lang][:60], payload=f"slot:{slot.name}={o.value}"[:64])
                for o in options
            ]
        elif slot.type == "yes_no":
            buttons = [
                Button(title=t("word.yes", self.lang), payload=f"slot:{slot.name}=ja"),
                Button(title=t("word.no", self.lang), payload=f"slot:{slot.name}=nein"),
            ]
        else:
            buttons = []
        if slot.optional:
            buttons.append(Button(title=t("flow.skip", self.lang), payload=f"skip:{slot.name}"))
        return buttons[:MAX_BUTTONS]

    def reask(self, frame: dict[str, Any], name: str, problem: Problem | None) -> None:
        """Explain what was wrong, ask again, and offer staff after the third failure."""
        flow = self.flow_of(frame)
        slot = flow.slots[name]
        fails = frame.setdefault("fails", {})
        fails[name] = int(fails.get(name, 0)) + 1
        if problem:
            self.say(self.problem_text(problem))
        elif slot.invalid:
            self.say(render(slot.invalid[self.lang], self.scope(frame), self.lang))
        else:
            self.say(t(f"slot.invalid.{slot.type}", self.lang))
        if fails[name] >= MAX_FAILS:
            frame["mode"] = "staff"
            self.say(
                t("flow.staff_offer", self.lang),
                [
                    Button(title=t("handoff.offer.yes", self.lang), payload="staff:yes"),
                    Button(title=t("flow.try_again", self.lang), payload="staff:no"),
                ],
            )
            return
        self.ask(frame, name)

    def problem_text(self, problem: Problem) -> str:
        return t(problem.key, self.lang, **problem.params)

    # --- scopes and conditions -------------------------------------------------------

    def scope_raw(self, frame: dict[str, Any]) -> dict[str, Any]:
        """Variables and stored slot values; `<slot>_item` is the chosen option's data."""
        chosen = {
            f"{name}_item": option.get("item")
            for name, options in frame.get("options", {}).items()
            for option in options
            if frame["slots"].get(name) == option["value"]
        }
        return {**frame.get("vars", {}), **chosen, **frame["slots"]}

    def scope(self, frame: dict[str, Any]) -> dict[str, Any]:
        """Slots as displayed text, results as data, and `raw` for the stored slot values."""
        flow = self.flow_of(frame)
        options = {
            n: self.options(frame, s) for n, s in flow.slots.items() if s.options_from is not None
        }
        shown = slot_scope(
            flow, {k: v for k, v in frame["slots"].items() if v is not None}, self.lang, options
        )
        return {**self.scope_raw(frame), **shown, "raw": dict(frame["slots"])}

    def holds(self, frame: dict[str, Any], condition: Condition) -> bool:
        value = lookup(condition.value, self.scope_raw(frame))
        value = None if value is MISSING else value
        operand = condition.operand
        if isinstance(operand, str) and (ref := TEMPLATE_RE.fullmatch(operand)):
            operand = lookup(ref[1], self.scope_raw(frame))  # compare with another value
        if condition.op == "empty":
            return (value in (None, "", [], {})) == bool(operand)
        if condition.op == "equals":
            return value == operand
        if condition.op == "not_equals":
            return value != operand
        if condition.op == "in":
            return value in (operand or [])
        try:
            if condition.op == "lt":
                return value is not None and float(value) < float(operand)
            return value is not None and float(value) > float(operand)
        except (TypeError, ValueError):
            return False

    def params(self, frame: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
        """Action parameters: a lone `{path}` keeps the value's type; missing ones are left out."""
        scope = self.scope_raw(frame)
        result: dict[str, Any] = {}
        for key, template in spec.items():
            value = self.param(template, scope)
            if value is not MISSING:
                result[key] = value
        return result

    def param(self, template: Any, scope: dict[str, Any]) -> Any:
        if isinstance(template, dict):
            nested = {k: self.param(v, scope) for k, v in template.items()}
            return {k: v for k, v in nested.items() if v is not MISSING}
        if not isinstance(template, str):
            return template
        whole = TEMPLATE_RE.fullmatch(template)
        if whole:
            value = lookup(whole[1], scope)
            if value is None or value is MISSING:
                return MISSING
            return apply_filter(whole[2], value, self.lang) if whole[2] else value
        return render(template, scope, self.lang)

    # --- walking steps ---------------------------------------------------------------

    def advance(self) -> None:
        """Run steps of the top flow until one waits for the citizen or the stack is empty."""
        for _ in range(MAX_STEPS_PER_TURN):
            frame = self.frame
            if frame is None:
                return
            flow = self.flow_of(frame)
            if frame["step"] >= len(flow.steps):
                self.finish()
                if self.frame is None:
                    return
                self.say(
                    t("flow.resume", self.lang, title=self.flow_of(self.frame).title[self.lang])
                )
                self.reprompt()
                return
            if self.run_step(frame, flow, flow.steps[frame["step"]]) == "wait":
                return
        self.loop_detected()

    def loop_detected(self) -> None:
        frame = self.frame
        name = frame["flow"] if frame else "?"
        log.error("flow %s exceeded %d steps in one turn; stopped", name, MAX_STEPS_PER_TURN)
        self.state["flows"] = []
        self.say(t("flow.error", self.lang))

    def run_steps(self, frame: dict[str, Any], flow: Flow, steps: tuple[Step, ...]) -> None:
        """Run a side question's steps (no waiting, no jumps) with the frame's data."""
        for step in steps:
            if step.when and not self.holds(frame, step.when):
                continue
            if step.kind == "action":
                self.call(frame, flow, step)
            elif step.kind == "say":
                self.say_step(frame, step)

    def finish(self) -> None:
        """Pop the finished flow, keeping the slots it wants remembered."""
        frame = self.stack.pop()
        for name in self.flow_of(frame).remember:
            if frame["slots"].get(name) is not None:
                self.state.setdefault("memory", {})[name] = frame["slots"][name]

    def jump(self, frame: dict[str, Any], flow: Flow, target: str | None) -> None:
        frame["step"] = flow.step_index(target) if target else frame["step"] + 1

    def run_step(self, frame: dict[str, Any], flow: Flow, step: Step) -> str:
        """Execute one step; returns "wait" when the citizen has to answer first."""
        if step.kind != "branch" and step.when and not self.holds(frame, step.when):
            frame["step"] += 1
            return "next"
        kind = step.kind
        if kind == "collect":
            missing = self.next_missing(frame, flow, step)
            if missing and self.auto_pick(frame, flow.slots[missing]):
                return "next"
            if missing:
                self.ask(frame, missing)
                return "wait"
        elif kind == "action":
            if not self.call(frame, flow, step):
                return "next"  # the error handler moved the frame or ended the flow
        elif kind == "branch":
            assert step.when is not None
            self.jump(frame, flow, step.goto if self.holds(frame, step.when) else None)
            return "next"
        elif kind == "confirm":
            if frame.pop("confirmed", None) != frame["step"]:
                self.show_summary(frame, flow, step)
                return "wait"
        elif kind == "say":
            self.say_step(frame, step)
        elif kind == "describe":
            self.describe(frame, step)
        elif kind == "handoff":
            self.say_step(frame, step)
            self.events.append(HandoffRequested(reason=f"flow:{flow.name}"))
            self.state["flows"] = []
            return "wait"
        elif kind == "start_flow":
            return self.switch_flow(frame, step)
        elif kind == "consent":
            self.events.append(ConsentChanged(broadcasts=bool(step.set.get("consent"))))
        elif kind == "end":
            frame["step"] = len(flow.steps)
            return "next"
        self.after(frame, flow, step)
        return "next"

    def auto_pick(self, frame: dict[str, Any], slot: SlotDef) -> bool:
        """A choice read from the backend with exactly one option needs no question."""
        if slot.type != "choice" or slot.options_from is None:
            return False
        options = self.load_options(frame, slot)
        if len(options) != 1:
            return False
        frame["slots"][slot.name] = options[0].value
        return True

    def after(self, frame: dict[str, Any], flow: Flow, step: Step) -> None:
        """Common tail of a step: clear slots, set variables, go to the next or named step."""
        scope = self.scope_raw(frame)
        for name, template in step.assign.items():
            value = self.param(template, scope)
            if value is not MISSING:
                frame["slots"][name] = value
        for name in step.clear:
            frame["slots"].pop(name, None)
        for key, value in step.set.items():
            if key != "consent":
                frame["vars"][key] = value
        self.jump(frame, flow, step.goto if step.kind != "branch" else None)

    def next_missing(self, frame: dict[str, Any], flow: Flow, step: Step) -> str | None:
        wanted = [
            n
            for n in step.slots
            if not (flow.slots[n].when and not self.holds(frame, flow.slots[n].when))  # type: ignore[arg-type]
        ]
        filled = [n for n in wanted if n in frame["slots"]]
        if step.any_of and filled:
            return None
        return next((n for n in wanted if n not in frame["slots"]), None)

    def call(self, frame: dict[str, Any], flow: Flow, step: Step) -> bool:
        """Run the step's action; on an expected error apply its handler. True on success."""
        assert step.action is not None
        try:
            result = self.services.run_action(step.action, self.params(frame, step.params))
        except ActionError as exc:
            self.on_error(frame, flow, step, exc)
            return False
        if step.save_as:
            frame["vars"][step.save_as] = result
        return True

    def on_error(self, frame: dict[str, Any], flow: Flow, step: Step, exc: ActionError) -> None:
        handler = step.on_error.get(exc.code) or step.on_error.get("default")
        scope = {**self.scope(frame), "error": {"code": exc.code, **exc.details}}
        if handler is None:
            key = f"action.error.{exc.code}"
            self.say(t(key if key in catalog("de") else "action.failed", self.lang))
            frame["step"] = len(flow.steps)
            return
        if handler.say:
            self.say(render(handler.say[self.lang], scope, self.lang))
        for name in handler.clear:
            frame["slots"].pop(name, None)
        frame["vars"].update(handler.set)
        if handler.handoff:
            self.events.append(HandoffRequested(reason=f"flow:{flow.name}:{exc.code}"))
            self.state["flows"] = []
            return
        self.after_error(frame, flow, handler)

    def after_error(self, frame: dict[str, Any], flow: Flow, handler: ErrorHandler) -> None:
        """Go where the handler says; after clearing slots, back to where they are asked."""
        if handler.goto:
            frame["step"] = flow.step_index(handler.goto)
        elif handler.clear:
            frame["step"] = next(
                (
                    i
                    for i, s in enumerate(flow.steps)
                    if s.kind == "collect" and set(s.slots) & set(handler.clear)
                ),
                0,
            )
        else:
            frame["step"] = len(flow.steps)

    def show_summary(self, frame: dict[str, Any], flow: Flow, step: Step) -> None:
        assert step.say is not None
        scope = self.scope(frame)
        options = {n: self.options(frame, s) for n, s in flow.slots.items()}
        lines = summary_lines(flow, step.slots, frame["slots"], self.lang, options)
        text = render(step.say[self.lang], {**scope, "summary": lines}, self.lang)
        if "{summary}" not in step.say[self.lang]:
            text = f"{text}\n{lines}"
        frame["mode"] = "confirm"
        frame["asking"] = None
        buttons = [Button(title=b.title[self.lang], payload=b.payload) for b in step.buttons] or [
            Button(title=t("confirm.yes", self.lang), payload="confirm:yes"),
            Button(title=t("confirm.change", self.lang), payload="confirm:no"),
            Button(title=t("confirm.cancel", self.lang), payload="cancel"),
        ]
        self.say(text, buttons)

    def say_step(self, frame: dict[str, Any], step: Step) -> None:
        assert step.say is not None
        scope = self.scope(frame)
        text = render(step.say[self.lang], scope, self.lang)
        if step.each:
            items = lookup(step.each, scope)
            items = items if isinstance(items, list) else []
            if not items:
                text = render(step.empty[self.lang], scope, self.lang)  # type: ignore[index]
            else:
                rendered = [
                    render(step.item[self.lang], {**scope, "item": item, "index": i}, self.lang)  # type: ignore[index]
                    for i, item in enumerate(items, 1)
                ]
                text = "\n".join([text, *rendered])
        image = render(step.image, scope, self.lang) if step.image else None
        buttons = [
            Button(
                title=render(b.title[self.lang], scope, self.lang),
                payload=render(b.payload, scope, self.lang),
            )
            for b in step.buttons
        ]
        self.say(text, buttons, image)

    def describe(self, frame: dict[str, Any], step: Step) -> None:
        """A service's description (documents, fees, where, how long, law) + apply button."""
        name = render(step.flow or "", self.scope_raw(frame), self.lang)
        target = self.flows.get(name)
        if target is None or not target.is_service:
            self.say(t("flow.unknown_service", self.lang))
            return
        parts = [f"*{target.title[self.lang]}*", target.service["summary"][self.lang]]
        for key in ("requirements", "fees", "where", "processing_time", "legal_basis"):
            parts.append(f"{t(f'service.{key}', self.lang)}: {target.service[key][self.lang]}")
        button = Button(title=t("service.apply_now", self.lang), payload=f"flow:{target.name}")
        self.say("\n".join(parts), [button])

    def switch_flow(self, frame: dict[str, Any], step: Step) -> str:
        """Replace the running flow by another (apply_service → the service's own flow)."""
        name = render(step.flow or "", self.scope_raw(frame), self.lang)
        if name not in self.flows:
            self.say(t("flow.unknown_service", self.lang))
            self.stack.pop()
            return "wait"
        carried = {k: v for k, v in frame["slots"].items() if k in self.flows[name].slots}
        self.stack[-1] = self.new_frame(name, carried)
        self.fill(self.stack[-1], asked=None, strict=False)
        return "next"

    def handoff(self, text: str, reason: str) -> None:
        self.state["flows"] = []
        self.events.append(HandoffRequested(reason=reason))
        self.say(text)
