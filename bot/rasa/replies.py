"""What the action server says: the texts of Stadtbot's own flows, as Rasa responses.

After a backend action, a flow says its result in the next `say` step ("Gebucht ✅
Buchungsnummer {booking.reference} …"); the action server says the same text, rendered
with the same filters, so a Rasa assistant and Stadtbot answer alike. Errors use the
flow's `on_error` texts for that action, else the general `action.error.*` texts.
Buttons keep their meaning in Rasa's terms: `flow:NAME` and `intent:NAME` become
Rasa's `/intent` payloads; Stadtbot-only payloads are left out.
"""

from __future__ import annotations

from typing import Any

from bot.core.i18n import catalog, t
from flows.definition import ErrorHandler, Flow, Step
from flows.summary import lookup, render, slot_scope

Response = dict[str, Any]  # {"text", "buttons": [{"title", "payload"}], "image"?}
STOP_KINDS = frozenset({"action", "collect", "confirm", "start_flow", "handoff", "end"})


def scope_of(flow: Flow, values: dict[str, Any], lang: str) -> dict[str, Any]:
    """Slots as the citizen reads them, and `raw` for their stored values."""
    return {**slot_scope(flow, values, lang, {}), "raw": values}


def say_after(flow: Flow, action: str) -> Step | None:
    """The `say` step that tells the result of the flow's first step running `action`."""
    steps = flow.steps
    start = next((i for i, s in enumerate(steps) if s.action == action), None)
    if start is None:
        return None
    for step in steps[start + 1 :]:
        if step.kind == "say":
            return step
        if step.kind in STOP_KINDS and step.action != action:  # not: another way to run it
            return None
    return None


def render_say(
    step: Step, scope: dict[str, Any], lang: str, intents: dict[str, str]
) -> Response:
    """A flow's `say` step (text, list items, image, buttons) as one Rasa response."""
    assert step.say is not None
    text = render(step.say[lang], scope, lang)
    if step.each:
        items = lookup(step.each, scope)
        items = items if isinstance(items, list) else []
        if not items and step.empty:
            text = render(step.empty[lang], scope, lang)
        elif step.item:
            rows = [
                render(step.item[lang], {**scope, "item": item, "index": i}, lang)
                for i, item in enumerate(items, 1)
            ]
            text = "\n".join([text, *rows])
    buttons = [
        {"title": render(b.title[lang], scope, lang), "payload": payload}
        for b in step.buttons
        if (payload := rasa_payload(b.payload, intents))
    ]
    response: Response = {"text": text, "buttons": buttons}
    if step.image:
        response["image"] = render(step.image, scope, lang)
    return response


def rasa_payload(payload: str, intents: dict[str, str]) -> str | None:
    """A Stadtbot button payload as Rasa's `/intent`, or None if Rasa has no equivalent."""
    kind, _, name = payload.partition(":")
    if kind == "intent":
        return f"/{name}"
    if kind == "flow" and name in intents:
        return f"/{intents[name]}"
    return None


def error_handler(flow: Flow, action: str, code: str) -> ErrorHandler | None:
    """How the flow handles this error of `action` (its first step running it)."""
    step = next((s for s in flow.steps if s.action == action), None)
    return (step.on_error.get(code) or step.on_error.get("default")) if step else None


def error_text(
    flow: Flow, handler: ErrorHandler | None, code: str, scope: dict[str, Any], lang: str
) -> str:
    """The handler's text for the error; for a handler that goes to ask a slot (the PIN
    of someone else's voucher), that slot's question; else the general text."""
    if handler is not None and handler.say:
        return render(handler.say[lang], scope, lang)
    asked = next((s for s in flow.steps if handler and s.id == handler.goto), None)
    if asked is not None and asked.kind == "collect" and asked.slots:
        return render(flow.slots[asked.slots[0]].prompt[lang], scope, lang)
    key = f"action.error.{code}"
    return t(key if key in catalog("de") else "action.failed", lang)


def search_reply(scope: dict[str, Any], lang: str) -> Response:
    """Boat search (the flow goes on to a summary instead): free at what price, or not."""
    result = scope["result"]
    if result.get("available"):
        return {"text": render(t("rasa.boats.free", lang), scope, lang), "buttons": []}
    times = ", ".join(
        f"{a['type']} {str(a['start'])[11:16]}–{str(a['end'])[11:16]}"
        for a in result.get("alternatives") or []
    )
    key = "rasa.boats.alternatives" if times else "rasa.boats.none"
    text = render(t(key, lang), {**scope, "alternatives": times}, lang)
    return {"text": text, "buttons": []}


def done_reply(scope: dict[str, Any], lang: str) -> Response:
    """An action whose flow has no `say` for its result."""
    reference = lookup("result.reference", scope)
    if isinstance(reference, str):
        return {"text": t("rasa.done.reference", lang, reference=reference), "buttons": []}
    return {"text": t("rasa.done", lang), "buttons": []}


SPECIAL = {"search": search_reply}
