"""Dates, times and durations in German, English and Dutch, relative to `now`.

Works on normalised text (lowercase, umlauts folded: "uebermorgen", "maerz"). Our own
rules cover what citizens write to a city bot ("morgen um 3", "Samstag 15 Uhr", "12.7.",
"next friday at 2pm", "morgen om drie uur", "für 2 Stunden", "anderhalf uur") in a few
microseconds; dateparser (≈ 2 ms per call, ≈ 1 s for its first import) is only asked when
a cheap regex sees a date hint the rules did not resolve ("nächsten Monat", "in 2 months"),
so ordinary messages never pay for it. Vague phrases dateparser gets wrong ("Ende Juli"
→ 1 July) are deliberately not sent to it: no date is better than a wrong one.

Rules worth knowing:
- A weekday means its next occurrence, today included ("Samstag" on a Saturday is today);
  with "nächste(n)/next/volgende" a weekday that is today means a week later.
- A date without year that has already passed this year means next year, unless it
  passed less than `RECENT_PAST_DAYS` ago: "27.11." on 1 December is the day just gone
  (the flow refuses it as past, with the reason), not a date a year ahead.
- Weekdays are read in the plural ("dienstags", "saturdays", "zaterdags"), as the start
  of a compound ("samstagabend", "zondagmiddag") and with one typo ("mitwoch", "freitg").
- A bare hour 1–7 without am/pm or a part of day ("um 3", "om drie uur") is taken as
  afternoon (15:00): the city's bookable activities run 10:00–18:00, nobody rents a boat
  at 3 a.m. "morgens/am/ochtend" keep the morning, "abends/pm/middag" add 12.
- "halb drei" / "half drie" is 2:30 (→ 14:30 by the rule above), "halb 3" too.
- "2 uur"/"zwei Stunden" after "om/um" is a time; otherwise "N uur/Stunden/hours" is a
  duration.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

from rapidfuzz.distance import OSA

from nlu.entities.numbers import NUMBER_PATTERN, to_int

Span = tuple[int, int]
Found = tuple[str, Any, int, int]  # entity, value, start, end (normalised offsets)

_WEEKDAYS = {
    "montag": 0,
    "dienstag": 1,
    "mittwoch": 2,
    "donnerstag": 3,
    "freitag": 4,
    "samstag": 5,
    "sonnabend": 5,
    "sonntag": 6,
    "monday": 0,
    "tuesday": 1,
    "wednesday": 2,
    "thursday": 3,
    "friday": 4,
    "saturday": 5,
    "sunday": 6,
    "mon": 0,
    "tue": 1,
    "wed": 2,
    "thu": 3,
    "fri": 4,
    "sat": 5,
    "sun": 6,
    "maandag": 0,
    "dinsdag": 1,
    "woensdag": 2,
    "donderdag": 3,
    "vrijdag": 4,
    "zaterdag": 5,
    "zondag": 6,
    "mo": 0,
    "di": 1,
    "mi": 2,
    "do": 3,
    "fr": 4,
    "sa": 5,
    "so": 6,
}
# Two-letter forms are only weekdays when written like "Sa." or before a date/time.
_SHORT_DAYS = {
    "mo",
    "di",
    "mi",
    "do",
    "fr",
    "sa",
    "so",
    "mon",
    "tue",
    "wed",
    "thu",
    "fri",
    "sat",
    "sun",
}
_RELATIVE = {
    "heute": 0,
    "today": 0,
    "vandaag": 0,
    "tonight": 0,
    "vanavond": 0,
    "vanmiddag": 0,
    "morgen": 1,
    "tomorrow": 1,
    "tmrw": 1,
    "morgenmiddag": 1,
    "morgenavond": 1,
    "morgenochtend": 1,
    "uebermorgen": 2,
    "overmorgen": 2,
    "day after tomorrow": 2,
    "gestern": -1,
    "yesterday": -1,
    "gisteren": -1,
}
_MONTHS = {
    "januar": 1,
    "jan": 1,
    "january": 1,
    "januari": 1,
    "februar": 2,
    "feb": 2,
    "february": 2,
    "februari": 2,
    "maerz": 3,
    "marz": 3,
    "mar": 3,
    "march": 3,
    "maart": 3,
    "april": 4,
    "apr": 4,
    "mai": 5,
    "may": 5,
    "mei": 5,
    "juni": 6,
    "jun": 6,
    "june": 6,
    "juli": 7,
    "jul": 7,
    "july": 7,
    "august": 8,
    "aug": 8,
    "augustus": 8,
    "september": 9,
    "sep": 9,
    "sept": 9,
    "oktober": 10,
    "okt": 10,
    "october": 10,
    "oct": 10,
    "november": 11,
    "nov": 11,
    "dezember": 12,
    "dez": 12,
    "december": 12,
    "dec": 12,
}
_NEXT = r"(?:(?P<next>naechste[nrs]?|kommende[nrs]?|next|volgende|komende|aanstaande)\s+)?"
_ALT = "|".join(sorted(_WEEKDAYS, key=len, reverse=True))
_MON = "|".join(sorted(_MONTHS, key=len, reverse=True))
_NUM = rf"(?:\d{{1,2}}(?!\d)|(?:{NUMBER_PATTERN})\b)"

_RE_RELATIVE = re.compile(
    r"\b(?P<word>" + "|".join(sorted(_RELATIVE, key=len, reverse=True)) + r")\b"
)
_DAY_SUFFIX = (
    r"(?P<plural>s)?(?:abend|morgen|mittag|nachmittag|vormittag|avond|middag|ochtend|"
    r"morning|afternoon|evening|night)?"
)
_RE_WEEKDAY = re.compile(
    rf"\b{_NEXT}(?:am\s+|on\s+|op\s+)?(?P<day>{_ALT}){_DAY_SUFFIX}\b(?P<dot>\.)?"
)
#: Full weekday names a word one typo away from is read as (short forms are too close
#: to ordinary words).
_FULL_DAYS = {name: n for name, n in _WEEKDAYS.items() if len(name) >= 6}
_RE_LONG_WORD = re.compile(r"\b[a-z]{5,}\b")
#: A date without year up to this many days ago is this year's (refused as past).
RECENT_PAST_DAYS = 92
_RE_NUMERIC = re.compile(
    r"(?<![\d.:,])(?P<d>\d{1,2})[./-](?P<m>\d{1,2})(?:[./-](?P<y>\d{4}|\d{2})|(?P<dot>\.))?"
    r"(?![\d:]|[.,]\d)"
)
_RE_ISO = re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})\b")
_RE_DAY_MONTH = re.compile(
    rf"\b(?P<d>\d{{1,2}})(?:\.|st|nd|rd|th|e)?\s*(?:of\s+)?(?P<mon>{_MON})\b\.?(?:\s+(?P<y>\d{{4}}))?"
)
_RE_MONTH_DAY = re.compile(
    rf"\b(?P<mon>{_MON})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(?P<y>\d{{4}}))?"
)
_PART = (
    r"(?:\s*(?P<part>uhr|uur|h|o'?clock|am|pm|a\.m\.|p\.m\.|nachmittags?|abends?|morgens|"
    r"vormittags?|frueh|mittags?|in\s+the\s+(?:afternoon|evening|morning)|"
    r"'?s\s*(?:middags|avonds|ochtends|morgens)|in\s+de\s+(?:middag|avond|ochtend)))?"
)
_RE_CLOCK = re.compile(
    r"(?:\b(?P<prep>um|at|om|ab|gegen|from|vanaf|rond)\s+)?(?<![\d.,:])"
    r"(?P<h>\d{1,2})[:.](?P<min>\d{2})(?![\d,])" + _PART
)
_RE_HOUR = re.compile(
    rf"(?:\b(?P<prep>um|at|om|ab|gegen|vanaf|rond)\s+)?(?<![\d.,:])\b(?P<h>{_NUM})" + _PART
)
_RE_HALF = re.compile(rf"\b(?:um\s+|om\s+)?(?:halb|half)\s+(?P<h>{_NUM})")
_RE_DURATION = re.compile(
    r"(?:\b(?P<prep>fuer|for|voor|um|om)\s+)?\b(?P<n>\d+(?:[.,]\d+)?|" + NUMBER_PATTERN + r"|"
    r"anderthalb|eineinhalb|anderhalf|one\s+and\s+a\s+half|half\s+an?|halbe|eine\s+halbe|"
    r"een\s+half|an\s+hour\s+and\s+a\s+half)\s*"
    r"(?P<unit>stunden|stunde|std|h|hours|hour|hrs|hr|uur|uren|minuten|minute|min|mins|"
    r"minutes|m)\b"
)
_DURATION_WORDS = {
    "anderthalb": 1.5,
    "eineinhalb": 1.5,
    "anderhalf": 1.5,
    "halbe": 0.5,
    "eine halbe": 0.5,
    "een half": 0.5,
    "half a": 0.5,
    "half an": 0.5,
}
_RE_HALF_HOUR = re.compile(r"\b(?:half\s+an\s+hour|halbe\s+stunde|half\s*uur|halfuur)\b")
_RE_IN_N = re.compile(
    r"\b(?:in|over|nach|after|binnen)\s+(?P<n>\d{1,3}|" + NUMBER_PATTERN + r")\s+"
    r"(?P<unit>tag|tage|tagen|woche|wochen|day|days|week|weeks|dag|dagen|weken)\b"
)
_RE_WEEK = re.compile(
    r"\b(?P<which>next|naechste[nrs]?|kommende[nrs]?|volgende|komende|this|diese[ns]?|dit|"
    r"am|at\s+the|over\s+the|on\s+the|in\s+het)\s+(?P<what>week|woche|weekend|wochenende)\b"
)
#: Words that hint at a date the rules did not resolve: only then is dateparser asked.
_RE_FALLBACK_HINT = re.compile(r"\b(?:monat|monaten|month|months|maand|maanden|fortnight)\b")
_GREETING_MORGEN = re.compile(r"\b(?:guten|gute|goede|goeie|schoenen)\s+morgen\b")
_PRE_CHECK = re.compile(
    r"\d|\b(?:"
    + "|".join(sorted({*_RELATIVE, *_WEEKDAYS, *_MONTHS}, key=len, reverse=True))
    + r"|halb|half|anderthalb|eineinhalb|anderhalf|stunde|stunden|hour|hours|uur|minuten|"
    r"woche|week|wochenende|weekend|"
    r"minutes|" + NUMBER_PATTERN + r")\b"
    r"|\b(?:" + "|".join(sorted(_FULL_DAYS, key=len, reverse=True)) + r")"  # "samstags"
)


def _resolve_hour(hour: int, minute: int, part: str | None, prep: str | None) -> str | None:
    if hour > 24 or minute > 59:
        return None
    part = (part or "").replace(" ", "")
    evening = any(
        p in part
        for p in ("pm", "p.m.", "nachmittag", "abend", "afternoon", "evening", "middag", "avond")
    )
    morning = any(
        p in part for p in ("am", "a.m.", "morgens", "vormittag", "frueh", "morning", "ochtend")
    )
    if evening and hour < 12:
        hour += 12
    elif part in ("am", "a.m.") and hour == 12:
        hour = 0
    elif not morning and not evening and 1 <= hour <= 7:
        hour += 12  # afternoon rule, see module docstring
    return f"{hour % 24:02d}:{minute:02d}"


def _future_date(day: int, month: int, year: int | None, today: date) -> date | None:
    try:
        if year is not None:
            return date(year + 2000 if year < 100 else year, month, day)
        candidate = date(today.year, month, day)
        if candidate < today - timedelta(days=RECENT_PAST_DAYS):
            candidate = date(today.year + 1, month, day)
        return candidate
    except ValueError:
        return None


def _free(span: Span, taken: list[Span]) -> bool:
    return all(span[1] <= s or span[0] >= e for s, e in taken)


def extract_temporal(text: str, now: datetime) -> list[Found]:
    """(entity, value, start, end) for dates, times and durations in normalised `text`."""
    if not _PRE_CHECK.search(text) and not any(
        _misspelt_weekday(m[0]) is not None for m in _RE_LONG_WORD.finditer(text)
    ):
        return []
    found: list[Found] = []
    taken: list[Span] = []

    def add(name: str, value: Any, start: int, end: int) -> None:
        found.append((name, value, start, end))
        taken.append((start, end))

    today = now.date()
    _durations(text, add, taken)
    _dates(text, today, add, taken)
    _times(text, add, taken)
    return sorted(found, key=lambda f: f[2])


def needs_fallback(normalized: str, found: list[Found]) -> bool:
    """True if the rules found no date although the text hints at one."""
    return not any(f[0] == "date" for f in found) and bool(_RE_FALLBACK_HINT.search(normalized))


def _durations(text: str, add: Any, taken: list[Span]) -> None:
    for m in _RE_HALF_HOUR.finditer(text):
        add("duration", 30, m.start(), m.end())
    for m in _RE_DURATION.finditer(text):
        if not _free(m.span(), taken):
            continue
        prep, raw, unit = m.group("prep"), m.group("n"), m.group("unit")
        if prep in ("um", "om") and unit in ("uur", "h"):
            continue  # "om drie uur" is a time of day
        if unit == "m" and not raw[0].isdigit():
            continue
        if raw in _DURATION_WORDS or raw.replace(" ", "") in ("oneandahalf", "anhourandahalf"):
            amount = _DURATION_WORDS.get(raw, 1.5)
        elif raw[0].isdigit():
            amount = float(raw.replace(",", "."))
        else:
            amount = float(to_int(raw.split()[0]) or 0)
        if amount <= 0:
            continue
        minutes = amount if unit.startswith("m") else amount * 60
        start = m.start("n") if prep in ("um", "om") else m.start()
        add("duration", round(minutes), start, m.end())


def _dates(text: str, today: date, add: Any, taken: list[Span]) -> None:
    greeting = [m.span() for m in _GREETING_MORGEN.finditer(text)]
    for m in _RE_ISO.finditer(text):
        d = _future_date(int(m["d"]), int(m["m"]), int(m["y"]), today)
        if d:
            add("date", d.isoformat(), m.start(), m.end())
    for pattern in (_RE_DAY_MONTH, _RE_MONTH_DAY):
        for m in pattern.finditer(text):
            if _free(m.span(), taken):
                year = int(m["y"]) if m["y"] else None
                d = _future_date(int(m["d"]), _MONTHS[m["mon"]], year, today)
                if d:
                    add("date", d.isoformat(), m.start(), m.end())
    for m in _RE_NUMERIC.finditer(text):
        if not _free(m.span(), taken):
            continue
        if m["y"] is None and m["dot"] is None and text[m.start("m") - 1] != ".":
            continue  # "3-4" or "2/3" alone: too ambiguous
        year = int(m["y"]) if m["y"] else None
        d = _future_date(int(m["d"]), int(m["m"]), year, today)
        if d:
            add("date", d.isoformat(), m.start(), m.end())
    for m in _RE_WEEK.finditer(text):
        if not _free(m.span(), taken):
            continue
        if m["what"] in ("week", "woche"):
            if m["which"] in ("next", "volgende", "komende") or m["which"].startswith(
                ("naechste", "kommende")
            ):
                add("date", (today + timedelta(days=7)).isoformat(), m.start(), m.end())
            continue
        ahead = (5 - today.weekday()) % 7  # the coming Saturday (today if Saturday)
        if today.weekday() == 6 and m["which"] in ("this", "dit", "dieses", "diesen"):
            ahead = -1  # on a Sunday "this weekend" has begun: Saturday was yesterday
        add("date", (today + timedelta(days=max(ahead, 0))).isoformat(), m.start(), m.end())
    for m in _RE_IN_N.finditer(text):
        n = to_int(m["n"])
        if n is not None and _free(m.span(), taken):
            days = n * 7 if m["unit"].startswith(("w", "week")) else n
            add("date", (today + timedelta(days=days)).isoformat(), m.start(), m.end())
    for m in _RE_RELATIVE.finditer(text):
        if not _free(m.span(), taken) or not _free(m.span(), greeting):
            continue
        word = m["word"]
        if (
            word == "morgen"
            and re.match(r"\s*(?:frueh\b)", text[m.end() :]) is None
            and re.search(r"\b(?:heute|gestern|vandaag)\s+$", text[: m.start()])
        ):
            continue  # "heute morgen" = this morning: the date is "heute"
        add("date", (today + timedelta(days=_RELATIVE[word])).isoformat(), m.start(), m.end())
    for m in _RE_WEEKDAY.finditer(text):
        if not _free(m.span(), taken):
            continue
        day = m["day"]
        if (day in _SHORT_DAYS and not (m["dot"] or m["next"])) or (
            day in _SHORT_DAYS and m.end("day") != m.end() - len(m["dot"] or "")
        ):
            continue
        ahead = (_WEEKDAYS[day] - today.weekday()) % 7
        if ahead == 0 and m["next"]:
            ahead = 7
        start = m.start("next") if m["next"] else m.start("day")
        add("date", (today + timedelta(days=ahead)).isoformat(), start, m.end())
    for m in _RE_LONG_WORD.finditer(text):
        weekday = _misspelt_weekday(m[0])
        if weekday is not None and _free(m.span(), taken):
            ahead = (weekday - today.weekday()) % 7
            add("date", (today + timedelta(days=ahead)).isoformat(), m.start(), m.end())


def _misspelt_weekday(word: str) -> int | None:
    """The weekday a word is one typo from ("mitwoch", "freitg", "zaterdg"), its plural
    included ("mitwochs"); None for the right spelling (the regex has it) and others."""
    stem = word[:-1] if word.endswith("s") else word
    for candidate in (word, stem):
        if candidate in _WEEKDAYS:
            return None
    for name, weekday in _FULL_DAYS.items():
        if name[0] == word[0] and (OSA.distance(word, name) <= 1 or OSA.distance(stem, name) <= 1):
            return weekday
    return None


_GERMAN_AM = re.compile(r"\s+(?:[a-z]+tag|sonnabend|wochenende|abend|\d|schloss|see|steg|markt)")


def _part_of(m: re.Match[str], text: str) -> tuple[str | None, int]:
    """The part-of-day marker and the match end, with German "am" ("um 3 am Samstag",
    "on Saturday") not mistaken for English a.m."""
    part = m["part"]
    if part == "am" and (
        m["prep"] in ("um", "ab", "gegen") or _GERMAN_AM.match(text, m.end("part"))
    ):
        return None, m.end("min") if "min" in m.re.groupindex else m.end("h")
    return part, m.end()


def _times(text: str, add: Any, taken: list[Span]) -> None:
    for m in _RE_HALF.finditer(text):
        hour = to_int(m["h"])
        if hour is not None and _free(m.span(), taken):
            value = _resolve_hour((hour - 1) % 24, 30, None, None)
            if value:
                add("time", value, m.start(), m.end())
    for m in _RE_CLOCK.finditer(text):
        if not _free(m.span(), taken):
            continue
        if m["min"] and m["h"] and not (m["prep"] or m["part"]) and text[m.end("h")] == ".":
            continue  # "12.30" without a marker could be a date or an amount
        part, end = _part_of(m, text)
        value = _resolve_hour(int(m["h"]), int(m["min"]), part, m["prep"])
        if value:
            add("time", value, m.start(), end)
    for m in _RE_HOUR.finditer(text):
        part, end = _part_of(m, text)
        if not (m["prep"] or part) or not _free((m.start(), end), taken):
            continue
        if part == "h" and not m["prep"]:
            continue  # "2h" is a duration, handled above
        hour = to_int(m["h"])
        if hour is None or (not m["h"].isdigit() and not (m["prep"] or part)):
            continue
        if m["prep"] in ("um", "om") and m["h"] in ("ein", "een", "eine") and not part:
            continue  # "um ein Boot", "om een boot": an article, not 1 o'clock
        if m["prep"] == "at" and m["h"] in ("a", "an", "one") and not part:
            continue
        value = _resolve_hour(hour, 0, part, m["prep"])
        if value:
            add("time", value, m.start(), end)


def dateparser_fallback(text: str, now: datetime, lang: str | None) -> list[Found]:
    """Ask dateparser about the original `text` (slow: only when `needs_fallback`)."""
    from dateparser.search import search_dates

    settings = {"RELATIVE_BASE": now.replace(tzinfo=None), "PREFER_DATES_FROM": "future"}
    languages = [lang] if lang in ("de", "en", "nl") else ["de", "en", "nl"]
    try:
        hits = search_dates(text, languages=languages, settings=settings) or []
    except Exception:  # dateparser can raise on odd input; then there is no date
        return []
    found: list[Found] = []
    for phrase, when in hits[:1]:
        start = text.find(phrase)
        if start >= 0 and any(ch.isalpha() for ch in phrase):
            found.append(("date", when.date().isoformat(), start, start + len(phrase)))
    return found
