"""Per-service rules come from the services' YAML files; a rule the backend cannot apply
stops the start with the service and the key named, and a service no file declares
cannot be applied for."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from actions import service_rules
from actions.registry import ActionError
from flows import services
from flows.dialogue import DEFINITIONS_DIR
from flows.loader import load_flows


@pytest.fixture
def shipped() -> Iterator[None]:
    """The shipped services registered again after a test replaced them."""
    yield
    service_rules.register(services.backend_rules(load_flows([DEFINITIONS_DIR])))


@pytest.mark.parametrize(
    ("rules", "fault"),
    [
        ({"teem": "bauhof"}, "service 'x': unknown rule(s) ['teem']"),
        ({"checks": {"street": "known_stret"}}, "service 'x': unknown check(s) ['known_stret']"),
        ({"required": "street"}, "service 'x': required must be a list"),
        ({"expected_days": "soon"}, "service 'x': expected_days must be a number"),
    ],
)
def test_a_bad_rule_is_refused_by_name(rules: dict, fault: str) -> None:
    with pytest.raises(ValueError, match=re.escape(fault)):
        service_rules.register({"x": rules})


def test_the_shipped_rules_are_those_of_the_files() -> None:
    permit = service_rules.rules_for("residents_parking_permit")
    assert permit is not None and permit.team == "ordnungsamt"
    assert permit.required == ("licence_plate",)
    assert permit.checks == (("licence_plate", "licence_plate"), ("street", "known_street"))
    office = service_rules.rules_for("citizens_office_appointment")
    assert office is not None and not office.submit


def test_an_unregistered_service_cannot_be_applied_for(call, new_contact, shipped) -> None:
    service_rules.register({"library_card": {"next_step": "card_at_library", "expected_days": 3}})
    result = call("cases.submit", new_contact(), service="library_card", fields={"name": "A"})
    assert (result["next_step"], result["expected_days"], result["team"]) == (
        "card_at_library", 3, "buergerbuero",
    )
    with pytest.raises(ActionError) as caught:
        call("cases.submit", new_contact(), service="dog_registration", fields={})
    assert caught.value.code == "unknown_service"
