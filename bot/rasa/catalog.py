"""The Rasa side of the city's actions: action names, the slots they read and set.

One table, read by the action server (which backend action a Rasa action runs, with
which parameters) and by `stadtbot rasa export` (the actions and slots a Rasa domain
must declare), so the two cannot disagree. Slot names are the slot names of Stadtbot's
own flows (`flows/definitions/`), and each slot is read with that flow's slot type:
"morgen" becomes a date, "2 Stunden" 120 minutes, "12,50 €" 1250 cents, exactly as in
Stadtbot's chats.

A Rasa action has one or more variants; the first whose required slots are all filled
runs. With none of them filled the action rejects (HTTP 400, `ActionExecutionRejected`),
and Rasa's policies choose another action, as they do for any rejecting action.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from flows.definition import Flow

# Slot types a Rasa form can ask for in plain text (photos and shared locations it cannot).
FORM_SLOT_TYPES = frozenset(
    {"text", "choice", "date", "time", "datetime", "duration", "integer", "amount", "phone",
     "email", "reference", "yes_no", "pin"}
)
FORM_SUFFIX = "_form"
SERVICE_SLOT = "service"  # action_submit_application: which service flow's form is meant


@dataclass(frozen=True)
class Variant:
    """One way to run: the backend action, its params (flow template syntax), what it needs."""

    action: str
    params: dict[str, Any]
    required: tuple[str, ...]


@dataclass(frozen=True)
class RasaAction:
    """A custom action a Rasa assistant can call on Stadtbot's action server."""

    name: str
    flow: str  # whose slot types read the slots, and whose error texts are said
    variants: tuple[Variant, ...]
    reply: str | None = None  # a reply of bot.rasa.replies; None: the flow's own `say`
    sets: dict[str, str] = field(default_factory=dict)  # Rasa slot ← path in the result
    optional: tuple[str, ...] = ()  # slots read when filled

    @property
    def slots(self) -> list[str]:
        """Every slot this action reads or sets, in a stable order."""
        names = [s for v in self.variants for s in v.required] + list(self.optional)
        return list(dict.fromkeys([*names, *self.sets]))


BOAT_WINDOW = {"type": "{boat_type}", "date": "{date}", "time": "{time}", "duration": "{duration}"}
BOAT_SLOTS = ("boat_type", "date", "time", "duration")

CATALOG: tuple[RasaAction, ...] = (
    RasaAction(
        name="action_search_boats",
        flow="book_boat",
        variants=(Variant("boats.search", BOAT_WINDOW, BOAT_SLOTS),),
        reply="search",
        sets={"boat_available": "available", "price_cents": "price_cents"},
    ),
    RasaAction(
        name="action_book_boat",
        flow="book_boat",
        variants=(Variant("boats.book", BOAT_WINDOW, BOAT_SLOTS),),
        sets={"booking_reference": "reference"},
    ),
    RasaAction(
        name="action_my_bookings",
        flow="my_bookings",
        variants=(Variant("boats.my_bookings", {}, ()),),
    ),
    RasaAction(
        name="action_cancel_booking",
        flow="cancel_booking",
        variants=(Variant("boats.cancel", {"reference": "{booking}"}, ("booking",)),),
    ),
    RasaAction(
        name="action_voucher_balance",
        flow="voucher_balance",
        variants=(Variant("vouchers.balance", {"code": "{code}", "pin": "{pin}"}, ("code",)),),
        sets={"balance_cents": "balance_cents"},
        optional=("pin",),
    ),
    RasaAction(
        name="action_redeem_voucher",
        flow="redeem_voucher",
        variants=(
            Variant(
                "vouchers.redeem",
                {
                    "code": "{code}",
                    "merchant_id": "{merchant_id}",
                    "amount_cents": "{amount}",
                    "pin": "{pin}",
                },
                ("code", "merchant_id", "amount"),
            ),
        ),
        sets={"balance_cents": "balance_cents", "transaction_id": "transaction_id"},
        optional=("pin",),
    ),
    RasaAction(
        name="action_find_acceptance_points",
        flow="find_acceptance_point",
        variants=(
            Variant("merchants.search", {"name": "{shop_name}", "limit": 5}, ("shop_name",)),
            Variant("merchants.search", {"category": "{category}", "limit": 5}, ("category",)),
        ),
        sets={"merchant_id": "merchants.0.id"},
    ),
    RasaAction(
        name="action_submit_application",
        flow="",  # the service flow named by the `service` slot
        variants=(),
        sets={"reference": "reference"},
    ),
    RasaAction(
        name="action_case_status",
        flow="case_status",
        variants=(Variant("cases.status", {"reference": "{reference}"}, ("reference",)),),
    ),
)

BY_NAME = {spec.name: spec for spec in CATALOG}


def form_name(flow_name: str) -> str:
    """The Rasa form a flow becomes (`book_boat` → `book_boat_form`)."""
    return f"{flow_name}{FORM_SUFFIX}"


def form_slots(flow: Flow) -> list[str]:
    """The slots a Rasa form asks, in the flow's order: those its `collect` steps always
    ask (not optional, not conditional, not chosen from a search result; of an `any_of`
    step only the first), and only of types a form can ask in text."""
    names: list[str] = []
    for step in flow.steps:
        if step.kind != "collect":
            continue
        for name in step.slots[:1] if step.any_of else step.slots:
            slot = flow.slots[name]
            plain = not (slot.optional or slot.when or slot.options_from)
            if plain and slot.type in FORM_SLOT_TYPES and name not in names:
                names.append(name)
    return names


# What a Rasa assistant runs when the form of a flow is complete (services: submit).
AFTER_FORM = {
    "book_boat": ("action_search_boats",),
    "voucher_balance": ("action_voucher_balance",),
    "redeem_voucher": ("action_find_acceptance_points", "action_redeem_voucher"),
    "find_acceptance_point": ("action_find_acceptance_points",),
    "case_status": ("action_case_status",),
}
SUBMIT_ACTION = "action_submit_application"


def after_form(flow: Flow) -> tuple[str, ...]:
    """The catalog actions that finish the flow's form, or () if it has none."""
    if flow.name in AFTER_FORM:
        return AFTER_FORM[flow.name]
    if flow.is_service and any(step.action == "cases.submit" for step in flow.steps):
        return (SUBMIT_ACTION,)
    return ()


def form_flows(flows: dict[str, Flow] | Iterable[Flow]) -> list[Flow]:
    """The flows that become Rasa forms: slots to ask and an action to run after."""
    items = flows.values() if isinstance(flows, dict) else flows
    return [flow for flow in items if form_slots(flow) and after_form(flow)]
