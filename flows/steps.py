"""Walking a flow's steps until one needs the citizen, capped per turn.

Actions run through the engine's services; an `ActionError` is mapped to the step's
handler (say, clear, set, goto, handoff) or to a generic message.
"""

from __future__ import annotations

import logging

from bot.core.errors import ActionError
from bot.core.i18n import catalog, t
from bot.core.messages import Button
from flows.definition import ErrorHandler, Flow, SlotDef, Step
from flows.events import ConsentChanged, HandoffRequested
from flows.run_base import MAX_STEPS_PER_TURN, RunBase
from flows.services import ASPECTS, MORE_PAYLOAD, titles
from flows.slots import named_option
from flows.state import Frame
from flows.summary import (
    MISSING,
    lookup,
    render,
    summary_lines,
)

log = logging.getLogger(__name__)


class StepsMixin(RunBase):
    """`advance` and the step kinds."""

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

    def run_steps(self, frame: Frame, flow: Flow, steps: tuple[Step, ...]) -> None:
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
        flow = self.flow_of(frame)
        for name in flow.remember:
            if frame["slots"].get(name) is not None:
                self.state.setdefault("memory", {})[name] = frame["slots"][name]
        if not any(step.kind == "confirm" for step in flow.steps):  # an answer, not a deed
            slots = {k: v for k, v in frame["slots"].items() if k in flow.slots}
            self.state["answered"] = {"flow": flow.name, "slots": slots}

    def jump(self, frame: Frame, flow: Flow, target: str | None) -> None:
        frame["step"] = flow.step_index(target) if target else frame["step"] + 1

    def run_step(self, frame: Frame, flow: Flow, step: Step) -> str:
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
            self.consent(frame, step)
        elif kind == "end":
            frame["step"] = len(flow.steps)
            return "next"
        self.after(frame, flow, step)
        return "next"

    def consent(self, frame: Frame, step: Step) -> None:
        """Subscribe or withdraw; the wording kept as proof is the summary the citizen
        just confirmed (if any) and the step's own notice, exactly as shown."""
        params = self.params(frame, step.params)
        notice = render(step.say[self.lang], self.scope(frame), self.lang) if step.say else ""
        wording = "\n\n".join(filter(None, [frame.pop("confirm_text", None), notice]))
        district = params.get("district")
        self.events.append(
            ConsentChanged(
                broadcasts=bool(step.set.get("consent")),
                topic=str(params.get("topic") or "all"),
                district=str(district) if district not in (None, "", "all") else None,
                wording=wording,
            )
        )
        if notice:
            buttons = [
                Button(title=b.title[self.lang], payload=b.payload) for b in step.buttons
            ]
            self.say(notice, buttons)

    def auto_pick(self, frame: Frame, slot: SlotDef) -> bool:
        """A choice read from the backend needs no question if it has one option, or if
        the message just named one of them exactly."""
        if slot.type != "choice" or slot.options_from is None:
            return False
        options = self.load_options(frame, slot)
        named = named_option(self.turn.text, options)  # "… im Eiscafé am Schloss" typed before
        if len(options) != 1 and named is None:
            return False
        frame["slots"][slot.name] = named or options[0].value
        return True

    def after(self, frame: Frame, flow: Flow, step: Step) -> None:
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

    def next_missing(self, frame: Frame, flow: Flow, step: Step) -> str | None:
        wanted = [
            n
            for n in step.slots
            if (when := flow.slots[n].when) is None or self.holds(frame, when)
        ]
        filled = [n for n in wanted if n in frame["slots"]]
        if step.any_of and filled:
            return None
        return next((n for n in wanted if n not in frame["slots"]), None)

    def call(self, frame: Frame, flow: Flow, step: Step) -> bool:
        """Run the step's action; on an expected error apply its handler. True on success."""
        assert step.action is not None
        try:
            result = self.act(step.action, self.params(frame, step.params))
        except ActionError as exc:
            self.on_error(frame, flow, step, exc)
            return False
        if step.save_as:
            frame["vars"][step.save_as] = result
        return True

    def on_error(self, frame: Frame, flow: Flow, step: Step, exc: ActionError) -> None:
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

    def after_error(self, frame: Frame, flow: Flow, handler: ErrorHandler) -> None:
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

    def show_summary(self, frame: Frame, flow: Flow, step: Step) -> None:
        assert step.say is not None
        scope = self.scope(frame)
        options = {n: self.options(frame, s) for n, s in flow.slots.items()}
        lines = summary_lines(flow, step.slots, frame["slots"], self.lang, options)
        text = render(step.say[self.lang], {**scope, "summary": lines}, self.lang)
        if "{summary}" not in step.say[self.lang]:
            text = f"{text}\n{lines}"
        frame["mode"] = "confirm"
        frame["asking"] = None
        frame["confirm_text"] = text  # a consent step keeps what was agreed to
        buttons = [Button(title=b.title[self.lang], payload=b.payload) for b in step.buttons] or [
            Button(title=t("confirm.yes", self.lang), payload="confirm:yes"),
            Button(title=t("confirm.change", self.lang), payload="confirm:no"),
            Button(title=t("confirm.cancel", self.lang), payload="cancel"),
        ]
        self.say(text, buttons)

    def say_step(self, frame: Frame, step: Step) -> None:
        assert step.say is not None
        scope = self.scope(frame)
        text = render(step.say[self.lang], scope, self.lang)
        if step.each:
            assert step.item is not None and step.empty is not None  # the loader sets both
            items = lookup(step.each, scope)
            items = items if isinstance(items, list) else []
            if not items:
                text = render(step.empty[self.lang], scope, self.lang)
            else:
                item_text = step.item[self.lang]
                rendered = [
                    render(item_text, {**scope, "item": item, "index": i}, self.lang)
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

    def describe(self, frame: Frame, step: Step) -> None:
        """A service's description with an "apply now" button: the parts asked for
        (`params: {aspect}` and the message's `service_aspect` entities), short, with a
        "Mehr: …" button for the whole; or the whole when no part was asked for."""
        name = render(step.flow or "", self.scope_raw(frame), self.lang)
        target = self.flows.get(name)
        if target is None or target.service is None:
            self.say(t("flow.unknown_service", self.lang, services=titles(self.flows, self.lang)))
            return
        service, lang = target.service, self.lang
        asked = [
            self.params(frame, step.params).get("aspect"),
            *self.turn.entities("service_aspect"),
        ]
        parts = [part for part in dict.fromkeys(asked) if part in ASPECTS]
        apply = Button(title=t("service.apply_now", lang), payload=f"flow:{target.name}")
        if parts:
            lines = [f"*{service.title[lang]}*"] + [
                f"{t(f'service.{part}', lang)}: {service.description[part][lang]}" for part in parts
            ]
            more = Button(
                title=t("services.more", lang, service=service.title[lang])[:60],
                payload=f"{MORE_PAYLOAD}{target.name}"[:64],
            )
            self.say("\n".join(lines), [more, apply])
            return
        lines = [f"*{service.title[lang]}*", service.description["summary"][lang]]
        for part in ASPECTS:
            lines.append(f"{t(f'service.{part}', lang)}: {service.description[part][lang]}")
        self.say("\n".join(lines), [apply])

    def switch_flow(self, frame: Frame, step: Step) -> str:
        """Replace the running flow by another (apply_service → the service's own flow)."""
        name = render(step.flow or "", self.scope_raw(frame), self.lang)
        if name not in self.flows:
            self.say(t("flow.unknown_service", self.lang, services=titles(self.flows, self.lang)))
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
