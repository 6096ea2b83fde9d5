"""Flow files are checked when loaded: every mistake names the file, the line and the fault.

Also: the shipped flows all load against the registered backend actions, a flow that
loops is stopped by the step cap, and a new city service is one new YAML file.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from actions.registry import catalogue
from flows.dialogue import DEFINITIONS_DIR, Dialogue
from flows.loader import FlowDefinitionError, load_flows
from flows.services import backend_rules, nlu_lookup
from tests.flows.helpers import Chat, FakeServices

TEXTS = "{de: Hallo, en: Hello, nl: Hallo}"


def write(directory: Path, name: str, body: str) -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(body).lstrip(), encoding="utf-8")
    return path


def load_one(tmp_path: Path, body: str) -> None:
    write(tmp_path, "broken.yaml", body)
    load_flows([tmp_path], catalogue())


def test_shipped_flows_load_against_the_registered_actions() -> None:
    known = catalogue()
    assert "boats.book" in known
    flows = load_flows([DEFINITIONS_DIR], known)
    assert {"book_boat", "redeem_voucher", "bulky_waste", "report_issue", "weather"} <= set(flows)
    services = [f.name for f in flows.values() if f.is_service]
    assert sorted(services) == [
        "bulky_waste",
        "change_of_address",
        "citizens_office_appointment",
        "dog_registration",
        "residents_parking_permit",
    ]


@pytest.mark.parametrize(
    ("body", "line", "fault"),
    [
        (
            f"""
            flow: x
            title: {TEXTS}
            slots:
              when:
                type: colour
                label: {TEXTS}
                prompt: {TEXTS}
            steps:
              - collect: [when]
            """,
            5,
            "unknown slot type 'colour'",
        ),
        (
            """
            flow: x
            title: {de: Hallo, en: Hello}
            steps:
              - end: true
            """,
            2,
            "title: missing language(s) ['nl']",
        ),
        (
            f"""
            flow: x
            title: {TEXTS}
            steps:
              - id: go
                action: boats.bok
            """,
            4,
            "step 'go': unknown action 'boats.bok'",
        ),
        (
            f"""
            flow: x
            title: {TEXTS}
            steps:
              - say: {TEXTS}
                goto: nowhere
            """,
            4,
            "goto target 'nowhere' is not a step of this flow",
        ),
        (
            f"""
            flow: x
            title: {TEXTS}
            steps:
              - id: hello
                say: {{de: "Hallo {{nme}}", en: Hello, nl: Hallo}}
            """,
            4,
            "template names unknown slot or result 'nme'",
        ),
        (
            f"""
            flow: x
            title: {TEXTS}
            steps:
              - id: no
                say: {TEXTS}
            """,
            4,
            "id must be a string (quote it), got False",
        ),
        (
            f"""
            flow: x
            title: {TEXTS}
            steps:
              - say: {TEXTS}
                ask: [a]
              - collect: [a]
            """,
            6,
            "unknown slot 'a'",
        ),
        (
            """
            flow: x
            title: {de: Hallo
            """,
            3,
            "invalid YAML",
        ),
        (
            f"""
            flow: x
            title: {TEXTS}
            service:
              summary: {TEXTS}
              fee: {TEXTS}
            steps:
              - end: true
            """,
            4,
            "service: unknown key(s) ['fee']",
        ),
        (
            f"""
            flow: x
            title: {TEXTS}
            service:
              synonyms: {{de: [hund], fr: [chien]}}
              summary: {TEXTS}
            steps:
              - end: true
            """,
            4,
            "service synonyms: a list per language",
        ),
        (
            f"""
            flow: x
            title: {TEXTS}
            slots:
              s:
                type: choice
                options: servics
                label: {TEXTS}
                prompt: {TEXTS}
            steps:
              - collect: [s]
            """,
            5,
            "options 'servics': a list or one of ('services', 'aspects')",
        ),
        (
            f"""
            flow: x
            title: {TEXTS}
            steps:
              - action: merchants.search
              - id: book
                action: boats.book
              - confirm: {TEXTS}
            """,
            5,
            "step 'book': action 'boats.book' writes, so it must come after the flow's confirm",
        ),
        (
            f"""
            flow: x
            title: {TEXTS}
            side_questions:
              - keywords: [storno]
                steps:
                  - id: cancel_it
                    action: boats.cancel
            steps:
              - confirm: {TEXTS}
              - action: boats.cancel
            """,
            6,
            "side question step 'cancel_it': action 'boats.cancel' writes",
        ),
    ],
)
def test_errors_name_file_line_and_fault(tmp_path: Path, body: str, line: int, fault: str) -> None:
    with pytest.raises(FlowDefinitionError) as caught:
        load_one(tmp_path, body)
    error = caught.value
    assert error.path.endswith("broken.yaml")
    assert error.line == line, str(error)
    assert fault in str(error)
    assert str(error).startswith(f"{error.path}:{line}: ")


def test_a_writing_action_after_the_confirm_step_loads(tmp_path: Path) -> None:
    write(
        tmp_path,
        "fine.yaml",
        f"""
        flow: fine
        title: {TEXTS}
        steps:
          - action: merchants.search
          - confirm: {TEXTS}
          - action: boats.book
        """,
    )
    assert "fine" in load_flows([tmp_path], catalogue())
    assert catalogue()["merchants.nearest"] is False
    assert catalogue()["privacy.request_erasure"] is True


def test_two_flows_may_not_claim_one_intent(tmp_path: Path) -> None:
    for name in ("a", "b"):
        body = f"flow: {name}\ntitle: {TEXTS}\nintents: [weather]\nsteps:\n  - end: true\n"
        write(tmp_path, f"{name}.yaml", body)
    with pytest.raises(
        FlowDefinitionError, match="intent 'weather' is already handled by flow 'a'"
    ):
        load_flows([tmp_path], None)


def test_a_looping_flow_is_stopped_by_the_step_cap(tmp_path: Path) -> None:
    write(
        tmp_path,
        "loop.yaml",
        f"""
        flow: loop
        title: {TEXTS}
        steps:
          - id: a
            goto: b
          - id: b
            goto: a
        """,
    )
    dialogue = Dialogue(threshold=0.5, flow_dirs=(DEFINITIONS_DIR, tmp_path))
    chat = Chat(FakeServices(), dialogue)
    texts = chat.send(payload="flow:loop")
    assert texts == [
        "Entschuldigung, da ist bei mir etwas schiefgelaufen. Ich habe den Vorgang beendet. "
        "Bitte versuchen Sie es noch einmal oder schreiben Sie „Mitarbeiter“."
    ]
    assert chat.state["flows"] == []


def test_a_new_service_is_one_yaml_file(tmp_path: Path) -> None:
    """A city adds "Sondernutzung" (use of a public square) without touching Python."""
    write(
        tmp_path,
        "special_use.yaml",
        """
        flow: special_use
        title: {de: Sondernutzung, en: special use permit, nl: vergunning}
        service:
          summary: {de: Für Stände auf Plätzen., en: For stalls on squares., nl: Voor kramen.}
          requirements: {de: Ort und Datum., en: Place and date., nl: Plaats en datum.}
          fees: {de: 20 € pro Tag., en: €20 per day., nl: 20 € per dag.}
          where: {de: Ordnungsamt., en: Public order office., nl: Openbare orde.}
          processing_time: {de: Eine Woche., en: One week., nl: Een week.}
          legal_basis: {de: Sondernutzungssatzung., en: Special use bylaw., nl: Verordening.}
        slots:
          day:
            type: date
            entity: date
            min: 1
            label: {de: Tag, en: Day, nl: Dag}
            prompt: {de: "An welchem Tag?", en: "Which day?", nl: "Welke dag?"}
          stalls:
            type: integer
            min: 1
            max: 5
            label: {de: Stände, en: Stalls, nl: Kramen}
            prompt: {de: "Wie viele Stände?", en: "How many stalls?", nl: "Hoeveel kramen?"}
        steps:
          - collect: [day, stalls]
          - confirm: {de: "Antrag:", en: "Application:", nl: "Aanvraag:"}
          - action: cases.submit
            params: {service: special_use, fields: {day: "{day}", stalls: "{stalls}"}}
            save_as: case
          - say:
              de: "Danke, {case.reference}."
              en: "Thanks, {case.reference}."
              nl: "Bedankt, {case.reference}."
        """,
    )
    dialogue = Dialogue(threshold=0.5, flow_dirs=(DEFINITIONS_DIR, tmp_path))
    services = FakeServices({"cases.submit": {"reference": "AH-2026-000042"}})
    chat = Chat(services, dialogue)
    assert chat.send(payload="service_special_use") == ["An welchem Tag?"]
    chat.send("Samstag", confidence=0.2)
    assert chat.send("9", confidence=0.2)[0] == "Bitte eine Zahl von 1 bis 5."
    texts = chat.send("zwei", confidence=0.2)
    assert texts == ["Antrag:\n• Tag: Sa, 21.11.2026\n• Stände: 2"]
    assert chat.send("ja", intent="affirm") == ["Danke, AH-2026-000042."]
    assert services.calls == [
        ("cases.submit", {"service": "special_use", "fields": {"day": "2026-11-21", "stalls": 2}})
    ]
    info = Chat(services, dialogue).send(payload="flow:service_info", lang="en")
    assert info == ["Which service would you like to know about?"]
    for menu in ("apply_service", "service_info"):  # an option of both, titled from its file
        options = {o.value: o.title["en"] for o in dialogue.flows[menu].slots["service"].options}
        assert options["special_use"] == "special use permit"
    assert backend_rules(dialogue.flows)["special_use"] == {}
    assert nlu_lookup(dialogue.flows)["special_use"] == ["Sondernutzung", "special use permit",
                                                         "vergunning"]
