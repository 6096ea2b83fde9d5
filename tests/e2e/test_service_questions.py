"""A question about a service is answered with the part asked for, short, with "Mehr: …";
a wish to apply starts the application (issue 10, part 5). Trained NLU, real flows, over
`POST /api/chat`, in de/en/nl, with sentences written for this test."""

from __future__ import annotations

import pytest

# (language, question, service, the part's label and the start of its text, a part not asked)
QUESTIONS = [
    ("de", "Was muss ich für die Ummeldung mitbringen?", "change_of_address",
     "Was Sie brauchen: ", "Kosten: "),
    ("de", "Wo beantrage ich einen Bewohnerparkausweis?", "residents_parking_permit",
     "Wo: ", "Dauer: "),
    ("en", "How long does it take to get a residents parking permit?",
     "residents_parking_permit", "Processing time: ", "Fees: "),
    ("en", "Where should I go to register a puppy?", "dog_registration", "Where: ", "Fees: "),
    ("nl", "Wat kost het ophalen van grofvuil?", "bulky_waste", "Kosten: ", "Waar: "),
    ("nl", "Waar kan ik mijn hond aanmelden?", "dog_registration", "Waar: ", "Kosten: "),
]
# (language, wish, the application's first question)
APPLICATIONS = [
    ("de", "Ich möchte gern Sperrmüll anmelden", "Wo soll abgeholt werden?"),
    ("de", "Ich muss meinen Hund anmelden", "Wie heißt Ihr Hund?"),
    ("en", "I'd like to register my new puppy", "What is your dog's name?"),
    ("en", "Please sign me up for bulky waste collection", "Where should we collect?"),
    ("nl", "Ik wil mijn verhuizing doorgeven", "Wanneer bent u verhuisd"),
    ("nl", "Graag een parkeervergunning voor bewoners aanvragen", "Voor welk adres?"),
]
MORE = {"de": "Mehr: ", "en": "More: ", "nl": "Meer: "}


@pytest.mark.parametrize(("lang", "question", "service", "part", "other"), QUESTIONS)
def test_a_question_is_answered_with_the_part_asked(
    chat, lang: str, question: str, service: str, part: str, other: str
) -> None:
    web = chat(lang)
    answer = web.send(question)
    assert part in answer and other not in answer
    assert len(answer.splitlines()) == 2  # the service's title and the part asked for
    assert web.payloads() == [f"info_{service}", f"flow:{service}"]
    assert web.last[0]["buttons"][0]["title"].startswith(MORE[lang])
    whole = web.send(payload=f"info_{service}")
    assert part in whole and other in whole


@pytest.mark.parametrize(("lang", "wish", "prompt"), APPLICATIONS)
def test_a_wish_to_apply_starts_the_application(
    chat, lang: str, wish: str, prompt: str
) -> None:
    assert chat(lang).send(wish).startswith(prompt)
