"""Entities with a fixed shape, found by regular expressions on the original text.

Voucher codes and case references come from the Rasa `regex:` entries in
`nlu/data/regexes.yml` (case-insensitive); e-mail and phone numbers need code to
normalise their values (lowercase, E.164), so their patterns live here; amounts are read
by `bot.core.amounts`, which the flows' typed answers share.
"""

from __future__ import annotations

import re
from typing import Any

import phonenumbers

from bot.core.amounts import find_amounts

Entity = dict[str, Any]

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
# 6+ digits, possibly split by spaces, slashes, dashes or dots, optionally with "+" or "(".
_PHONE_HINT = re.compile(r"(?:\+|\b0)[\d\s/().\-]{6,}\d")


def amounts(text: str, taken: list[tuple[int, int]]) -> list[Entity]:
    """Money amounts in cents ("€ 12,50", "12,50 €", "12.50 EUR", "12 Euro 50", "12,-",
    "8,90"), none inside the spans of other entities (codes, references, phones)."""
    return [
        _entity("amount", a.cents, a.start, a.end)
        for a in find_amounts(text)
        if not _overlaps((a.start, a.end), taken)
    ]


def emails(text: str) -> list[Entity]:
    """E-mail addresses, lowercased."""
    if "@" not in text:
        return []
    return [_entity("email", m.group().lower(), m.start(), m.end()) for m in _EMAIL.finditer(text)]


def phones(text: str, region: str = "DE") -> list[Entity]:
    """Phone numbers as E.164; phonenumbers runs only if a cheap pattern saw digits."""
    if not _PHONE_HINT.search(text):
        return []
    found = []
    for match in phonenumbers.PhoneNumberMatcher(text, region):
        e164 = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
        found.append(_entity("phone", e164, match.start, match.end))
    return found


def compile_regexes(regexes: dict[str, list[str]]) -> list[tuple[str, re.Pattern[str]]]:
    """Compile Rasa `regex:` entries; an invalid pattern is skipped, not fatal."""
    compiled = []
    for name, patterns in regexes.items():
        for pattern in patterns:
            try:
                compiled.append((name, re.compile(pattern, re.IGNORECASE)))
            except re.error:
                continue
    return compiled


_CODE_SHAPES = {
    "voucher_code": (re.compile(r"AHS[-\s]?([A-Z0-9]{4})[-\s]?([A-Z0-9]{4})", re.I), "AHS-{}-{}"),
    "reference": (re.compile(r"AH[-\s]?(\d{4})[-\s]?(\d{6})", re.I), "AH-{}-{}"),
}


def canonical_code(name: str, surface: str) -> str:
    """Uppercase, dash-separated form of a voucher code or reference ("ahs demo 0001")."""
    shape = _CODE_SHAPES.get(name)
    if shape:
        m = shape[0].fullmatch(surface.strip())
        if m:
            return shape[1].format(*(g.upper() for g in m.groups()))
    return surface.strip().upper() if name in _CODE_SHAPES else surface


def regex_entities(text: str, compiled: list[tuple[str, re.Pattern[str]]]) -> list[Entity]:
    """Entities from the Rasa regexes, values canonicalised for known code shapes."""
    found = []
    for name, pattern in compiled:
        for m in pattern.finditer(text):
            found.append(_entity(name, canonical_code(name, m.group()), m.start(), m.end()))
    return found


def _overlaps(span: tuple[int, int], taken: list[tuple[int, int]]) -> bool:
    return any(span[0] < end and start < span[1] for start, end in taken)


def _entity(name: str, value: Any, start: int, end: int) -> Entity:
    return {"entity": name, "value": value, "start": start, "end": end, "extractor": "pattern"}
