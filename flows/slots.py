"""Slot values: read them from NLU entities or from a typed answer, then validate them.

A reply to a prompt is often too short for the NLU ("2", "15:30", "Ja", "morgen"), so
every slot type also parses plain text itself. Values are stored in plain JSON shapes
(`"2026-11-28"`, `"15:30"`, minutes, cents, `true`) so state stays serialisable and
actions get what their docstrings ask for. Parsing never raises: it returns `None`
("not understood") or a `Problem` naming the locale key of a helpful message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from rapidfuzz import fuzz, process

from bot.core.amounts import sure_amount
from bot.core.messages import Location, Media
from flows.definition import Option, SlotDef

VOCABULARY_PATH = Path(__file__).parent / "vocabulary.yaml"
REFERENCE_RE = re.compile(r"\b([A-Z]{1,3})-?(\d{4})-?(\d{4,6})\b", re.IGNORECASE)
BOOKING_RE = re.compile(r"\bB-?[A-Z0-9]{6}\b", re.IGNORECASE)
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
PHONE_RE = re.compile(r"^\+?[\d\s/()-]{6,20}$")
TIME_RE = re.compile(r"\b(\d{1,2})(?:[:.](\d{2}))?\s*(uhr|am|pm|u)?\b", re.IGNORECASE)
DATE_NUM_RE = re.compile(r"\b(\d{1,2})\.\s*(\d{1,2})\.?(?:\s*(\d{2,4}))?\b")
ISO_DATE_RE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
INT_RE = re.compile(r"-?\d+")
WORD_RE = re.compile(r"[\wäöüß-]+")
DAY_OF_MONTH_RE = re.compile(r"(?:am |den |the |de |op )?(\d{1,2})(?:\.|st|nd|rd|th|e)?")
ADDRESS_RE = re.compile(r"^(.*?\D)[\s,]+(\d{1,4}\s?[a-zA-Z]?)$")
FUZZY_CUTOFF = 85
MIN_FUZZY_CHARS = 4


@dataclass(frozen=True)
class Problem:
    """Why a value was refused: a locale key (`slot.invalid.*`) and its parameters."""

    key: str
    params: dict[str, Any]
    money: bool = False  # the params are cents, to be shown as money


@lru_cache
def vocabulary() -> dict[str, Any]:
    """The parsing word lists (yes/no, weekdays, number words)."""
    return yaml.safe_load(VOCABULARY_PATH.read_text(encoding="utf-8"))


def normalise(text: str) -> str:
    """Lower case, trimmed, without trailing punctuation: how typed answers are compared."""
    return re.sub(r"\s+", " ", text.strip().lower()).strip(" .!?,;:")


def is_word(text: str, group: str) -> bool:
    """True if the whole answer is one of the vocabulary's words for `group` (e.g. yes)."""
    return normalise(text) in vocabulary()[group]


def starts_with_word(text: str, group: str) -> bool:
    """True if the answer begins with such a word ("nein, 16 Uhr")."""
    first = re.split(r"[\s,;:!.]+", normalise(text), maxsplit=1)[0]
    return first in vocabulary()[group] or is_word(text, group)


# --- typed text parsers -------------------------------------------------------------


def parse_yes_no(text: str) -> bool | None:
    if starts_with_word(text, "affirm"):
        return True
    if starts_with_word(text, "deny"):
        return False
    return None


def _number_word(token: str) -> int | None:
    if token.isdigit():
        return int(token)
    return vocabulary()["numbers"].get(token)


def parse_date(text: str, today: date) -> str | None:
    """ "morgen", "Samstag", "28.11.", "2026-11-28", "28. November" → ISO date."""
    low = normalise(text)
    if m := ISO_DATE_RE.search(low):
        return _iso(int(m[1]), int(m[2]), int(m[3]))
    if m := DATE_NUM_RE.search(low):
        year = int(m[3]) if m[3] else today.year
        year = year + 2000 if year < 100 else year
        found = _iso(year, int(m[2]), int(m[1]))
        if found and not m[3] and date.fromisoformat(found) < today:
            found = _iso(year + 1, int(m[2]), int(m[1]))
        return found
    words = re.findall(r"[a-zäöüß]+|\d+", low)
    vocab = vocabulary()
    for index, word in enumerate(words):
        for month, names in enumerate(vocab["months"], start=1):
            if word in names and len(word) > 2 and index > 0 and words[index - 1].isdigit():
                found = _iso(today.year, month, int(words[index - 1]))
                if found and date.fromisoformat(found) < today:
                    found = _iso(today.year + 1, month, int(words[index - 1]))
                return found
    for group, offset in (("day_after_tomorrow", 2), ("tomorrow", 1), ("today", 0)):
        if any(phrase in low for phrase in vocab[group] if " " in phrase) or any(
            w in vocab[group] for w in words
        ):
            return (today + timedelta(days=offset)).isoformat()
    for word in words:
        for weekday, names in enumerate(vocab["weekdays"]):
            if word in names and (len(word) > 2 or len(words) == 1):
                ahead = (weekday - today.weekday()) % 7
                return (today + timedelta(days=ahead)).isoformat()
        if word in vocab["weekend"]:
            return (today + timedelta(days=(5 - today.weekday()) % 7)).isoformat()
    return None


