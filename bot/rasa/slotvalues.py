"""Rasa slot values read the way Stadtbot's flows read an answer.

Rasa hands over what its slots hold: text from an entity or the whole message
("morgen", "2 Stunden", "12,50 €"), numbers from float slots, booleans. Each is parsed
and checked with the flow's own slot type (`flows.slots`), so the backend action gets
the values its docstring asks for (ISO dates, minutes, cents) whichever front door the
citizen used. A value that does not fit becomes a `Problem` with the flow's help text.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.core.i18n import t
from flows.definition import Flow, SlotDef
from flows.slots import Problem, parse_text, unparsed_problem, validate
from flows.summary import MISSING, TEMPLATE_RE, lookup, money, render


def as_text(value: Any) -> str:
    """A Rasa slot value as typed text (`2.0` from a float slot reads as "2")."""
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def read_slot(slot: SlotDef, raw: Any, now: datetime) -> tuple[Any, Problem | None]:
    """(stored value, None), or (None, why not); an empty slot is (None, None)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None, None
    if slot.type == "yes_no" and isinstance(raw, bool):
        return raw, None
    text = as_text(raw)
    if slot.options_from is not None:  # options come from a search (a shop's id): as given
        return text.strip(), None
    value = parse_text(slot, text, list(slot.options), now)
    if value is None:
        return None, unparsed_problem(slot, text) or Problem(f"slot.invalid.{slot.type}", {})
    return (None, problem) if (problem := validate(slot, value, now)) else (value, None)


def read_slots(
    flow: Flow, raw: dict[str, Any], now: datetime
) -> tuple[dict[str, Any], dict[str, Problem]]:
    """The flow's slots Rasa filled: usable values, and the problems of the others."""
    values: dict[str, Any] = {}
    problems: dict[str, Problem] = {}
    for name, slot in flow.slots.items():
        value, problem = read_slot(slot, raw.get(name), now)
        if problem is not None:
            problems[name] = problem
        elif value is not None:
            values[name] = value
    return values, problems


def problem_text(slot: SlotDef, problem: Problem, lang: str) -> str:
    """Why a value was refused, in the citizen's words (the slot's own help if it has one)."""
    if problem.key == f"slot.invalid.{slot.type}" and slot.invalid:
        return render(slot.invalid[lang], {}, lang)
    params = {
        k: money(v, lang) if problem.money and v is not None else v
        for k, v in problem.params.items()
    }
    return t(problem.key, lang, **params)


def render_params(spec: Any, values: dict[str, Any]) -> Any:
    """Action params from a flow-style template: a lone `{slot}` keeps its type, and
    params whose slot is empty are left out."""
    if isinstance(spec, dict):
        rendered = {k: render_params(v, values) for k, v in spec.items()}
        return {k: v for k, v in rendered.items() if v is not MISSING}
    if isinstance(spec, str) and (whole := TEMPLATE_RE.fullmatch(spec)):
        value = lookup(whole[1], values)
        return MISSING if value is None else value
    return spec
