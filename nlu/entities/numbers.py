"""Number words of German, English and Dutch (after normalisation: umlauts folded)."""

from __future__ import annotations

NUMBER_WORDS: dict[str, int] = {
    # German
    "ein": 1, "eins": 1, "eine": 1, "einer": 1, "einen": 1, "zwei": 2, "zwo": 2, "drei": 3,
    "vier": 4, "fuenf": 5, "sechs": 6, "sieben": 7, "acht": 8, "neun": 9, "zehn": 10,
    "elf": 11, "zwoelf": 12,
    # English
    "one": 1, "a": 1, "an": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    # Dutch
    "een": 1, "twee": 2, "drie": 3, "vijf": 5, "zes": 6, "zeven": 7, "negen": 9, "tien": 10,
    "twaalf": 12,
}

#: Alternation for regexes: longest first so "zwoelf" wins over "zwo".
NUMBER_PATTERN = "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))


def to_int(token: str) -> int | None:
    """A digit string or a number word as int; None otherwise."""
    if token.isdigit():
        return int(token)
    return NUMBER_WORDS.get(token)