def _iso(year: int, month: int, day: int) -> str | None:
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def parse_time(text: str) -> str | None:
    """ "15:30", "15 Uhr", "3pm", "halb vier" is not supported; "15" alone → 15:00."""
    for m in TIME_RE.finditer(text):
        hour, minute, suffix = int(m[1]), int(m[2] or 0), (m[3] or "").lower()
        if not m[2] and not suffix and normalise(text) != m[1]:
            continue  # a bare number inside a sentence is rarely a time
        if suffix == "pm" and hour < 12:
            hour += 12
        if suffix == "am" and hour == 12:
            hour = 0
        if 0 <= hour <= 23 and 0 <= minute <= 59:
            return f"{hour:02d}:{minute:02d}"
    return None


def parse_duration(text: str) -> int | None:
    """ "2", "2 Stunden", "zwei Stunden", "90 Minuten", "1,5 h", "anderthalb" → minutes.

    A number with no unit means hours: the prompts ask for hours."""
    low = normalise(text)
    vocab = vocabulary()
    if any(phrase in low for phrase in vocab["one_and_half"]):
        return 90
    tokens = re.findall(r"\d+(?:[.,]\d+)?|[a-zäöü.]+", low)
    if tokens and tokens[0] in vocab["half"] and any(t in vocab["hour_units"] for t in tokens):
        return 30  # "halbe Stunde", "half an hour", "half uur"
    for index, token in enumerate(tokens):
        if re.fullmatch(r"\d+(?:[.,]\d+)?", token):
            number = float(token.replace(",", "."))
        elif (word := _number_word(token)) is not None:
            number = float(word)
        else:
            continue
        unit = tokens[index + 1] if index + 1 < len(tokens) else ""
        if unit in vocab["minute_units"]:
            return int(number)
        if unit in vocab["hour_units"] or not unit or len(tokens) <= 2:
            return round(number * 60)
    return None


def parse_amount(text: str) -> int | None:
    """ "12,50", "12.50 €", "€ 7", "7 Euro 50", "12,-", "zwölf fünfzig" → cents; None for
    none or several different amounts ("5 oder 6"): money is asked, never guessed."""
    return sure_amount(text.replace("\u00a0", " "), typed=True)


def parse_integer(text: str) -> int | None:
    if m := INT_RE.search(text):
        return int(m[0])
    words = normalise(text).split()
    return next((n for w in words if (n := _number_word(w)) is not None), None)


def parse_reference(text: str) -> str | None:
    """`AH-2026-004711`, `ah 2026 4711` → the canonical reference; booking refs `B-…` too."""
    compact = re.sub(r"\s+", "-", text.strip())
    if m := REFERENCE_RE.search(compact):
        return f"{m[1].upper()}-{m[2]}-{int(m[3]):06d}"
    if m := BOOKING_RE.search(text):
        return m[0].upper()
    return None


def parse_phone(text: str) -> str | None:
    raw = text.strip()
    if not PHONE_RE.match(raw):
        return None
    digits = re.sub(r"[^\d+]", "", raw)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    elif digits.startswith("0"):
        digits = "+49" + digits[1:]
    return digits if 8 <= len(digits) <= 16 else None


def option_names(options: list[Option] | tuple[Option, ...]) -> dict[str, str]:
    """Every way to name an option (value, titles, synonyms, title before a comma) → value."""
    names: dict[str, str] = {}
    for option in options:
        for name in (option.value, *option.title.values(), *option.synonyms):
            key = normalise(str(name))
            names[key] = option.value
            names.setdefault(key.split(",")[0].strip(), option.value)
    return names


def named_option(text: str, options: list[Option] | tuple[Option, ...]) -> str | None:
    """The one option whose full name a longer message contains ("Ich zahle im Eiscafé am
    Schloss mit …"): a list is not shown for a shop named exactly. Names shorter than four
    letters never count, and two options named at once are no choice."""
    low = " " + " ".join(WORD_RE.findall(normalise(text))) + " "
    hits: dict[str, str] = {}
    for name, value in option_names(options).items():
        phrase = " ".join(WORD_RE.findall(name))
        named = len(phrase) >= 4 and not phrase.isdigit() and f" {phrase} " in low
        if named and (value not in hits or len(phrase) > len(hits[value])):
            hits[value] = phrase
    longest = sorted(hits.items(), key=lambda kv: -len(kv[1]))
    if len(longest) == 1 or (
        len(longest) > 1 and longest[1][1] in longest[0][1] and longest[1][1] != longest[0][1]
    ):
        return longest[0][0]
    return None


