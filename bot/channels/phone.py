"""Phone numbers as E.164 (`+4915112345678`): one WhatsApp contact per number.

Twilio sends `whatsapp:+49…`, the Cloud API sends `49…` without the plus; both must
become the same canonical identity, or one citizen would get two conversations.
"""

from __future__ import annotations

import phonenumbers


def to_e164(raw: str | None) -> str | None:
    """The E.164 form of `raw`, or None when it is not a possible phone number."""
    if not raw:
        return None
    number = raw.strip().removeprefix("whatsapp:").strip()
    if not number.startswith("+"):
        number = "+" + number.lstrip("0")
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
