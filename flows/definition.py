"""The typed shape of a flow, as the loader builds it from YAML and the runtime reads it.

A flow is data, not code: slots to fill (each with a type, validation and a prompt in
every language), and a list of steps the runtime walks (`collect`, `action`, `branch`,
`confirm`, `say`, `handoff`, `start_flow`, `end`). Everything here is immutable, so one
loaded set of flows can serve every conversation of a process.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

LANGS = ("de", "en", "nl")
SLOT_TYPES = frozenset(
    {
        "text",
        "choice",
        "date",
        "time",
        "datetime",
        "duration",
        "integer",
        "amount",
        "phone",
        "email",
        "reference",
        "photo",
        "location",
        "yes_no",
        "pin",
    }
)
STEP_KINDS = (
    "collect",
    "action",
    "branch",
    "confirm",
    "say",
    "handoff",
    "start_flow",
    "describe",
    "consent",
    "assign",
    "end",
)

Texts = dict[str, str]  # language → text, always de, en and nl


@dataclass(frozen=True)
class Condition:
    """`value` (a slot or variable path) compared with one operator.

    Operators: equals, not_equals, in, empty (true/false), lt, gt.
    """

    value: str
    op: str
    operand: Any


@dataclass(frozen=True)
class Option:
    """One allowed value of a choice slot, with its title and what people type for it."""

    value: str
    title: Texts
    synonyms: tuple[str, ...] = ()


@dataclass(frozen=True)
class OptionsSource:
    """Allowed values read at ask time from an action result or a variable."""

    list_path: str  # where the list is in the result / variables, e.g. "merchants"
    value_key: str
    title_key: str
    action: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    limit: int = 8


@dataclass(frozen=True)
class Otherwise:
    """For a choice: put an unmatched typed answer into `slot` and go to step `goto`."""

    slot: str
    goto: str


@dataclass(frozen=True)
class ButtonDef:
    """A shortcut under a prompt: title per language and the payload it sends."""

    title: Texts
    payload: str


@dataclass(frozen=True)
class SlotDef:
    """One thing the flow needs to know, how to recognise it and how to ask for it."""

    name: str
    type: str
    prompt: Texts
    label: Texts
    line: int = 0
    entities: tuple[str, ...] = ()
    options: tuple[Option, ...] = ()
    options_from: OptionsSource | None = None
    buttons: tuple[ButtonDef, ...] = ()
    invalid: Texts | None = None  # help shown when an answer does not fit
    optional: bool = False  # yes: "skip" is a valid answer (photo, remarks)
    when: Condition | None = None  # asked only if this holds
    min: Any = None
    max: Any = None
    pattern: str | None = None
    in_summary: bool = True
    scan: bool = False  # read from any message's text, asked or not ("am Samstag")
    otherwise: Otherwise | None = None
    options_of: str | None = None  # `options: services` / `options: aspects`, built in


@dataclass(frozen=True)
class ErrorHandler:
    """What to do when an action raises `ActionError(code)`: say, clear, set, go on."""

    say: Texts | None = None
    clear: tuple[str, ...] = ()
    set: dict[str, Any] = field(default_factory=dict)
    goto: str | None = None
    handoff: bool = False


@dataclass(frozen=True)
class Step:
    """One step of a flow; which fields matter depends on `kind`."""

    id: str
    kind: str
    line: int = 0
    slots: tuple[str, ...] = ()  # collect: slots in order; confirm: slots in the summary
    any_of: bool = False  # collect: one of the slots is enough
    action: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    save_as: str | None = None
    on_error: dict[str, ErrorHandler] = field(default_factory=dict)
    when: Condition | None = None  # the step runs only if this holds (else it is skipped)
    goto: str | None = None
    say: Texts | None = None
    each: str | None = None  # say: a list to render item by item
    item: Texts | None = None
    empty: Texts | None = None
    buttons: tuple[ButtonDef, ...] = ()
    image: str | None = None  # say: a template giving an image URL
    clear: tuple[str, ...] = ()
    set: dict[str, Any] = field(default_factory=dict)
    assign: dict[str, Any] = field(default_factory=dict)  # slot → template, e.g. from a choice
    flow: str | None = None  # start_flow: a template naming the flow
    restart: str | None = None  # confirm: where to go back to after a correction


@dataclass(frozen=True)
class SideQuestion:
    """A question answered mid-flow ("was kostet das?") before the open slot is re-asked."""

    keywords: tuple[str, ...]
    intents: tuple[str, ...]
    steps: tuple[Step, ...]


#: The parts of a service's description, in the order a full answer shows them.
SERVICE_PARTS = ("summary", "requirements", "fees", "where", "processing_time", "legal_basis")


@dataclass(frozen=True)
class ServiceDef:
    """A city service's one entry (`service:` in its flow file): everything else derives
    from it: menu options, the NLU's `service` lookup, names in replies, backend rules."""

    title: Texts  # its name on buttons and in lists ("Hundeanmeldung")
    synonyms: dict[str, tuple[str, ...]]  # language → what citizens call it
    description: dict[str, Texts]  # SERVICE_PARTS → texts
    rules: dict[str, Any] = field(default_factory=dict)  # for the backend (actions)


@dataclass(frozen=True)
class Flow:
    """A loaded, validated flow."""

    name: str
    path: str
    title: Texts
    slots: dict[str, SlotDef]
    steps: tuple[Step, ...]
    intents: tuple[str, ...] = ()
    start_payloads: dict[str, dict[str, str]] = field(default_factory=dict)
    side_questions: tuple[SideQuestion, ...] = ()
    service: ServiceDef | None = None  # set for a city service
    remember: tuple[str, ...] = ()  # slots kept for later flows (the voucher code)

    @property
    def is_service(self) -> bool:
        return self.service is not None

    def step_index(self, step_id: str) -> int:
        """Position of a step; the loader has checked that every goto target exists."""
        for index, step in enumerate(self.steps):
            if step.id == step_id:
                return index
        raise KeyError(step_id)
