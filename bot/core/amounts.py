"""Money amounts as citizens write them in German, English and Dutch, in cents.

Shared by the NLU's entity extraction and the flows' typed-answer parser (the two may
not import each other), so both read "€ 12,50", "12,50 €", "12.50 EUR", "12 Euro 50",
"EUR 12", "12,-", "1.250 €" and "zwölf Euro fünfzig" the same way.

A number glued to letters by a dash ("AHS-DEMO-0009", "AH-2026-004711") is part of a
code, never money; callers also drop amounts inside spans they know belong to other
entities (phone numbers, references). `currency` tells a sure amount (written with €,
EUR, Euro or ",-") from a bare number, which only counts where an amount was asked.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

_CUR = r"(?:€|\beur\b|\beuros?\b|\beu\b)"
# 1.250 (German thousands), 1,250 (English thousands) or a plain number up to 6 digits;
# then 1–2 decimals after "." or ",", or the German/Dutch ",-" for whole euros.
_NUM = (
    r"(?P<whole>\d{1,3}(?:\.\d{3})+(?!\d)|\d{1,3}(?:,\d{3})+(?![\d,])|\d{1,6})"
    r"(?:(?P<sep>[.,])(?P<frac>\d{1,2}(?!\d)|[-–]{1,2}))?"
)
_LEFT = r"(?<![\w.,/:])(?<![A-Za-z]-)"
# Codes and references ("AHS-DEMO-0009", "AH-2026-004711", "B-7K2M9Q"): letters, a dash,
# then digits somewhere; none of their numbers is money.
_CODE = re.compile(r"\b[A-Za-z]{1,5}-[A-Za-z0-9-]*\d[A-Za-z0-9-]*")
_RIGHT = r"(?![\w:]|[.,]\d)"
_BEFORE = re.compile(rf"{_CUR}\s?{_NUM.replace('?P<', '?P<b_')}{_RIGHT}", re.IGNORECASE)
_AFTER = re.compile(
    rf"{_LEFT}{_NUM}\s?{_CUR}(?:\s?(?P<cents>\d{{1,2}})(?![\d.,:])(?:\s?(?:cents?|ct)\b)?)?",
    re.IGNORECASE,
)
_DASH = re.compile(rf"{_LEFT}(?P<whole>\d{{1,6}}),[-–]{{1,2}}(?!\w)")
_COMMA = re.compile(  # "8,90" alone: a decimal comma with two decimals, not "8,30 Uhr"
    rf"{_LEFT}(?P<whole>\d{{1,4}}),(?P<frac>\d{{2}})(?![\d,.:])(?!\s?(?:uhr|uur|h)\b)", re.I
)
_BARE = re.compile(rf"{_LEFT}{_NUM}{_RIGHT}")
# "5 oder 6 Euro", "5-6 €", "10 to 12 euros": the first number is an amount too.
_ALTERNATIVE = re.compile(
    r"(?<![\w.,])(\d{1,6}(?:[.,]\d{1,2})?)\s*(?:oder|or|of|bis|to|tot|[-–/])\s*$", re.I
)

_UNITS = {
    "null": 0,
    "zero": 0,
    "nul": 0,
    "ein": 1,
    "eins": 1,
    "eine": 1,
    "one": 1,
    "een": 1,
    "zwei": 2,
    "zwo": 2,
    "two": 2,
    "twee": 2,
    "drei": 3,
    "three": 3,
    "drie": 3,
    "vier": 4,
    "four": 4,
    "fuenf": 5,
    "five": 5,
    "vijf": 5,
    "sechs": 6,
    "six": 6,
    "zes": 6,
    "sieben": 7,
    "seven": 7,
    "zeven": 7,
    "acht": 8,
    "eight": 8,
    "neun": 9,
    "nine": 9,
    "negen": 9,
}
_TEENS = {
    "zehn": 10,
    "ten": 10,
    "tien": 10,
    "elf": 11,
    "eleven": 11,
    "zwoelf": 12,
    "twelve": 12,
    "twaalf": 12,
    "dreizehn": 13,
    "thirteen": 13,
    "dertien": 13,
    "vierzehn": 14,
    "fourteen": 14,
    "veertien": 14,
    "fuenfzehn": 15,
    "fifteen": 15,
    "vijftien": 15,
    "sechzehn": 16,
    "sixteen": 16,
    "zestien": 16,
    "siebzehn": 17,
    "seventeen": 17,
    "zeventien": 17,
    "achtzehn": 18,
    "eighteen": 18,
    "achttien": 18,
    "neunzehn": 19,
    "nineteen": 19,
    "negentien": 19,
}
_TENS = {
    "zwanzig": 20,
    "twenty": 20,
    "twintig": 20,
    "dreissig": 30,
    "thirty": 30,
    "dertig": 30,
    "vierzig": 40,
    "forty": 40,
    "veertig": 40,
    "fuenfzig": 50,
    "fifty": 50,
    "vijftig": 50,
    "sechzig": 60,
    "sixty": 60,
    "zestig": 60,
    "siebzig": 70,
    "seventy": 70,
    "zeventig": 70,
    "achtzig": 80,
    "eighty": 80,
    "tachtig": 80,
    "neunzig": 90,
    "ninety": 90,
    "negentig": 90,
}
_COMPOUND = re.compile(  # fünfundzwanzig, vijfentwintig, twenty-five
    r"(?:(?P<u>[a-z]+?)(?:und|en))?(?P<t>"
    + "|".join(_TENS)
    + r")(?:[- ]?(?P<u2>one|two|three|four|five|six|seven|eight|nine))?"
)
_CUR_WORD = {"euro", "euros", "eur", "€"}
_CENT_WORD = {"cent", "cents", "ct"}


@dataclass(frozen=True)
class Amount:
    """An amount found in a text: cents, its span, and whether a currency marked it."""

    cents: int
    start: int
    end: int
    currency: bool


def fold(text: str) -> str:
    """Lower case with umlauts and ß spelled out ("zwölf" → "zwoelf")."""
    return text.lower().replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")


def number_word(word: str) -> int | None:
    """0–99 written as one word (umlauts folded): "zwoelf", "fuenfzig", "vijfentwintig"."""
    if word in _UNITS:
        return _UNITS[word]
    if word in _TEENS:
        return _TEENS[word]
    m = _COMPOUND.fullmatch(word)
    if not m:
        return None
    unit = m["u"] or m["u2"]
    if unit is not None and unit not in _UNITS:
        return None
    return _TENS[m["t"]] + (_UNITS[unit] if unit else 0)


def _cents(whole: str, frac: str | None) -> int:
    euros = int(re.sub(r"[.,]", "", whole))
    if not frac or not frac[0].isdigit():
        return euros * 100
    return euros * 100 + int(frac.ljust(2, "0"))


def _overlaps(start: int, end: int, taken: list[tuple[int, int]]) -> bool:
    return any(start < b and a < end for a, b in taken)


def find_amounts(text: str, typed: bool = False) -> list[Amount]:
    """Every amount in `text`, in order. `typed` (an answer to "how much?") also reads
    bare numbers ("12", "8.90") and number words without a currency ("zwölf fünfzig")."""
    found: list[Amount] = []
    taken: list[tuple[int, int]] = [m.span() for m in _CODE.finditer(text)]

    def add(cents: int, start: int, end: int, currency: bool) -> None:
        if not _overlaps(start, end, taken):
            found.append(Amount(cents, start, end, currency))
            taken.append((start, end))

    for m in _AFTER.finditer(text):
        cents = _cents(m["whole"], m["frac"])
        if m["cents"] and not m["frac"]:
            cents += int(m["cents"].ljust(2, "0"))
        if alt := _ALTERNATIVE.search(text, 0, m.start()):
            whole, _, frac = alt[1].replace(",", ".").partition(".")
            add(_cents(whole, frac or None), alt.start(1), alt.end(1), True)
        add(cents, m.start(), m.end(), True)
    for m in _BEFORE.finditer(text):
        add(_cents(m["b_whole"], m["b_frac"]), m.start(), m.end(), True)
    for m in _DASH.finditer(text):
        add(_cents(m["whole"], None), m.start(), m.end(), True)
    for m in _COMMA.finditer(text):
        add(_cents(m["whole"], m["frac"]), m.start(), m.end(), False)
    _words(text, typed, add)
    if typed:
        for m in _BARE.finditer(text):
            if m["sep"] == "." and text[m.end() : m.end() + 1] == ".":
                continue  # "12.03." is a date
            add(_cents(m["whole"], m["frac"]), m.start(), m.end(), False)
    return sorted(found, key=lambda a: a.start)


def _words(text: str, typed: bool, add: Callable[[int, int, int, bool], None]) -> None:
    """ "zwölf Euro fünfzig", "twelve euros", and in a typed answer "twaalf vijftig"."""
    toks = [
        (fold(m[0]), m.start(), m.end())
        for m in re.finditer(r"[a-zäöüß€]+(?:-[a-zäöüß]+)?", text.lower())
    ]
    i = 0
    while i < len(toks):
        euros = number_word(toks[i][0])
        if euros is None:
            i += 1
            continue
        j, currency, cents = i + 1, False, 0
        if j < len(toks) and toks[j][0] in _CUR_WORD:
            currency, j = True, j + 1
        if j < len(toks) and (n := number_word(toks[j][0])) is not None and (currency or typed):
            cents, j = n, j + 1
            if j < len(toks) and toks[j][0] in _CENT_WORD:
                j += 1
        if currency or (typed and cents and len(toks) <= 4):
            add(euros * 100 + cents, toks[i][1], toks[j - 1][2], currency)
        i = j


def sure_amount(text: str, typed: bool = False) -> int | None:
    """The one amount the text means, or None if it names none or several different
    ones ("5 oder 6 Euro"): money is asked again, never guessed."""
    amounts = find_amounts(text, typed)
    marked = [a for a in amounts if a.currency] or amounts
    values = {a.cents for a in marked}
    return values.pop() if len(values) == 1 else None
