"""Streets and districts of the demo city (`actions/data/streets.yaml`).

Used to find an address's district (bulky waste days) and an approximate point for an
address when a citizen types it instead of sharing a location.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process

from actions import datafiles

STREET_SCORE_CUTOFF = 85


@dataclass(frozen=True)
class Street:
    """A street with its district and a point near its middle."""

    name: str
    district: str
    lat: float
    lon: float


def fold(text: str) -> str:
    """Lower case, no accents, `str.`/`strasse` → `straße`: how people type street names."""
    text = text.strip().lower().replace("strasse", "straße")
    text = re.sub(r"str\.?(\s|$)", r"straße\1", text)
    text = unicodedata.normalize("NFKD", text.replace("ß", "ss"))
    return "".join(c for c in text if not unicodedata.combining(c))


@lru_cache
def streets() -> tuple[Street, ...]:
    """All streets from the data file."""
    return tuple(Street(**item) for item in datafiles.load("streets")["streets"])


def districts() -> tuple[str, ...]:
    """District names, in file order, once each."""
    return tuple(dict.fromkeys(s.district for s in streets()))


def find_street(name: str) -> Street | None:
    """The street a citizen means, tolerating typos and `Str.`; None if unsure."""
    choices = {s.name: fold(s.name) for s in streets()}
    match = process.extractOne(
        fold(name), choices, scorer=fuzz.ratio, score_cutoff=STREET_SCORE_CUTOFF
    )
    if match is None:
        return None
    return next(s for s in streets() if s.name == match[2])


def address_key(street: Street, house_number: str) -> str:
    """A normalised `street|number` so two reports of one address compare equal."""
    return f"{fold(street.name)}|{house_number.strip().lower().replace(' ', '')}"
