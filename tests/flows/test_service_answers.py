"""Service questions at the unit: the dialogue answers the part asked for (the NLU's
`service_aspect`), short, with "Mehr: …" and "apply now"; apply_service hands a question
to service_info; a service named with a wrong, unsure intent is still a question."""

from __future__ import annotations

import pytest

from flows.dialogue import Dialogue
from flows.events import ReplySent
from tests.flows.helpers import Chat, FakeServices, turn

# (language, intent, service, aspect, the answer's two lines, the "Mehr" button's title)
CASES = [
    ("de", "service_info", "change_of_address", "requirements",
     ["*Ummeldung (Umzug)*", "Was Sie brauchen: "], "Mehr: Ummeldung (Umzug)"),
    ("de", "apply_service", "dog_registration", "where",
     ["*Hundeanmeldung*", "Wo: Online hier im Chat"], "Mehr: Hundeanmeldung"),
    ("en", "service_info", "bulky_waste", "fees",
     ["*Bulky waste pickup*", "Fees: Free twice a year"], "More: Bulky waste pickup"),
    ("en", "apply_service", "residents_parking_permit", "processing_time",
     ["*Residents' parking permit*", "Processing time: "], "More: Residents' parking permit"),
    ("nl", "service_info", "dog_registration", "legal_basis",
     ["*Hond aanmelden*", "Wettelijke basis: Hondenbelastingverordening"], "Meer: Hond aanmelden"),
    ("nl", "opening_hours", "change_of_address", "where",  # unsure and wrong: still answered
     ["*Verhuizing doorgeven*", "Waar: "], "Meer: Verhuizing doorgeven"),
]


@pytest.mark.parametrize(("lang", "intent", "service", "aspect", "lines", "more"), CASES)
def test_the_part_asked_for_with_more_and_apply(
    lang: str, intent: str, service: str, aspect: str, lines: list[str], more: str
) -> None:
    chat = Chat(FakeServices())
    confidence = 0.5 if intent == "opening_hours" else 0.95
    texts = chat.send(
        "?", intent=intent, confidence=confidence,
        entities={"service": service, "service_aspect": aspect}, lang=lang,
    )
    assert len(texts) == 1
    answer = texts[0].split("\n")
    assert len(answer) == 2 and all(a.startswith(b) for a, b in zip(answer, lines, strict=True))
    assert chat.buttons() == [f"info_{service}", f"flow:{service}"]
    titles = [b.title for e in chat.events if isinstance(e, ReplySent) for b in e.reply.buttons]
    assert titles[0] == more
    whole = chat.send(payload=f"info_{service}", lang=lang)[0]
    assert len(whole.split("\n")) == 7 and answer[1] in whole
    assert chat.buttons() == [f"flow:{service}"]


@pytest.mark.parametrize(
    ("lang", "service", "first_question"),
    [
        ("de", "dog_registration", "Wie heißt Ihr Hund?"),
        ("en", "bulky_waste", "Where should we collect? Please give street and house number."),
        ("nl", "residents_parking_permit", "Voor welk adres? (straat en huisnummer)"),
    ],
)
def test_a_wish_without_a_question_starts_the_form(
    lang: str, service: str, first_question: str
) -> None:
    chat = Chat(FakeServices())
    texts = chat.send("…", intent="apply_service", entities={"service": service}, lang=lang)
    assert texts == [first_question]
    assert [f["flow"] for f in chat.state["flows"]] == [service]


def test_a_sure_other_intent_stays() -> None:
    """A service named in a message the classifier is sure about is not hijacked."""
    chat = Chat(FakeServices())
    texts = chat.send(
        "Wann hat das Bürgerbüro offen?", intent="help", confidence=0.97,
        entities={"service": "citizens_office_appointment", "service_aspect": "where"},
    )
    assert texts and not any(b.startswith("info_") for b in chat.buttons())


@pytest.mark.parametrize(
    ("lang", "entities", "first_line"),
    [
        ("en", {"service": "bulky_waste"}, "Where should we collect?"),
        ("de", {"service": "bulky_waste", "service_aspect": "fees"}, "*Sperrmüllabholung*"),
        ("nl", {"service": "dog_registration"}, "Hoe heet uw hond?"),
    ],
)
def test_unsure_between_applying_and_asking_the_aspect_decides(
    lang: str, entities: dict[str, str], first_line: str
) -> None:
    """Below the threshold, with apply_service and service_info on top, no "Meinten Sie"."""
    unsure = turn("…", intent="apply_service", confidence=0.5, entities=entities, lang=lang)
    unsure.parse["intent_ranking"].append({"name": "service_info", "confidence": 0.4})
    _, events = Dialogue(threshold=0.6).respond({}, unsure, FakeServices())
    texts = [e.reply.text for e in events if isinstance(e, ReplySent)]
    assert texts[0].startswith(first_line)
