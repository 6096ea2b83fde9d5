"""One Rasa action call → the city's backend action → Rasa events and responses.

The bridge knows nothing of HTTP or rasa_sdk: it gets the call's facts (`Call`), reads
the slots with the slot types of Stadtbot's flows, runs the backend action through
`actions.registry.run_action` in one database transaction as the contact the sender
maps to, and answers with slot events and the flow's texts (`Answer`). A call that
cannot run (required slots empty) is rejected; a backend `ActionError` is an answer
with the flow's error text and the slots its handler clears, as in Stadtbot's chats.

Writing actions run at most once per call: the call's key (sender, action, the latest
message id and the latest event) is claimed in the same transaction as the effect, and
a repeated call gets the stored answer (`bot.rasa.models.RasaActionCall`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine as DbEngine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from actions.registry import ActionContext, ActionError, catalogue, run_action
from bot.core.db import transaction
from bot.core.settings import Settings
from bot.rasa import replies
from bot.rasa.catalog import FORM_SUFFIX, SERVICE_SLOT, RasaAction, Variant
from bot.rasa.identity import contact_for
from bot.rasa.models import RasaActionCall
from bot.rasa.slotvalues import read_slots, render_params
from flows.definition import Flow
from flows.summary import MISSING, TEMPLATE_RE, lookup

SERVICE_CHOOSER = "apply_service"
CLAIM_ATTEMPTS = 2


@dataclass(frozen=True)
class Call:
    """What the bridge needs of Rasa's request (the tracker's parts it reads)."""

    action: str
    sender_id: str
    input_channel: str | None
    slots: dict[str, Any]
    message_id: str | None = None
    last_event: dict[str, Any] | None = None
    last_form: str | None = None  # the form active last (`bulky_waste_form`), if any

    def key(self) -> str:
        """Identifies a retry of this very call: same sender, action, message and event."""
        parts = [self.sender_id, self.input_channel, self.action, self.message_id,
                 self.last_event]
        raw = json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False)
        return hashlib.sha256(raw.encode()).hexdigest()


@dataclass
class Answer:
    """Rasa's response body (`events`, `responses`), or why the action rejected."""

    events: list[dict[str, Any]] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)
    rejected: str | None = None

    def body(self) -> dict[str, Any]:
        return {"events": self.events, "responses": self.responses}


def slot_event(name: str, value: Any) -> dict[str, Any]:
    """Rasa's `SlotSet` event as JSON."""
    return {"event": "slot", "timestamp": None, "name": name, "value": value}


