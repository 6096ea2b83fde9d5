"""The optional model through `POST /api/chat`, against a fake OpenAI-compatible server on
127.0.0.1: valid commands, invalid JSON, slot values the flow does not allow, an answer
with an invented phone number, a slow reply and a 500 are each handled; STOP, "Mitarbeiter"
and deletion never reach the model; personal data is masked; the budget is counted."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakes.openai import Plan, Script, create_fake_openai
from tests.fakes.server import ServerThread

TIMEOUT = 1.0
# A long message: the model reads it even when the classifier is sure.
LONG_BOAT = (
    "Wir sind am Wochenende mit den Kindern in Ahaus und würden gerne eine Runde auf dem "
    "Wasser am Schloss drehen, geht das irgendwie?"
)
QUESTION = "Welche Telefonnummer hat das Rathaus?"


@pytest.fixture
def script() -> Iterator[Script]:
    yield Script()


@pytest.fixture
def app_settings(script: Script) -> Iterator[dict[str, Any]]:
    server = ServerThread(create_fake_openai(script)).start()
    yield {
        "llm_base_url": server.url + "/v1",
        "llm_model": "city-model",
        "llm_api_key": "test-key",
        "llm_timeout_seconds": TIMEOUT,
    }
    server.stop()


def command(**data: Any) -> Plan:
    return Plan(content=json.dumps(data))


def user_texts(script: Script) -> list[str]:
    return [r["messages"][-1]["content"] for r in script.requests]


def test_a_valid_command_starts_the_flow_with_its_slots(chat, script) -> None:
    script.understand.append(
        command(command="start_flow", flow="book_boat", slots={"boat_type": "Tretboot"})
    )
    web = chat("de")
    reply = web.send(LONG_BOAT)
    assert "Boot: Tretboot" in reply, reply  # the model's slot, checked, in the flow's summary
    assert script.kinds() == ["understand"]
    request = script.requests[0]
    assert request["model"] == "city-model" and request["authorization"] == "Bearer test-key"
    assert "book_boat" in request["messages"][0]["content"]  # the catalogue is in the prompt


@pytest.mark.parametrize(
    "plan",
    [
        Plan(content="Gerne! Ich buche Ihnen sofort ein Boot."),  # no JSON
        command(command="start_flow", flow="book_boat", slots={"boat_type": "Yacht"}),
        command(command="start_flow", flow="transfer_money", slots={}),
        Plan(
            content='{"command": "start_flow", "flow": "book_boat", "slots": {"date": "gestern"}}'
        ),
        Plan(status=500),
        Plan(content='{"command": "handoff"}', delay=3 * TIMEOUT),  # too slow
    ],
    ids=["invalid-json", "option-not-allowed", "unknown-flow", "date-not-allowed", "500", "slow"],
)
def test_invalid_or_failed_proposals_leave_the_classifier_in_charge(chat, script, plan) -> None:
    script.understand.append(plan)
    web = chat("de")
    start = time.monotonic()
    reply = web.send(LONG_BOAT)
    took = time.monotonic() - start
    assert script.kinds()[:1] == ["understand"]
    assert "Yacht" not in reply and "Mitarbeiter" not in reply
    # The classifier's reading: a boat booking asking which boat (nothing was filled).
    assert "Welches Boot möchten Sie mieten?" in reply, reply
    assert took < TIMEOUT + 1.5, took  # the time-out plus the turn itself (shared cores)


def test_a_grounded_answer_is_shown_with_its_sources(chat, script) -> None:
    script.answer.append(Plan(content="Das Rathaus erreichen Sie unter 02561 72-0 [1]."))
    web = chat("de")
    reply = web.send(QUESTION)
    assert reply.startswith("Das Rathaus erreichen Sie unter 02561 72-0 [1]."), reply
    assert "[1] Quelle: Rathaus Ahaus – Adresse und Öffnungszeiten (Stand 01.07.2026)" in reply
    assert any(p.startswith("knowledge:rathaus.de") for p in web.payloads())
    system = script.requests[-1]["messages"][0]["content"]
    assert "02561 72-0" in system and "German" in system  # the passages and the language


@pytest.mark.parametrize(
    "invented",
    [
        "Rufen Sie einfach 02561 99-123 an [1].",  # a phone number not in the passages
        "Das Rathaus hat die Nummer 02561 72-0, mehr unter https://ahaus.example/faq [1].",
        "You can call the town hall on 02561 72-0 from Monday to Friday [1].",  # English
    ],
    ids=["phone", "url", "language"],
)
def test_an_ungrounded_answer_is_replaced_by_the_passage(chat, script, invented) -> None:
    script.answer.append(Plan(content=invented))
    web = chat("de")
    reply = web.send(QUESTION)
    assert "99-123" not in reply and "ahaus.example" not in reply and "You can" not in reply
    assert "Die zentrale Telefonnummer ist 02561 72-0" in reply, reply
    assert "Quelle: Rathaus Ahaus – Adresse und Öffnungszeiten (Stand 01.07.2026)" in reply


def test_a_failed_answer_falls_back_to_the_passage(chat, script) -> None:
    script.answer.append(Plan(status=500))
    reply = chat("de").send(QUESTION)
    assert "Die zentrale Telefonnummer ist 02561 72-0" in reply and "Quelle:" in reply


@pytest.mark.parametrize(
    "text",
    [
        "STOP",
        "Ich möchte bitte mit einem Mitarbeiter sprechen, das ist mir alles zu kompliziert hier",
        "Bist du ein Bot oder ein Mensch, ich will das wirklich wissen bevor ich weiterschreibe",
        "Bitte löschen Sie alle meine Daten, ich möchte nicht mehr gespeichert sein bei Ihnen",
    ],
)
def test_safety_messages_never_reach_the_model(chat, script, text) -> None:
    chat("de").send(text)
    assert script.kinds() == [], user_texts(script)


def test_personal_data_is_masked_and_the_budget_counted(client, chat, script) -> None:
    script.understand.append(command(command="out_of_scope"))
    chat("de").send(
        "Hallo, ich heiße Anna Schmidt, meine Nummer ist 0151 23456789 und meine Mail "
        "anna.schmidt@example.de, Gutschein AHS-DEMO-0001, was kann man hier so machen?"
    )
    sent = user_texts(script)[0]
    for secret in ("0151", "23456789", "anna.schmidt@example.de", "AHS-DEMO-0001", "Schmidt"):
        assert secret not in sent, sent
    metrics = client.get("/metrics").text
    assert "stadtbot_llm_tokens_month 120.0" in metrics, [
        line for line in metrics.splitlines() if "llm" in line
    ]
    assert "stadtbot_llm_token_budget 2e+06" in metrics


def test_a_slow_model_call_does_not_hold_up_other_conversations(chat, script) -> None:
    """The call runs before the conversation's lock: while one citizen waits for the
    model, another is answered at once (both on SQLite's single writer)."""
    script.understand.append(Plan(content='{"command": "out_of_scope"}', delay=0.9 * TIMEOUT))
    slow, quick = chat("de"), chat("de")
    quick.send("Hallo")  # the session exists; its next turn needs no model
    done: list[float] = []
    waiting = threading.Thread(target=lambda: (slow.send(LONG_BOAT), done.append(time.monotonic())))
    waiting.start()
    deadline = time.monotonic() + 5
    while not script.requests and time.monotonic() < deadline:
        time.sleep(0.01)  # the slow turn is now waiting for the model
    start = time.monotonic()
    quick.send(payload="flow:parking")
    answered = time.monotonic()
    waiting.join(10)
    assert done and answered < done[0], "the quick turn waited for the model"
    assert answered - start < 0.6 * TIMEOUT, answered - start


INDIRECT_ANSWER = (
    "Hm, meine Kinder sind noch ziemlich klein, ich glaube so eins wo man mit den Füßen "
    "strampelt wäre für uns am besten"
)


def test_set_slots_answers_the_question_of_the_flow_under_way(chat, script) -> None:
    web = chat("de")
    assert "Welches Boot möchten Sie mieten?" in web.send("Ich möchte ein Boot mieten")
    assert script.kinds() == []  # short and understood: no model
    script.understand.append(command(command="set_slots", slots={"boat_type": "Tretboot"}))
    reply = web.send(INDIRECT_ANSWER)
    assert script.kinds() == ["understand"]
    assert "An welchem Tag?" in reply, reply  # the boat type is filled (see the next test)


def test_a_proposal_to_switch_flows_is_undone_while_a_flow_asks(chat, script) -> None:
    web = chat("de")
    web.send("Ich möchte ein Boot mieten")
    script.understand.append(command(command="start_flow", flow="redeem_voucher", slots={}))
    reply = web.send(INDIRECT_ANSWER)
    assert script.kinds() == ["understand"]
    assert "Gutschein" not in reply, reply  # still the boat booking, and without the
    assert "Welches Boot möchten Sie mieten?" in reply, reply  # model it is asked again
