"""Messages the city sends on its own (case status changes, boat reminders).

Flows phrase answers to questions; these texts are sent when nobody asked, so they live
here, one short template per language, and go out through `bot.core.outbox.enqueue` in the
transaction of the change that caused them.
"""

from __future__ import annotations

from sqlmodel import Session

from bot.core.messages import Button, Reply
from bot.core.models import Contact
from bot.core.outbox import enqueue

STATUS_NAMES = {
    "de": {
        "received": "eingegangen",
        "in_progress": "in Bearbeitung",
        "waiting_for_citizen": "wartet auf Ihre Rückmeldung",
        "done": "erledigt",
        "rejected": "abgelehnt",
    },
    "en": {
        "received": "received",
        "in_progress": "in progress",
        "waiting_for_citizen": "waiting for your reply",
        "done": "done",
        "rejected": "rejected",
    },
    "nl": {
        "received": "ontvangen",
        "in_progress": "in behandeling",
        "waiting_for_citizen": "wacht op uw reactie",
        "done": "afgehandeld",
        "rejected": "afgewezen",
    },
}
STATUS_TEMPLATE = {
    "de": "Neuigkeiten zu Ihrem Anliegen {reference}: Status „{status}“.",
    "en": "Update on your request {reference}: status “{status}”.",
    "nl": "Nieuws over uw verzoek {reference}: status „{status}”.",
}
STATUS_BUTTON = {"de": "Status anzeigen", "en": "Show status", "nl": "Status tonen"}
REMINDER_TEMPLATE = {
    "de": "Erinnerung: Ihr {boat} ({reference}) wartet heute um {time} Uhr am {dock}. "
    "Ihr Ticket: {ticket_url}",
    "en": "Reminder: your {boat} ({reference}) is waiting today at {time} at the {dock}. "
    "Your ticket: {ticket_url}",
    "nl": "Herinnering: uw {boat} ({reference}) ligt vandaag om {time} klaar bij de {dock}. "
    "Uw ticket: {ticket_url}",
}


def language_of(contact: Contact, default: str = "de") -> str:
    """The contact's language if we have texts for it, else the default."""
    return contact.language if contact.language in STATUS_TEMPLATE else default


def notify_status(
    session: Session, contact: Contact, reference: str, status: str, message: str | None
) -> None:
    """Tell the citizen their case changed status, with the staff's message if any."""
    lang = language_of(contact)
    text = STATUS_TEMPLATE[lang].format(reference=reference, status=STATUS_NAMES[lang][status])
    if message:
        text = f"{text}\n{message}"
    buttons = [Button(title=STATUS_BUTTON[lang], payload=f"case_status_{reference}")]
    enqueue(session, contact, Reply(text=text, buttons=buttons), kind="status")


def notify_reminder(session: Session, contact: Contact, **values: str) -> None:
    """Remind the citizen of their boat booking (values fill REMINDER_TEMPLATE)."""
    text = REMINDER_TEMPLATE[language_of(contact)].format(**values)
    enqueue(session, contact, Reply(text=text), kind="reminder")