class Bridge:
    """Runs catalog actions for Rasa; one instance serves every call of a process."""

    def __init__(self, db: DbEngine, settings: Settings, flows: dict[str, Flow]) -> None:
        self.db = db
        self.settings = settings
        self.flows = flows
        self.intents = {name: f.intents[0] for name, f in flows.items() if f.intents}
        # Actions that change something for the citizen, as they declare it themselves.
        self.writing = frozenset(name for name, writes in catalogue().items() if writes)

    def call(self, spec: RasaAction, call: Call) -> Answer:
        """Answer one action call (see the module docstring)."""
        now = datetime.now(self.settings.tz)
        flow, variants = self._variants(spec, call, now)
        if flow is None:
            return Answer(rejected=f"{spec.name}: slot {SERVICE_SLOT!r} names no known service")
        values, problems = read_slots(flow, call.slots, now)
        variant = next((v for v in variants if all(n in values for n in v.required)), None)
        if variant is None:
            wanted = variants[0].required if variants else ()
            missing = [n for n in wanted if n not in values and n not in problems]
            invalid = [f"{n} ({problems[n].key})" for n in wanted if n in problems]
            return Answer(
                rejected=f"{spec.name} cannot run: slots missing: {', '.join(missing) or '-'}; "
                f"invalid: {', '.join(invalid) or '-'}"
            )
        for attempt in range(CLAIM_ATTEMPTS):
            try:
                with transaction(self.db) as session:
                    return self._run(session, spec, call, flow, variant, values, now)
            except IntegrityError:
                # A concurrent retry of the same call committed first: its answer counts.
                if attempt + 1 == CLAIM_ATTEMPTS:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _variants(
        self, spec: RasaAction, call: Call, now: datetime
    ) -> tuple[Flow | None, tuple[Variant, ...]]:
        """The flow whose slot types apply and the ways to run; services pick their flow."""
        if spec.variants:
            return self.flows[spec.flow], spec.variants
        chooser = self.flows[SERVICE_CHOOSER]
        named = call.slots.get(SERVICE_SLOT) or (call.last_form or "").removesuffix(FORM_SUFFIX)
        chosen, _ = read_slots(chooser, {SERVICE_SLOT: named}, now)
        flow = self.flows.get(str(chosen.get(SERVICE_SLOT)))
        step = next((s for s in flow.steps if s.action == "cases.submit"), None) if flow else None
        if flow is None or step is None:
            return None, ()
        return flow, (Variant("cases.submit", step.params, submit_slots(flow, step.params)),)

    def _run(
        self,
        session: Session,
        spec: RasaAction,
        call: Call,
        flow: Flow,
        variant: Variant,
        values: dict[str, Any],
        now: datetime,
    ) -> Answer:
        contact = contact_for(session, call.sender_id, call.input_channel)
        assert contact.id is not None
        lang = contact.language or self.settings.default_language
        claim = None
        if variant.action in self.writing:
            claim = session.get(RasaActionCall, call.key())
            if claim is not None and claim.answer is not None:
                return Answer(**claim.answer)
            claim = RasaActionCall(key=call.key(), action=spec.name, contact_id=contact.id)
            session.add(claim)
            session.flush()  # PostgreSQL: waits here for a concurrent claim of the same key
        ctx = ActionContext(session, contact.id, call.input_channel or "rasa", lang, now,
                            self.settings)
        scope = replies.scope_of(flow, values, lang)
        try:
            result = run_action(variant.action, ctx, render_params(variant.params, values))
        except ActionError as err:
            answer = self._failed(flow, variant, err, {**scope, "error": {"code": err.code,
                                                                          **err.details}}, lang)
        else:
            answer = self._succeeded(spec, flow, variant, result, scope, lang)
        if claim is not None:
            claim.answer = answer.body()
            session.add(claim)
        return answer

    def _succeeded(
        self,
        spec: RasaAction,
        flow: Flow,
        variant: Variant,
        result: dict[str, Any],
        scope: dict[str, Any],
        lang: str,
    ) -> Answer:
        step = next(s for s in flow.steps if s.action == variant.action)
        scope = {**scope, "result": result, **({step.save_as: result} if step.save_as else {})}
        say = replies.say_after(flow, variant.action)
        if spec.reply is not None:
            response = replies.SPECIAL[spec.reply](scope, lang)
        elif say is not None:
            response = replies.render_say(say, scope, lang, self.intents)
        else:
            response = replies.done_reply(scope, lang)
        events = [
            slot_event(slot, value)
            for slot, path in spec.sets.items()
            if (value := lookup(path, result)) is not MISSING
        ]
        return Answer(events=events, responses=[response])

    @staticmethod
    def _failed(
        flow: Flow, variant: Variant, err: ActionError, scope: dict[str, Any], lang: str
    ) -> Answer:
        handler = replies.error_handler(flow, variant.action, err.code)
        return Answer(
            events=[slot_event(name, None) for name in (handler.clear if handler else ())],
            responses=[{"text": replies.error_text(flow, handler, err.code, scope, lang),
                        "buttons": []}],
        )


def submit_slots(flow: Flow, params: dict[str, Any]) -> tuple[str, ...]:
    """The slots a service's `cases.submit` step needs (optional ones excepted)."""
    named = TEMPLATE_RE.findall(json.dumps(params, ensure_ascii=False))
    roots = dict.fromkeys(path.split(".")[0] for path, _ in named)
    slots = flow.slots
    return tuple(n for n in roots if n in slots and not (slots[n].optional or slots[n].when))