def _position(low: str, count: int) -> int | None:
    """The list position an answer names: "die zweite", "the last one", "Nr. 3"."""
    if m := re.fullmatch(r"(?:nr|nummer|number|no|num|#)\.?\s*(\d{1,2})", low):
        number = int(m[1])
        return number - 1 if 1 <= number <= count else None
    ordinals = vocabulary()["ordinals"]
    found = {ordinals[w] for w in re.findall(r"[\wäöüß]+", low) if w in ordinals}
    if len(found) != 1:
        return None
    number = found.pop()
    if number == -1:
        return count - 1
    return number - 1 if number <= count else None


def _offered(text: str, options: list[Option] | tuple[Option, ...], today: date) -> str | None:
    """An offered date or time typed freely: "Donnerstag", "den 3.", "14 Uhr"."""
    values = [o.value for o in options]
    if values and all(ISO_DATE_RE.fullmatch(v) for v in values):
        day = parse_date(text, today)
        if day in values:
            return day
        if m := DAY_OF_MONTH_RE.fullmatch(normalise(text)):
            same = [v for v in values if int(v[8:]) == int(m[1])]
            return same[0] if len(same) == 1 else None
        return None
    hour = parse_time(text)
    if hour is None:
        return None
    hits = {o.value for o in options for title in o.title.values() if hour in title}
    return hits.pop() if len(hits) == 1 else None


def _unique_part(low: str, options: list[Option] | tuple[Option, ...]) -> str | None:
    """The one option most of whose answer words start words of its title ("Jan" for
    "Eiscafé Jan", "the one in Heeker Straße")."""
    words = [w for w in re.findall(r"[\wäöüß]+", low) if len(w) >= 3]
    if not words:
        return None
    scores: dict[str, int] = {}
    for option in options:
        title_words = {
            w
            for name in (*option.title.values(), *option.synonyms)
            for w in re.findall(r"[\wäöüß]+", normalise(name))
        }
        score = sum(any(t.startswith(w) for t in title_words) for w in words)
        scores[option.value] = max(scores.get(option.value, 0), score)
    best = max(scores.values(), default=0)
    leaders = [v for v, n in scores.items() if n == best]
    return leaders[0] if best and len(leaders) == 1 else None


