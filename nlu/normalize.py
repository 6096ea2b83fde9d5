"""Text normalisation shared by training and parsing, with a map back to the original text.

Citizens type "GUTSCHEIIIN", "Gutschein", "gutschein 👍" and "Straße"/"Strasse" for the same
thing; the classifier and the entity lookups should see one spelling. Every normalised
character remembers the index of the original character it came from, so entity offsets
found in normalised text can be reported against the text the citizen actually wrote.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

#: Folding umlauts to their two-letter spelling makes "Gebühr" and "Gebuehr" one token.
_FOLD = {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ẞ": "ss", "é": "e", "è": "e", "ë": "e",
         "ï": "i", "à": "a", "á": "a", "â": "a", "ê": "e", "ô": "o", "û": "u", "ç": "c",
         "ñ": "n", "ó": "o", "í": "i", "ú": "u", "ĳ": "ij"}

#: Emoji that carry an intent on WhatsApp become words; all other symbols become spaces.
EMOJI_WORDS = {
    "👍": " ok ", "👌": " ok ", "✅": " ok ", "🙏": " danke ", "❤": " danke ", "😊": " ",
    "👋": " hallo ", "❌": " nein ", "👎": " nein ", "🚣": " ruderboot ", "🛶": " kanu ",
    "☀": " wetter ", "🌧": " wetter ", "☔": " wetter ", "🅿": " parken ", "🗑": " muell ",
    "🆘": " hilfe ", "❓": " ? ", "?": " ? ",
}


@dataclass(frozen=True, slots=True)
class Normalized:
    """Normalised text plus, for each of its characters, the index in the original text."""

    text: str
    source: tuple[int, ...]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Map a [start, end) span of the normalised text back to the original text."""
        if not self.source or start >= end:
            return (0, 0)
        end = min(end, len(self.source))
        return (self.source[start], self.source[end - 1] + 1)


_TAG = re.compile(r"<[^<>]{0,200}>")


def _blank_tags(text: str) -> str:
    """Replace HTML tags by spaces of equal length (offsets stay valid)."""
    return _TAG.sub(lambda m: " " * len(m.group()), text) if "<" in text else text


def normalize(text: str, *, fold: bool = True, max_chars: int = 1000) -> Normalized:
    """Lowercase, fold umlauts/accents, map emoji, drop control chars and tags, squash repeats.

    Letters repeated three or more times become two ("haaaallo" → "haallo"): two keeps
    legitimate doubles ("boot", "kaffee") intact. Only the first `max_chars` characters are
    kept, which bounds the cost of a 4,000-character paste.
    """
    out: list[str] = []
    src: list[int] = []
    prev = ""
    run = 0
    for i, ch in enumerate(_blank_tags(text[:max_chars])):
        low = ch.lower()
        if low in EMOJI_WORDS:
            piece = EMOJI_WORDS[low]
        elif fold and low in _FOLD:
            piece = _FOLD[low]
        elif low.isalnum() or low in "@.,:;-+/€$'&_#%()!":
            if not low.isascii() and low.isalpha():
                decomposed = unicodedata.normalize("NFKD", low)
                piece = "".join(c for c in decomposed if not unicodedata.combining(c)) or low
            else:
                piece = low
        else:
            piece = " "
        for c in piece:
            if c == prev:
                run += 1
                if run >= 2 and c.isalpha():
                    continue
            else:
                run = 0
            if c == " " and (not out or out[-1] == " "):
                prev = c
                continue
            out.append(c)
            src.append(i)
            prev = c
    while out and out[-1] == " ":
        out.pop()
        src.pop()
    return Normalized("".join(out), tuple(src))


def norm(text: str) -> str:
    """The normalised string alone (for vocabularies and lookup tables)."""
    return normalize(text).text


_WORD = re.compile(r"[a-z0-9]+(?:['-][a-z0-9]+)*")


def words(text: str) -> list[str]:
    """Word tokens of an already normalised string."""
    return _WORD.findall(text)


def word_spans(text: str) -> list[tuple[str, int, int]]:
    """Word tokens of a normalised string with their [start, end) offsets."""
    return [(m.group(), m.start(), m.end()) for m in _WORD.finditer(text)]
