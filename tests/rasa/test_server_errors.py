"""The endpoint's error mapping: an action that crashes is a JSON 500, not a traceback."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from rasa_sdk import Action
from rasa_sdk.executor import ActionExecutor

from bot.rasa.server import create_app
from tests.rasa.rasa_shapes import action_call


class Crashes(Action):
    """A custom action with a bug, as any action server may have."""

    def name(self) -> str:
        return "action_with_a_bug"

    def run(self, dispatcher: Any, tracker: Any, domain: Any) -> list[dict[str, Any]]:
        raise RuntimeError("division by zero somewhere")


def test_a_crashing_action_is_a_json_500_naming_the_action() -> None:
    executor = ActionExecutor()
    executor.register_action(Crashes())
    client = TestClient(create_app(executor))

    response = client.post("/webhook", json=action_call("action_with_a_bug"))

    assert response.status_code == 500
    assert response.json() == {
        "error": "Custom action 'action_with_a_bug' failed on the action server.",
        "action_name": "action_with_a_bug",
    }


def test_a_call_without_domain_or_known_digest_asks_for_the_domain() -> None:
    executor = ActionExecutor()
    executor.register_action(Crashes())
    body = {**action_call("action_with_a_bug"), "domain": None, "domain_digest": "abc"}

    response = TestClient(create_app(executor)).post("/webhook", json=body)

    assert response.status_code == 449
    assert response.json()["action_name"] == "action_with_a_bug"
