"""What flow templates, conditions and action parameters can see, and how they read it."""

from __future__ import annotations

from typing import Any

from flows.definition import Condition
from flows.run_base import RunBase
from flows.state import Frame
from flows.summary import (
    MISSING,
    TEMPLATE_RE,
    apply_filter,
    lookup,
    render,
    slot_scope,
)


class ScopeMixin(RunBase):
    """Slots and saved results as data (`scope_raw`) or as the citizen reads them (`scope`)."""

    # --- scopes and conditions -------------------------------------------------------

    def scope_raw(self, frame: Frame) -> dict[str, Any]:
        """Variables and stored slot values; `<slot>_item` is the chosen option's data."""
        chosen = {
            f"{name}_item": option.get("item")
            for name, options in frame.get("options", {}).items()
            for option in options
            if frame["slots"].get(name) == option["value"]
        }
        return {**frame.get("vars", {}), **chosen, **frame["slots"]}

    def scope(self, frame: Frame) -> dict[str, Any]:
        """Slots as displayed text, results as data, and `raw` for the stored slot values."""
        flow = self.flow_of(frame)
        options = {
            n: self.options(frame, s) for n, s in flow.slots.items() if s.options_from is not None
        }
        shown = slot_scope(
            flow, {k: v for k, v in frame["slots"].items() if v is not None}, self.lang, options
        )
        return {**self.scope_raw(frame), **shown, "raw": dict(frame["slots"])}

    def holds(self, frame: Frame, condition: Condition) -> bool:
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

    def params(self, frame: Frame, spec: dict[str, Any]) -> dict[str, Any]:
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
