"""Elliptical follow-ups reuse the last answered question with what they name, through
POST /api/chat in de/en/nl."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("lang", "first", "follow_up", "expected"),
    [
        (
            "de",
            "Wann ist das Hallenbad heute geöffnet?",
            "und sonntags?",
            ["Hallenbad", "08:00–14:00"],
        ),
        ("de", "Öffnungszeiten Wertstoffhof am Samstag", "und das Rathaus?", ["Rathaus"]),
        ("en", "is the pool open today?", "and on Sunday?", ["Indoor pool", "08:00–14:00"]),
        (
            "en",
            "library opening hours on saturday",
            "and the recycling yard?",
            ["Recycling yard", "09:00–14:00"],
        ),
        ("nl", "is het zwembad vandaag open?", "en zondag?", ["Zwembad", "08:00–14:00"]),
        (
            "nl",
            "openingstijden milieustraat zaterdag",
            "en de bibliotheek?",
            ["Bibliotheek", "10:00–13:00"],
        ),
    ],
)
def test_an_elliptical_follow_up_reuses_the_last_question(chat, lang, first, follow_up, expected):
    web = chat(lang)
    web.send(first)
    reply = web.send(follow_up)
    assert all(e in reply for e in expected), reply
