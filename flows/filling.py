"""Filling slots from a turn (buttons, entities, media, typed text) and asking for them.

A value is validated before it is stored; an answer that does not fit is explained and
asked again, and after `MAX_FAILS` tries the citizen is offered staff.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from bot.core.errors import ActionError
from bot.core.i18n import t
from bot.core.messages import Button
from flows.definition import Flow, Option, SlotDef
from flows.run_base import CORRECTABLE_TYPES, MAX_BUTTONS, MAX_FAILS, RunBase
from flows.slots import (
    Problem,
    from_entity,
    from_media,
    impossible_date,
    negative_number,
    parse_text,
    typed_address,
    unparsed_problem,
    validate,
)
from flows.state import Frame, StoredOption
from flows.summary import (
    format_date,
    lookup,
    money,
    render,
)

log = logging.getLogger(__name__)


class FillingMixin(RunBase):
    """Slot values in, prompts out."""

    # --- filling slots ---------------------------------------------------------------

    def fill(
        self, frame: Frame, asked: str | None, strict: bool
    ) -> tuple[bool, Problem | None]:
        """Take every slot value the turn offers; returns (asked slot or any slot changed,
        the first problem). `strict` (at the summary) reads only distinctive typed forms."""
        flow = self.flow_of(frame)
        candidates = self.candidates(frame, flow, asked, strict)
        changed_any, asked_filled, problem = False, False, None
        for name, value in candidates.items():
            slot = flow.slots[name]
            issue = validate(slot, value, self.turn.now) if value is not None else None
            if value is not None and negative_number(slot, self.turn.text):
                issue = Problem("slot.invalid.negative", {})
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
        if problem is None and not strict:
            problem = self.impossible_date_said(frame, flow, candidates)
        return asked_filled or changed_any, problem

    def impossible_date_said(
        self, frame: Frame, flow: Flow, found: dict[str, Any]
    ) -> Problem | None:
        """ "am 31.4." in a message for an empty date slot is named, not dropped."""
        open_dates = [
            slot
            for name, slot in flow.slots.items()
            if slot.type in ("date", "datetime") and name not in found
            if frame["slots"].get(name) is None
            if not slot.when or self.holds(frame, slot.when)
        ]
        return impossible_date(self.turn.text) if open_dates and self.turn.text else None

    def candidates(
        self, frame: Frame, flow: Flow, asked: str | None, strict: bool
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
                if slot.type == "amount" and len(set(values)) > 1:
                    break  # "5 oder 6 Euro": an unsure amount is asked, never picked
                if values:
                    value = from_entity(slot, values[0], opts)
                    if slot.type == "location" and isinstance(value, dict):
                        value = self.with_house_number(value)
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
        if text and not asked:
            found.update(self.after_entities(frame, flow, found))
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

    def after_entities(
        self, frame: Frame, flow: Flow, found: dict[str, Any]
    ) -> dict[str, Any]:
        """The first message fills the patterned text slots that follow an entity slot in
        the same `collect` step: "Wallstraße 14" gives the street and the house number."""
        extra: dict[str, Any] = {}
        collects = [step for step in flow.steps if step.kind == "collect"]
        for number, step in enumerate(collects):
            for index, name in enumerate(step.slots):
                slot = flow.slots[name]
                if name not in found or not slot.entities:
                    continue
                rest = self.turn.after_entity(slot.entities[0])
                for other in step.slots[index + 1 :]:
                    pattern = flow.slots[other].pattern
                    if other in found or frame["slots"].get(other) is not None or not pattern:
                        break
                    # the slot's own pattern, flags and all ("(?i)…" cannot be nested)
                    start = re.match(r"[\s,]*", rest)
                    m = re.compile(pattern).match(rest, start.end() if start else 0)
                    if m is None:
                        break
                    extra[other] = m[0].strip()
                    rest = rest[m.end() :]
                if other_text := self.told_after(rest, collects[number + 1 :], frame, flow):
                    extra.update(other_text)
        return extra

    def told_after(
        self, rest: str, later: list[Any], frame: Frame, flow: Flow
    ) -> dict[str, Any]:
        """What follows the address after a comma or colon ("…14, ein Sofa und zwei
        Stühle") answers the next free-text question (items, a description)."""
        m = re.match(r"\s*[,:;–-]\s*(?:(?:und|and|en|mit|with|met)\s+)?(.+)", rest, re.S)
        if m is None or not later:
            return {}
        name = next((n for n in later[0].slots if frame["slots"].get(n) is None), None)
        if name is None:
            return {}
        slot = flow.slots[name]
        text = m[1].strip().rstrip(".!")
        if slot.type != "text" or slot.pattern or slot.entities:
            return {}
        return {name: text} if validate(slot, text, self.turn.now) is None else {}

    def with_house_number(self, value: dict[str, Any]) -> dict[str, Any]:
        """A street entity followed by a number in the message ("Marktstraße 10") keeps
        the number: the NLU's street entity alone would lose it."""
        street = str(value.get("street") or "")
        if not street or value.get("house_number"):
            return value
        pattern = re.escape(street) + r"\s*(\d{1,4}\s?[a-zA-Z]?)\b"
        m = re.search(pattern, self.turn.text or "", re.IGNORECASE)
        return typed_address(f"{street} {m[1].strip()}") if m else value

    def sibling_answered(
        self, frame: Frame, flow: Flow, asked: str, found: dict[str, Any]
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
        self, frame: Frame, flow: Flow, asked: str, found: dict[str, Any]
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

    def options(self, frame: Frame, slot: SlotDef) -> list[Option]:
        """A choice's allowed values: fixed in YAML or read when the slot was asked."""
        if slot.options_from is None:
            return list(slot.options)
        stored = frame.get("options", {}).get(slot.name, [])
        return [
            Option(
                o["value"],
                {lang: o["title"] for lang in ("de", "en", "nl")},
                _item_synonyms(o.get("item")),
            )
            for o in stored
        ]

    def load_options(self, frame: Frame, slot: SlotDef) -> list[Option]:
        source = slot.options_from
        assert source is not None
        if source.action:
            params = self.params(frame, source.params)
            try:
                data: Any = self.act(source.action, params)
            except ActionError as exc:
                log.info("options for %s: %s", slot.name, exc.code)
                data = {}
        else:
            data = self.scope_raw(frame)
        items = lookup(source.list_path, data)
        items = items if isinstance(items, list) else []
        stored: list[StoredOption] = [
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

    def ask(self, frame: Frame, name: str) -> None:
        flow = self.flow_of(frame)
        slot = flow.slots[name]
        frame["asking"] = name
        options = self.load_options(frame, slot) if slot.options_from else list(slot.options)
        text = render(slot.prompt[self.lang], self.scope(frame), self.lang)
        if slot.type == "choice" and slot.options_from:
            text += "\n" + "\n".join(f"{i}. {o.title[self.lang]}" for i, o in enumerate(options, 1))
        self.say(text, self.prompt_buttons(slot, options, frame))

    def prompt_buttons(
        self, slot: SlotDef, options: list[Option], frame: Frame | None = None
    ) -> list[Button]:
        if slot.buttons:
            buttons = [Button(title=b.title[self.lang], payload=b.payload) for b in slot.buttons]
        elif slot.type == "time" and slot.min and slot.max:
            buttons = [
                Button(title=hour, payload=f"slot:{slot.name}={hour}")
                for hour in self.bookable_hours(slot, frame)
            ]
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

    def bookable_hours(self, slot: SlotDef, frame: Frame | None) -> list[str]:
        """Full hours between a time slot's min and max, so a time can be tapped; on a
        day that is today, only those still ahead."""
        first, last = int(str(slot.min)[:2]), int(str(slot.max)[:2])
        today = self.turn.now.date().isoformat()
        if frame is not None and today in frame["slots"].values():
            first = max(first, self.turn.now.hour + 1)
        hours = [f"{h:02d}:00" for h in range(first, last + 1)]
        return hours[:MAX_BUTTONS]

    def reask(self, frame: Frame, name: str, problem: Problem | None) -> None:
        """Explain what was wrong, ask again, and offer staff after the third failure."""
        flow = self.flow_of(frame)
        slot = flow.slots[name]
        fails = frame.setdefault("fails", {})
        fails[name] = int(fails.get(name, 0)) + 1
        problem = problem or unparsed_problem(slot, self.turn.text)
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
        """The problem in the citizen's words; cents and dates are shown in their format."""
        params = {
            k: money(v, self.lang)
            if problem.money and v is not None
            else format_date(v, self.lang)
            if problem.dates and v is not None
            else v
            for k, v in problem.params.items()
        }
        return t(problem.key, self.lang, **params)


def _item_synonyms(item: Any) -> tuple[str, ...]:
    """What citizens type for an option read from the backend (its `synonyms` list)."""
    synonyms = item.get("synonyms") if isinstance(item, dict) else None
    return tuple(str(s) for s in synonyms) if isinstance(synonyms, list) else ()
