"""Masking personal data in citizens' messages before they become training data.

A fallback ("the bot did not understand this") is the best source of new training
sentences, but it is a citizen's own words: names, phone numbers, addresses, voucher
codes. `anonymize` replaces each with a placeholder that keeps the sentence usable for
training ("mein Name ist <NAME>, Tel. <PHONE>"), so `stadtbot nlu review` and any
export show only masked text. It errs on the side of masking: a false mask costs a
word of training data, a missed one a citizen's privacy.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from nlu.entities import patterns

# Words that introduce a person's name, in the three languages; the name is the next
# one to three capitalised words ("Frau Dr. Anna van der Berg" keeps "van der").
_NAME_INTRO = (
    r"(?:ich\s+hei(?:ß|ss)e|mein\s+name\s+ist|ich\s+bin|hier\s+ist|name\s*:|"
    r"herr|frau|hr\.|fr\.|dr\.|"
    r"my\s+name\s+is|i\s+am|i'm|this\s+is|mr\.?|mrs\.?|ms\.?|"
    r"ik\s+heet|mijn\s+naam\s+is|ik\s+ben|meneer|mevrouw|dhr\.|mevr\.)"
)
_NAME_PARTICLE = r"(?:van|von|der|den|de|ten|ter|zu|vom|op|het|la|le|di)\b"
_LOWER = "a-zäöüßéèëï'"
_CAPITAL = rf"[A-ZÄÖÜ][{_LOWER}]+(?:-[A-ZÄÖÜ][{_LOWER}]+)*"
_TITLE = r"(?:(?i:dr|prof|mrs|mr|ms|herr|frau|hr|fr|meneer|mevrouw|dhr|mevr)\.?\s+)*"
_NAME = re.compile(
    rf"(?i:\b{_NAME_INTRO})\s+{_TITLE}((?:{_CAPITAL}|{_NAME_PARTICLE})"
    rf"(?:\s+(?:{_CAPITAL}|{_NAME_PARTICLE})){{0,3}})",
)
# A street with a house number: "Marktstraße 12a", "Am Schloss 3", "Wüllener Str. 7",
# "Kerkstraat 5", "Main Street 10". Street words by their usual endings.
_STREET_ENDINGS = (
    r"stra(?:ß|ss)e|str\.|weg|gasse|platz|allee|ring|damm|ufer|pfad|markt|"
    r"straat|laan|plein|gracht|steeg|street|road|avenue|lane"
)
_STREET_WORD = rf"(?:[A-ZÄÖÜ][\wäöüß\-]*(?:{_STREET_ENDINGS})|(?i:{_STREET_ENDINGS}))"
_STREET = re.compile(
    rf"\b(?:(?:Am|An\s+der|Auf\s+dem|Im|In\s+der|Zum|Zur|Hinter\s+der)\s+[A-ZÄÖÜ][\wäöüß\-]+|"
    rf"(?:[A-ZÄÖÜ][\wäöüß\-]+\s+)?{_STREET_WORD})\s+\d{{1,4}}\s?[a-zA-Z]?\b"
)
# Voucher codes and case references in any spacing ("ahs demo 0001", "AH 2026 004711").
_VOUCHER = re.compile(r"\bAHS[-\s]?[A-Z0-9]{4}[-\s]?[A-Z0-9]{4}\b", re.IGNORECASE)
_REFERENCE = re.compile(r"\bAH[-\s]?\d{4}[-\s]?\d{6}\b", re.IGNORECASE)
# German licence plates ("BOR-AB 123", "MS XY 1234E") and IBANs.
_PLATE = re.compile(r"\b[A-ZÄÖÜ]{1,3}[-\s][A-Z]{1,2}\s?\d{1,4}[EH]?\b")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){3,7}(?:\s?[A-Z0-9]{1,4})?\b")
# Digit runs of 4 or more that are no year, time or amount: PINs, customer numbers.
_DIGITS = re.compile(r"(?<!\d)(?<!\d[.,:])\d{4,}(?!\d|[.,:]\d)")
_YEAR = re.compile(r"(?:19|20)\d{2}")

Span = tuple[int, int, str]


def anonymize(text: str, known_names: Iterable[str] = ()) -> str:
    """`text` with names, phones, e-mails, streets, codes and long numbers masked.

    `known_names`: names the caller knows belong to the citizen (a channel's profile
    name); they are masked wherever they appear, whatever the wording around them.
    """
    spans: list[Span] = []
    spans += [(e["start"], e["end"], "<EMAIL>") for e in patterns.emails(text)]
    spans += [(e["start"], e["end"], "<PHONE>") for e in patterns.phones(text)]
    spans += [(m.start(), m.end(), "<CODE>") for m in _VOUCHER.finditer(text)]
    spans += [(m.start(), m.end(), "<REFERENCE>") for m in _REFERENCE.finditer(text)]
    spans += [(m.start(), m.end(), "<IBAN>") for m in _IBAN.finditer(text)]
    spans += [(m.start(), m.end(), "<PLATE>") for m in _PLATE.finditer(text)]
    spans += [(m.start(), m.end(), "<ADDRESS>") for m in _STREET.finditer(text)]
    introduced = [m.group(1) for m in _NAME.finditer(text)]
    spans += [(m.start(1), m.end(1), "<NAME>") for m in _NAME.finditer(text)]
    for name in [*known_names, *introduced]:
        for part in (p for p in re.split(r"\s+", name.strip()) if len(p) > 2):
            # The name again elsewhere, in any case, and a surname after it
            # ("Anna, Anna Kowalski").
            word = re.compile(rf"\b{re.escape(part)}\b", re.IGNORECASE)
            surname = re.compile(rf"\s+{_CAPITAL}")
            for m in word.finditer(text):
                after = surname.match(text, m.end())
                spans.append((m.start(), after.end() if after else m.end(), "<NAME>"))
    spans += [
        (m.start(), m.end(), "<NUMBER>")
        for m in _DIGITS.finditer(text)
        if not _YEAR.fullmatch(m.group())
    ]
    return _apply(text, spans)


def _apply(text: str, spans: list[Span]) -> str:
    """Replace the spans, the earliest (then longest) winning where they overlap."""
    out: list[str] = []
    position = 0
    for start, end, label in sorted(spans, key=lambda s: (s[0], -(s[1] - s[0]))):
        if start < position:
            continue
        out += [text[position:start], label]
        position = end
    out.append(text[position:])
    return "".join(out)
