"""Issue 4's "done when", in ONE web chat session through `POST /api/chat`:

book a boat and get its QR ticket, check and redeem a voucher at a shop found by
category, apply for a bulky waste pickup, ask its status by reference, and ask when the
recycling yard is open on Saturday. Trained NLU, real flows, demo city data.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from actions import hours
from bot.core.settings import Settings

REFERENCE = re.compile(r"AH-\d{4}-\d{6}")


def next_saturday() -> datetime:
    today = datetime.now(Settings(_env_file=None).tz).date()  # type: ignore[call-arg]
    return today + timedelta(days=(5 - today.weekday()) % 7)  # type: ignore[return-value]


def test_one_citizen_does_everything_in_one_session(chat, client) -> None:
    web = chat()
    assert "Stadtbot" in web.send("Hallo")

    # 1. A boat, with several slots in one message, and its QR ticket.
    summary = web.send("Ich möchte morgen um 15 Uhr ein Ruderboot für 2 Stunden mieten")
    assert "• Boot: Ruderboot" in summary and "• Beginn: 15:00" in summary
    assert "• Dauer: 2 Std." in summary and "• Preis: 24,00 €" in summary
    assert "confirm:yes" in web.payloads()
    booked = web.send("Ja, bitte")
    assert "Gebucht ✅ Buchungsnummer B-" in booked
    [ticket] = web.images()
    image = client.get(ticket)
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/png"
    assert image.content.startswith(b"\x89PNG")

    # 2. Voucher balance, then pay at a café found by its category.
    balance = web.send("Wie viel Guthaben hat mein Gutschein AHS-DEMO-0001?")
    assert "AHS-DEMO-0001 hat noch 50,00 € Guthaben" in balance
    assert "flow:redeem_voucher" in web.payloads()
    assert web.send(payload="flow:redeem_voucher").startswith("Wo bezahlen Sie?")
    shops = web.send("In einem Café")
    assert shops.startswith("Welches Geschäft meinen Sie?") and "Café am Markt" in shops
    assert "Guthaben: 50,00 €. Geschäft: Eiscafé am Schloss." in web.send("Eiscafé am Schloss")
    confirm = web.send("12,50 €")
    assert confirm.startswith("12,50 € bei Eiscafé am Schloss mit dem Gutschein AHS-DEMO-0001")
    receipt = web.send("ja")
    assert "Bezahlt ✅ 12,50 € bei Eiscafé am Schloss." in receipt
    assert re.search(r"Transaktion: T-[A-Z0-9]{8}", receipt)
    assert "Restguthaben: 37,50 €" in receipt

    # 3. Bulky waste pickup.
    assert web.send("Ich möchte Sperrmüll anmelden").startswith("Wo soll abgeholt werden?")
    assert web.send("Marktstraße 12").startswith("Was soll abgeholt werden?")
    days = web.send("ein Sofa und zwei Stühle")
    assert days.startswith("An welchem Abfuhrtag")
    summary = web.send("1")
    assert "• Straße: Marktstraße" in summary and "• Hausnummer: 12" in summary
    ack = web.send("ja")
    assert "Angemeldet ✅ Aktenzeichen" in ack
    reference = REFERENCE.search(ack)[0]  # type: ignore[index]

    # 4. Its status by reference.
    status = web.send(f"Wie ist der Stand von {reference}?")
    assert status.startswith(f"{reference} (Sperrmüllabholung): eingegangen")

    # 5. When is the recycling yard open on Saturday?
    answer = web.send("Wann hat der Wertstoffhof am Samstag geöffnet?")
    saturday = next_saturday()
    expected = hours.hours_on("recycling_yard", saturday)  # type: ignore[arg-type]
    assert f"{saturday:%d.%m.%Y}" in answer
    if expected.is_open:
        assert answer.startswith("Wertstoffhof – geöffnet am Sa, ") and "09:00–14:00 Uhr" in answer
    else:  # a public holiday on Saturday
        assert "geschlossen" in answer
