"""Whether a generated answer says only what its passages say, in the citizen's language.

A model that adds a plausible phone number or fee is worse than no model: an answer that
names a number, date, time, URL, e-mail address or phone number the passages do not
contain is refused, and so is one in another language; the caller falls back to the
passage itself.
"""

from __future__ import annotations

import re

from nlu.language import detect_lingua

_CITATION = re.compile(r"\[\d{1,2}\]")
_URL = re.compile(r"(?:https?://|www\.)[^\s)>\]]+", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
# Digit runs with their separators: "02561 72-700", "12,50", "6:30", "15.01.", "2026".
_NUMBER = re.compile(r"\d(?:[\d.,:/-]|\s(?=\d))*")
MIN_WORDS_FOR_LANGUAGE = 5


def facts(text: str) -> set[str]:
    """The checkable facts of a text: URLs, e-mail addresses and digit runs (digits only)."""
    text = _CITATION.sub(" ", text)
    found = {m.lower().rstrip(".,;:") for m in _URL.findall(text)}
    found |= {m.lower().rstrip(".,;:") for m in _EMAIL.findall(text)}
    rest = _EMAIL.sub(" ", _URL.sub(" ", text))
    found |= {re.sub(r"\D", "", m) for m in _NUMBER.findall(rest)}
    return {f for f in found if f}


def grounded(answer: str, passages: list[str], lang: str) -> bool:
    """True when every fact of `answer` is in the passages and it is in `lang`."""
    source = " ".join(passages)
    allowed = facts(source)
    digits = re.sub(r"\D", "", source)
    for fact in facts(answer):
        if fact not in allowed and not (fact.isdigit() and _in_digit_runs(fact, allowed, digits)):
            return False
    bare = _CITATION.sub(" ", answer)
    if len(bare.split()) >= MIN_WORDS_FOR_LANGUAGE:
        detected, _ = detect_lingua(bare)
        if detected != lang:
            return False
    return True


def _in_digit_runs(fact: str, allowed: set[str], digits: str) -> bool:
    """ "72700" may be written "72-700" or split differently than in the passage; a
    number is fine if it is one of the passage's runs or a part of one of them."""
    return any(fact in run for run in allowed if run.isdigit()) and fact in digits