def match_option(
    text: str, options: list[Option] | tuple[Option, ...], today: date | None = None
) -> str | None:
    """The option a typed answer means: its number or position ("die zweite", "the last
    one"), title (or the part before a comma: "Eiscafé am Schloss" for "Eiscafé am
    Schloss, Schloßstraße 4"), value, a synonym, an offered date or time typed freely,
    a unique part of its title, or a close typo. "ja" or "ok" never picks one."""
    low = normalise(text)
    if low.isdigit() and 1 <= int(low) <= len(options):
        return options[int(low) - 1].value
    names = option_names(options)
    if low in names:
        return names[low]
    if not low or is_word(low, "affirm") or is_word(low, "deny"):
        return None
    if (index := _position(low, len(options))) is not None:
        return options[index].value
    if today is not None and (offered := _offered(text, options, today)) is not None:
        return offered
    words = set(re.findall(r"[\wäöüß'-]+", low))
    hits = {value for name, value in names.items() if name and name in words}
    if len(hits) == 1:
        return hits.pop()
    if len(low) >= MIN_FUZZY_CHARS:
        best = process.extractOne(low, list(names), scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
        if best:
            return names[best[0]]
    return _unique_part(low, options)


def parse_text(slot: SlotDef, text: str, options: list[Option], now: datetime) -> Any:
    """The value of a typed answer for `slot`, or None if it does not look like one."""
    kind = slot.type
    if not text.strip():
        return None
    if kind == "text":
        if slot.pattern:  # take the part that fits ("mein Code ist AHS-…")
            found = re.search(slot.pattern, text)
            return found[0].strip() if found else None
        return text.strip()
    if kind == "choice":
        return match_option(text, options, now.date())
    if kind == "yes_no":
        return parse_yes_no(text)
    if kind == "date":
        return parse_date(text, now.date())
    if kind == "time":
        return parse_time(text)
    if kind == "datetime":
        day, hour = parse_date(text, now.date()), parse_time(text)
        return f"{day}T{hour}" if day and hour else None
    if kind == "duration":
        return parse_duration(text)
    if kind == "amount":
        return parse_amount(text)
    if kind == "integer":
        return parse_integer(text)
    if kind == "pin":
        digits = re.sub(r"\D", "", text)
        return digits or None
    if kind == "reference":
        return parse_reference(text)
    if kind == "phone":
        return parse_phone(text)
    if kind == "email":
        m = EMAIL_RE.search(text)
        return m[0].lower() if m else None
    if kind == "location":
        return typed_address(text)
    return None  # photo: only a sent image counts


def typed_address(text: str) -> dict[str, str]:
    """ "Marktstraße 12" → address, street and house number (a shared location has lat/lon)."""
    address = text.strip()
    if m := ADDRESS_RE.match(address):
        return {"address": address, "street": m[1].strip(), "house_number": m[2].strip()}
    return {"address": address, "street": address}


def from_entity(slot: SlotDef, value: Any, options: list[Option]) -> Any:
    """An NLU entity value (already normalised by the NLU) in the slot's stored shape."""
    if slot.type == "choice":
        return match_option(str(value), options) if options else str(value)
    if slot.type in ("duration", "amount", "integer"):
        try:
            return int(value)
        except (TypeError, ValueError):
            return parse_text(slot, str(value), options, datetime.now())
    if slot.type == "location":
        return typed_address(str(value))
    return value


def from_media(slot: SlotDef, media: list[Media], location: Location | None) -> Any:
    """A sent photo or shared location, for slots of those types."""
    if slot.type == "photo":
        photo = next((m for m in media if m.kind == "image"), None)
        return photo.model_dump(exclude_none=True) if photo else None
    if slot.type == "location" and location is not None:
        return location.model_dump(exclude_none=True)
    return None


NEGATIVE_RE = re.compile(r"(?:^|[\s(])[-−]\s*\d")


def negative_number(slot: SlotDef, text: str) -> bool:
    """ "-5 Euro" for an amount, duration or number: never silently read as 5."""
    return slot.type in ("amount", "duration", "integer") and bool(NEGATIVE_RE.search(text or ""))


def unparsed_problem(slot: SlotDef, text: str) -> Problem | None:
    """Why a typed answer that looks like a date or time is none: "31.02.", "25 Uhr"."""
    if not text:
        return None
    if negative_number(slot, text):
        return Problem("slot.invalid.negative", {})
    if slot.type in ("date", "datetime"):
        m = DATE_NUM_RE.search(text)
        if m and _iso(2024, int(m[2]), int(m[1])) is None:  # 2024: 29.02. exists
            return Problem(
                "slot.invalid.date_impossible", {"date": f"{int(m[1]):02d}.{int(m[2]):02d}."}
            )
    if slot.type in ("time", "datetime"):
        for m in TIME_RE.finditer(text):
            if (m[2] or m[3]) and (int(m[1]) > 24 or int(m[2] or 0) > 59):
                return Problem("slot.invalid.time_impossible", {"time": m[0].strip()})
    return None


def validate(slot: SlotDef, value: Any, now: datetime) -> Problem | None:
    """Check ranges and patterns; None when the value is acceptable."""
    kind = slot.type
    if kind == "date":
        days = (date.fromisoformat(str(value)) - now.date()).days
        if slot.min is not None and days < int(slot.min):
            return Problem("slot.invalid.date_past" if days < 0 else "slot.invalid.date_early", {})
        if slot.max is not None and days > int(slot.max):
            return Problem("slot.invalid.date_far", {"days": slot.max})
    elif kind == "time":
        if slot.min is not None and str(value) < str(slot.min):
            return Problem("slot.invalid.time_range", {"min": slot.min, "max": slot.max or ""})
        if slot.max is not None and str(value) > str(slot.max):
            return Problem("slot.invalid.time_range", {"min": slot.min or "", "max": slot.max})
    elif kind in ("duration", "integer", "amount"):
        outside = (slot.min is not None and int(value) < int(slot.min)) or (
            slot.max is not None and int(value) > int(slot.max)
        )
        if outside:
            return Problem(f"slot.invalid.{kind}_range", _range(slot), money=kind == "amount")
    elif kind == "text":
        if slot.min is not None and len(str(value)) < int(slot.min):
            return Problem("slot.invalid.text_short", {"min": slot.min})
        if slot.max is not None and len(str(value)) > int(slot.max):
            return Problem("slot.invalid.text_long", {"max": slot.max})
    if slot.pattern and not re.fullmatch(slot.pattern, str(value)):
        return Problem("slot.invalid.pattern", {})
    return None


def _range(slot: SlotDef) -> dict[str, Any]:
    """Range bounds for a message, shown in the unit the citizen uses."""
    low, high = slot.min, slot.max
    if slot.type == "duration":
        return {"min": _hours(low), "max": _hours(high)}
    return {"min": low, "max": high}


def _hours(minutes: Any) -> str:
    if minutes is None:
        return ""
    value = int(minutes) / 60
    return f"{value:g}"
