"""Dates as citizens write them, through POST /api/chat in de/en/nl: weekday plurals and
typos answer the day meant, a past day is refused with the reason, an impossible date
is named even in the first message."""

from __future__ import annotations

from datetime import date, timedelta

import pytest


def next_weekday(weekday: int) -> date:
    today = date.today()
    return today + timedelta(days=(weekday - today.weekday()) % 7)


@pytest.mark.parametrize(
    ("lang", "text", "weekday", "day_word"),
    [
        ("de", "Hat das Schwimmbad sonntags auf?", 6, "So"),
        ("de", "Hallenbad am Sonntg?", 6, "So"),
        ("en", "opening hours of the pool on sundays", 6, "Sun"),
        ("en", "is the pool open on sundy", 6, "Sun"),
        ("nl", "is het zwembad zondags open?", 6, "zo"),
        ("nl", "zwembad open op zondg?", 6, "zo"),
    ],
)
def test_weekday_plurals_and_typos_answer_that_day(chat, lang, text, weekday, day_word) -> None:
    reply = chat(lang).send(text)
    day = next_weekday(weekday)
    assert day_word in reply and "08:00–14:00" in reply, reply
    assert str(day.day) in reply


@pytest.mark.parametrize(
    ("lang", "start", "reason"),
    [
        ("de", "Ich möchte ein Tretboot ausleihen", "ist schon vorbei"),
        ("en", "I'd like to rent a pedal boat", "has already passed"),
        ("nl", "ik wil een waterfiets huren", "is al voorbij"),
    ],
)
def test_a_past_day_is_refused_with_the_reason(chat, lang: str, start: str, reason: str) -> None:
    web = chat(lang)
    web.send(start)
    gone = date.today() - timedelta(days=3)
    sep = "-" if lang == "nl" else "."
    reply = web.send(f"{gone.day}{sep}{gone.month}{'.' if sep == '.' else ''}")
    assert reason in reply and "60" not in reply, reply


@pytest.mark.parametrize(
    ("lang", "text", "named"),
    [
        ("de", "Kanu am 31.6. mieten", "Den 31.06. gibt es nicht"),
        ("en", "a canoe on 31 June please", "There is no 31.06."),
        ("nl", "een kano huren op 31 juni", "31.06. bestaat niet"),
    ],
)
def test_an_impossible_date_in_the_first_message_is_named(chat, lang, text, named) -> None:
    reply = chat(lang).send(text)
    assert named in reply, reply
