"""Read flow YAML files into `Flow` objects, refusing bad ones with file, line and reason.

Every mistake a flow author can make is reported at load time, not in front of a
citizen: an unknown slot type, a missing language, a `goto` to no step, an action the
backend does not register, a writing action before the flow's confirmation (steps before
a `confirm` run again after a correction, and a side question or a list of options runs
whenever it is asked), a template naming a slot that does not exist, two flows claiming
the same intent. The YAML loader keeps line numbers so the message points at
the right place:

    FlowDefinitionError
    └── "flows/definitions/book_boat.yaml:31: step 'search': unknown action 'boats.serch'"
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from flows.definition import (
    LANGS,
    SLOT_TYPES,
    STEP_KINDS,
    ButtonDef,
    Condition,
    ErrorHandler,
    Flow,
    Option,
    OptionsSource,
    Otherwise,
    SideQuestion,
    SlotDef,
    Step,
    Texts,
)
from flows.services import BUILTIN_OPTIONS, parse_service, with_catalogue
from flows.summary import TEMPLATE_RE

CONDITION_OPS = ("equals", "not_equals", "in", "empty", "lt", "gt")
PAYLOAD_RE = re.compile(r"^[A-Za-z0-9_:=.{}-]{1,64}$")
TOP_KEYS = {
    "flow",
    "title",
    "intents",
    "start_payloads",
    "slots",
    "steps",
    "side_questions",
    "service",
    "remember",
}
# Names a template may use besides slots and saved results.
BUILTIN_NAMES = {"item", "error", "index", "raw", "summary"}


class FlowDefinitionError(ValueError):
    """A flow file is wrong; the message names the file, the line and what is wrong."""

    def __init__(self, path: str, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path, self.line, self.reason = path, line, message


class MarkedDict(dict[str, Any]):
    """A YAML mapping that remembers the line it started on."""

    line: int = 0


class _Loader(yaml.SafeLoader):
    """SafeLoader whose mappings carry their line numbers."""


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> MarkedDict:
    loader.flatten_mapping(node)
    result = MarkedDict(loader.construct_pairs(node, deep=True))
    result.line = node.start_mark.line + 1
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_flows(
    directories: Iterable[Path], actions: Mapping[str, bool] | None = None
) -> dict[str, Flow]:
    """Every flow in the directories (later directories may add flows, not replace them).

    `actions` is the backend's catalogue, action name → whether it writes (handed in by
    the wiring, which knows `actions`); None skips the action checks (a fake backend).
    """
    flows: dict[str, Flow] = {}
    intents: dict[str, str] = {}
    for directory in directories:
        for path in sorted(Path(directory).glob("*.yaml")):
            try:
                raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
            except yaml.MarkedYAMLError as exc:
                mark = exc.problem_mark
                line = mark.line + 1 if mark else 1
                raise FlowDefinitionError(str(path), line, f"invalid YAML: {exc.problem}") from None
            if not isinstance(raw, MarkedDict) or "flow" not in raw:
                continue  # answers.yaml, menu.yaml and other data files are not flows
            flow = FlowBuilder(str(path), actions).build(raw)
            if flow.name in flows:
                raise FlowDefinitionError(
                    str(path),
                    1,
                    f"flow {flow.name!r} is already defined in {flows[flow.name].path}",
                )
            for intent in flow.intents:
                if intent in intents:
                    raise FlowDefinitionError(
                        str(path),
                        1,
                        f"intent {intent!r} is already handled by flow {intents[intent]!r}",
                    )
                intents[intent] = flow.name
            flows[flow.name] = flow
    _check_flow_targets(flows)
    return with_catalogue(flows)


def _check_flow_targets(flows: dict[str, Flow]) -> None:
    """A literal `start_flow: name` must name a loaded flow."""
    for flow in flows.values():
        for step in _all_steps(flow):
            literal = step.kind == "start_flow" and step.flow and "{" not in step.flow
            if literal and step.flow not in flows:
                raise FlowDefinitionError(
                    flow.path, step.line, f"step {step.id!r}: unknown flow {step.flow!r}"
                )


def _all_steps(flow: Flow) -> list[Step]:
    return [*flow.steps, *(s for q in flow.side_questions for s in q.steps)]


class FlowBuilder:
    """Builds one `Flow` from a parsed file, raising `FlowDefinitionError` on the first fault."""

    def __init__(self, path: str, actions: Mapping[str, bool] | None) -> None:
        self.path = path
        self.actions = actions

    def fail(self, node: Any, message: str) -> FlowDefinitionError:
        return FlowDefinitionError(self.path, getattr(node, "line", 1), message)

    def build(self, raw: MarkedDict) -> Flow:
        unknown = set(raw) - TOP_KEYS
        if unknown:
            raise self.fail(raw, f"unknown key(s) {sorted(unknown)}; allowed: {sorted(TOP_KEYS)}")
        name = raw.get("flow")
        if not isinstance(name, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            raise self.fail(raw, f"'flow' must be a lower-case name, got {name!r}")
        self.slot_names_all = set(raw.get("slots") or {})
        slots = {key: self.slot(key, value) for key, value in (raw.get("slots") or {}).items()}
        self.slot_names = set(slots)
        steps = self.steps(raw.get("steps"), raw, "steps")
        side = tuple(self.side_question(q) for q in raw.get("side_questions") or [])
        title = self.texts(raw.get("title"), raw, "title")
        service = parse_service(self, raw["service"], title) if "service" in raw else None
        flow = Flow(
            name=name,
            path=self.path,
            title=title,
            slots=slots,
            steps=steps,
            intents=tuple(raw.get("intents") or ()),
            start_payloads={
                str(k): {str(a): str(b) for a, b in (v or {}).items()}
                for k, v in (raw.get("start_payloads") or {}).items()
            },
            side_questions=side,
            service=service,
            remember=tuple(raw.get("remember") or ()),
        )
        for slot_name in flow.remember:
            if slot_name not in slots:
                raise self.fail(raw, f"remember names unknown slot {slot_name!r}")
        self.check_references(flow)
        self.check_writes(flow)
        ids = {step.id for step in steps}
        for slot in slots.values():
            if slot.otherwise and slot.otherwise.goto not in ids:
                raise FlowDefinitionError(
                    self.path,
                    slot.line,
                    f"slot {slot.name!r}: otherwise goto {slot.otherwise.goto!r} is not a step",
                )
        return flow

    # --- pieces ------------------------------------------------------------------

    def texts(self, value: Any, parent: Any, where: str) -> Texts:
        if isinstance(value, str):
            raise self.fail(
                parent, f"{where}: needs a text per language {list(LANGS)}, got one string"
            )
        if not isinstance(value, dict):
            raise self.fail(parent, f"{where}: missing texts for languages {list(LANGS)}")
        missing = [lang for lang in LANGS if not str(value.get(lang) or "").strip()]
        if missing:
            raise self.fail(value, f"{where}: missing language(s) {missing}")
        return {lang: str(value[lang]) for lang in LANGS}

    def condition(self, value: Any, parent: Any, where: str) -> Condition:
        if not isinstance(value, dict) or "value" not in value:
            raise self.fail(
                parent, f"{where}: a condition needs 'value' and one of {CONDITION_OPS}"
            )
        ops = [op for op in CONDITION_OPS if op in value]
        if len(ops) != 1 or len(value) != 2:
            raise self.fail(value, f"{where}: a condition needs exactly one of {CONDITION_OPS}")
        return Condition(str(value["value"]), ops[0], value[ops[0]])

    def buttons(self, value: Any, parent: Any, where: str) -> tuple[ButtonDef, ...]:
        result = []
        for item in value or []:
            payload = str(item.get("payload", ""))
            if not PAYLOAD_RE.match(payload):
                raise self.fail(
                    item, f"{where}: button payload {payload!r} must be ≤ 64 of A-Za-z0-9_:=.-"
                )
            result.append(
                ButtonDef(self.texts(item.get("title"), item, f"{where} button"), payload)
            )
        return tuple(result)

    def slot(self, name: str, raw: Any) -> SlotDef:
        where = f"slot {name!r}"
        if not isinstance(raw, MarkedDict):
            raise self.fail(raw, f"{where}: must be a mapping")
        kind = raw.get("type")
        if kind not in SLOT_TYPES:
            raise self.fail(
                raw, f"{where}: unknown slot type {kind!r}; known: {sorted(SLOT_TYPES)}"
            )
        options_of = raw["options"] if isinstance(raw.get("options"), str) else None
        if options_of is not None and options_of not in BUILTIN_OPTIONS:
            raise self.fail(
                raw, f"{where}: options {options_of!r}: a list or one of {BUILTIN_OPTIONS}"
            )
        options = tuple(
            Option(
                value=str(o["value"]),
                title=self.texts(o.get("title"), o, f"{where} option {o.get('value')!r}"),
                synonyms=tuple(str(s) for s in o.get("synonyms") or ()),
            )
            for o in ([] if options_of else raw.get("options") or [])
        )
        source = None
        if "options_from" in raw:
            src = raw["options_from"]
            for key in ("list", "value", "title"):
                if key not in src:
                    raise self.fail(src, f"{where}: options_from needs {key!r}")
            action = src.get("action")
            self.check_action(action, src, where)
            source = OptionsSource(
                list_path=str(src["list"]),
                value_key=str(src["value"]),
                title_key=str(src["title"]),
                action=action,
                params=dict(src.get("params") or {}),
                limit=int(src.get("limit", 8)),
            )
        if kind == "choice" and not options and source is None and not options_of:
            raise self.fail(raw, f"{where}: a choice needs 'options' or 'options_from'")
        entity = raw.get("entity")
        entities = tuple(entity) if isinstance(entity, list) else ((entity,) if entity else ())
        pattern = raw.get("pattern")
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise self.fail(raw, f"{where}: bad pattern {pattern!r}: {exc}") from None
        return SlotDef(
            name=name,
            type=kind,
            prompt=self.texts(raw.get("prompt"), raw, f"{where} prompt"),
            label=self.texts(raw.get("label"), raw, f"{where} label"),
            line=raw.line,
            entities=entities,
            options=options,
            options_from=source,
            buttons=self.buttons(raw.get("buttons"), raw, where),
            invalid=self.texts(raw["invalid"], raw, f"{where} invalid")
            if "invalid" in raw
            else None,
            optional=bool(raw.get("optional", False)),
            when=self.condition(raw["when"], raw, where) if "when" in raw else None,
            min=raw.get("min"),
            max=raw.get("max"),
            pattern=pattern,
            in_summary=bool(raw.get("summary", True)),
            scan=bool(raw.get("scan", False)),
            otherwise=self.otherwise(raw, where),
            options_of=options_of,
        )

    def otherwise(self, raw: MarkedDict, where: str) -> Otherwise | None:
        """`otherwise: {slot, goto}`; the goto target is checked with the steps."""
        if "otherwise" not in raw:
            return None
        spec = raw["otherwise"]
        if not isinstance(spec, dict) or spec.get("slot") not in self.slot_names_all:
            raise self.fail(
                raw, f"{where}: otherwise needs 'slot' (a slot of this flow) and 'goto'"
            )
        return Otherwise(str(spec["slot"]), str(spec.get("goto", "")))

    def check_action(self, action: Any, node: Any, where: str) -> None:
        if action is None:
            return
        if self.actions is not None and action not in self.actions:
            raise self.fail(node, f"{where}: unknown action {action!r}")

    def writes(self, action: str | None) -> bool:
        return bool(action and self.actions and self.actions.get(action))

    def check_writes(self, flow: Flow) -> None:
        """A writing action only after the flow's confirm step: the steps before it run
        again after a correction at the summary, side questions and options whenever
        they are asked, so a booking there would be made twice or never confirmed."""
        confirmed = False
        for step in flow.steps:
            confirmed = confirmed or step.kind == "confirm"
            if step.kind == "action" and not confirmed and self.writes(step.action):
                raise self.fail(
                    step,
                    f"step {step.id!r}: action {step.action!r} writes, so it must come "
                    "after the flow's confirm step",
                )
        for question in flow.side_questions:
            for step in question.steps:
                if self.writes(step.action):
                    raise self.fail(
                        step, f"side question step {step.id!r}: action {step.action!r} writes"
                    )
        for slot in flow.slots.values():
            source = slot.options_from
            if source is not None and self.writes(source.action):
                raise FlowDefinitionError(
                    self.path,
                    slot.line,
                    f"slot {slot.name!r}: options_from action {source.action!r} writes",
                )

    def steps(self, raw: Any, parent: Any, where: str) -> tuple[Step, ...]:
        if not isinstance(raw, list) or not raw:
            raise self.fail(parent, f"{where}: needs a non-empty list of steps")
        steps = tuple(self.step(item, index, where) for index, item in enumerate(raw))
        ids = [s.id for s in steps]
        duplicate = next((i for i in ids if ids.count(i) > 1), None)
        if duplicate:
            raise self.fail(parent, f"{where}: step id {duplicate!r} is used twice")
        for step in steps:
            targets = [step.goto, step.restart, *(h.goto for h in step.on_error.values())]
            for target in targets:
                if target and target not in ids:
                    raise self.fail(
                        step, f"step {step.id!r}: goto target {target!r} is not a step of this flow"
                    )
        return steps

    def step(self, raw: Any, index: int, where: str) -> Step:
        if not isinstance(raw, MarkedDict):
            raise FlowDefinitionError(self.path, 1, f"{where}[{index}]: a step must be a mapping")
        for key in ("id", "goto"):
            if key in raw and not isinstance(raw[key], str):
                raise self.fail(
                    raw, f"{where}[{index}]: {key} must be a string (quote it), got {raw[key]!r}"
                )
        step_id = str(raw.get("id") or f"{where}_{index + 1}")
        kinds = [k for k in STEP_KINDS if k in raw] or (["goto"] if "goto" in raw else [])
        if len(kinds) != 1:
            raise self.fail(
                raw, f"step {step_id!r}: needs exactly one of {list(STEP_KINDS)}, got {kinds}"
            )
        kind = kinds[0]
        label = f"step {step_id!r}"
        value = raw[kind]
        fields: dict[str, Any] = {"id": step_id, "kind": kind, "line": raw.line}
        if kind == "collect":
            names = tuple(value if isinstance(value, list) else [value])
            for name in names:
                if name not in self.slot_names:
                    raise self.fail(raw, f"{label}: unknown slot {name!r}")
            fields.update(slots=names, any_of=bool(raw.get("any_of", False)))
        elif kind == "action":
            self.check_action(value, raw, label)
            fields.update(
                action=str(value),
                params=dict(raw.get("params") or {}),
                save_as=raw.get("save_as"),
                on_error={
                    str(code): self.error_handler(h, raw, f"{label} on_error {code!r}")
                    for code, h in (raw.get("on_error") or {}).items()
                },
            )
        elif kind == "branch":
            if "goto" not in raw or "if" not in raw:
                raise self.fail(raw, f"{label}: a branch needs 'if' and 'goto'")
            fields["when"] = self.condition(raw["if"], raw, label)
        elif kind == "confirm":
            fields.update(
                say=self.texts(value, raw, label),
                slots=tuple(raw.get("slots") or ()),
                restart=raw.get("restart"),
                buttons=self.buttons(raw.get("buttons"), raw, label),
            )
        elif kind in ("say", "handoff"):
            fields["say"] = self.texts(value, raw, label)
            if "each" in raw:
                fields.update(
                    each=str(raw["each"]),
                    item=self.texts(raw.get("item"), raw, f"{label} item"),
                    empty=self.texts(raw.get("empty"), raw, f"{label} empty"),
                )
            fields.update(
                buttons=self.buttons(raw.get("buttons"), raw, label), image=raw.get("image")
            )
        elif kind in ("start_flow", "describe"):
            fields.update(flow=str(value), params=dict(raw.get("params") or {}))
        elif kind == "consent":
            # `params`: topic and part of town; `notice`: shown, and kept as the wording.
            fields.update(
                set={"consent": bool(value)},
                params=dict(raw.get("params") or {}),
                buttons=self.buttons(raw.get("buttons"), raw, label),
            )
            if "notice" in raw:
                fields["say"] = self.texts(raw["notice"], raw, f"{label} notice")
        if kind != "branch" and "when" in raw:
            fields["when"] = self.condition(raw["when"], raw, label)
        for name in raw.get("clear") or ():
            if name not in self.slot_names:
                raise self.fail(raw, f"{label}: clear names unknown slot {name!r}")
        fields.update(
            goto=raw.get("goto") if kind != "goto" else value,
            clear=tuple(raw.get("clear") or ()),
            set={**dict(raw.get("set") or {}), **fields.get("set", {})},
            assign=dict(raw.get("assign") or {}),
        )
        for name in fields["assign"]:
            if name not in self.slot_names:
                raise self.fail(raw, f"{label}: assign names unknown slot {name!r}")
        return Step(**fields)

    def error_handler(self, raw: Any, parent: Any, where: str) -> ErrorHandler:
        if not isinstance(raw, dict):
            raise self.fail(parent, f"{where}: must be a mapping (say, clear, set, goto, handoff)")
        for name in raw.get("clear") or ():
            if name not in self.slot_names:
                raise self.fail(raw, f"{where}: clear names unknown slot {name!r}")
        return ErrorHandler(
            say=self.texts(raw["say"], raw, where) if "say" in raw else None,
            clear=tuple(raw.get("clear") or ()),
            set=dict(raw.get("set") or {}),
            goto=raw.get("goto"),
            handoff=bool(raw.get("handoff", False)),
        )

    def side_question(self, raw: Any) -> SideQuestion:
        return SideQuestion(
            keywords=tuple(str(k).lower() for k in raw.get("keywords") or ()),
            intents=tuple(raw.get("intents") or ()),
            steps=self.steps(raw.get("steps"), raw, "side_question"),
        )

    # --- cross checks ------------------------------------------------------------

    def check_references(self, flow: Flow) -> None:
        """Templates and conditions may only name slots, saved results or set variables."""
        names = set(flow.slots) | BUILTIN_NAMES
        names.update(f"{n}_item" for n, s in flow.slots.items() if s.options_from)
        for step in _all_steps(flow):
            names.update(filter(None, [step.save_as]))
            names.update(step.set)
            for handler in step.on_error.values():
                names.update(handler.set)
        for step in _all_steps(flow):
            texts = [
                *(step.say or {}).values(),
                *(step.item or {}).values(),
                *(step.empty or {}).values(),
                step.image or "",
                step.flow or "",
                *_strings(step.params),
                *_strings(step.assign),
                *(v for h in step.on_error.values() for v in (h.say or {}).values()),
            ]
            for text in texts:
                for match in TEMPLATE_RE.finditer(text):
                    root = match[1].split(".")[0]
                    if root not in names:
                        raise FlowDefinitionError(
                            flow.path,
                            step.line,
                            f"step {step.id!r}: template names unknown slot or result {root!r}",
                        )
            if step.when and step.when.value.split(".")[0] not in names:
                raise FlowDefinitionError(
                    flow.path,
                    step.line,
                    f"step {step.id!r}: condition names unknown slot or result {step.when.value!r}",
                )


def _strings(value: Any) -> list[str]:
    """Every string inside nested params, for the template check."""
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    return [value] if isinstance(value, str) else []
