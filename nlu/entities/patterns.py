"""Entities with a fixed shape, found by regular expressions on the original text.

Voucher codes and case references come from the Rasa `regex:` entries in
`nlu/data/regexes.yml` (case-insensitive); amounts, e-mail and phone numbers need code
to normalise their values (cents, lowercase, E.164), so their patterns live here.
"""

from __future__ import annotations

import re
from typing import Any

import phonenumbers

Entity = dict[str, Any]

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
# 6+ digits, possibly split by spaces, slashes, dashes or dots, optionally with "+" or "(".
_PHONE_HINT = re.compile(r"(?:\+|\b0)[\d\s/().\-]{6,}\d")
_AMOUNT_NUMBER = r"(\d{1,3}(?:\.\d{3})+|\d+)(?:[.,](\d{1,2}|-{1,2}))?"
_CURRENCY_AFTER = re.compile(
    rf"(?<![\w.,]){_AMOUNT_NUMBER}\s?(€|eur\b|euro\b|euros\b|eu\b)", re.IGNORECASE
)
_CURRENCY_BEFORE = re.compile(rf"(€|\beur\b|\beuro\b)\s?{_AMOUNT_NUMBER}(?![\w.,]\d)", re.I)
# "8,90" alone is an amount (German/Dutch decimal comma with exactly two decimals).
_BARE_DECIMAL = re.compile(r"(?<![\w.,:])(\d{1,4}),(\d{2})(?![\d,.:])(?!\s?(?:uhr|uur|h)\b)", re.I)


def _cents(whole: str, frac: str | None) -> int:
    euros = int(whole.replace(".", ""))
    if not frac or frac.startswith("-"):
        return euros * 100
    return euros * 100 + int(frac.ljust(2, "0"))


def amounts(text: str) -> list[Entity]:
    """Money amounts in cents: "15,50 €", "€ 20", "20 euro", "8,90"."""
    found: list[Entity] = []
    taken: list[tuple[int, int]] = []
    for m in _CURRENCY_AFTER.finditer(text):
        found.append(_entity("amount", _cents(m.group(1), m.group(2)), m.start(), m.end()))
        taken.append(m.span())
    for m in _CURRENCY_BEFORE.finditer(text):
        if not _overlaps(m.span(), taken):
            found.append(_entity("amount", _cents(m.group(2), m.group(3)), m.start(), m.end()))
            taken.append(m.span())
    for m in _BARE_DECIMAL.finditer(text):
        if not _overlaps(m.span(), taken):
            found.append(_entity("amount", _cents(m.group(1), m.group(2)), m.start(), m.end()))
    return found


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
