"""Dates as citizens write them, at the NLU: weekday plurals, compounds and typos, and a
day that has just passed kept in this year (the flow refuses it with the reason)."""

from __future__ import annotations

from datetime import datetime

import pytest

from nlu.entities.temporal import extract_temporal
from nlu.normalize import normalize

TUESDAY = datetime(2026, 12, 1, 10, 0)  # Tuesday 1 December 2026


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("ist das museum donnerstags offen", "2026-12-03"),
        ("nur sonntags", "2026-12-06"),
        ("am mitwoch nachmittag", "2026-12-02"),  # one letter missing
        ("freitg", "2026-12-04"),
        ("samstagabend", "2026-12-05"),
        ("open on fridays?", "2026-12-04"),
        ("wendesday", "2026-12-02"),  # two letters swapped
        ("thursdays only", "2026-12-03"),
        ("alleen woensdags", "2026-12-02"),
        ("op vrijdg", "2026-12-04"),
        ("zondagmiddag", "2026-12-06"),
        ("am 26.11.", "2026-11-26"),  # five days ago: this year's, refused as past by the flow
        ("on 29 November", "2026-11-29"),
        ("op 20-1-2027", "2027-01-20"),
        ("am 10.01.", "2027-01-10"),  # ahead: next year's
        ("am 10.06.", "2027-06-10"),  # half a year ago: next year's
    ],
)
def test_dates_as_written(text: str, iso: str) -> None:
    dates = [
        v for name, v, _, _ in extract_temporal(normalize(text).text, TUESDAY) if name == "date"
    ]
    assert dates == [iso]


@pytest.mark.parametrize("text", ["die dienste der stadt", "money", "sonnig heute nicht", "zonder"])
def test_words_near_weekdays_are_no_dates(text: str) -> None:
    dates = [
        v for name, v, _, _ in extract_temporal(normalize(text).text, TUESDAY) if name == "date"
    ]
    assert "heute" in text or dates == []
