"""Issue 4's "done when" in a real browser: one web chat session does it all.

Book a boat and see its QR ticket, check and redeem a voucher at a shop found by
category, apply for a bulky waste pickup, ask its status by reference, and ask when
the recycling yard is open on Saturday. With STADTBOT_SCREENSHOT=1 it writes the
README's screenshots.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from tests.live.browser import browser_page
from tests.live.server import ROOT, running_server

SHOTS = ROOT / "docs" / "screenshots"


# Functions, not expressions: Playwright evals a bare expression, which the CSP forbids.
OUT_MORE_THAN = "n => document.querySelectorAll('#log .msg.out').length > n"


class Chat:
    """Drives the page like a citizen: type, press Enter, wait for the bot."""

    def __init__(self, page) -> None:  # type: ignore[no-untyped-def]
        self.page = page

    def bot_count(self) -> int:
        return self.page.locator("#log .msg.out").count()

    def say(self, text: str) -> str:
        before = self.bot_count()
        self.page.get_by_label("Ihre Nachricht").fill(text)
        self.page.keyboard.press("Enter")
        self.page.wait_for_function(OUT_MORE_THAN, arg=before)
        self.page.wait_for_timeout(150)  # all replies of the turn are rendered together
        return "\n".join(self.page.locator("#log .msg.out").all_inner_texts()[before:])

    def tap(self, title: str) -> str:
        before = self.bot_count()
        self.page.locator(".chip", has_text=title).last.click()
        self.page.wait_for_function(OUT_MORE_THAN, arg=before)
        self.page.wait_for_timeout(150)
        return "\n".join(self.page.locator("#log .msg.out").all_inner_texts()[before:])

    def shot(self, name: str) -> None:
        if os.environ.get("STADTBOT_SCREENSHOT"):
            SHOTS.mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(SHOTS / f"{name}.png"))


def test_everything_in_one_browser_session(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'city.db'}"
    with running_server(url, demo=True) as base, browser_page(height=900) as page:
        page.goto(f"{base}/chat")
        page.locator("#log .msg.out").first.wait_for()
        chat = Chat(page)

        summary = chat.say("Ich möchte morgen um 15 Uhr ein Ruderboot für 2 Stunden mieten")
        assert "Ruderboot" in summary and "24,00 €" in summary
        booked = chat.tap("Ja")
        assert "Gebucht" in booked
        ticket = page.locator("#log .msg.out img").last
        ticket.wait_for()
        page.wait_for_function(
            "() => [...document.querySelectorAll('#log img')].every(i => i.complete)"
        )
        assert (
            page.evaluate("document.querySelector('#log .msg.out:last-child img').naturalWidth")
            > 100
        )
        chat.shot("boat-ticket")

        assert "50,00 €" in chat.say("Wie viel Guthaben hat mein Gutschein AHS-DEMO-0001?")
        chat.say("Ich möchte damit bezahlen")
        shops = chat.say("In einem Café")
        assert "Eiscafé am Schloss" in shops
        chat.say("Eiscafé am Schloss")
        assert "12,50 €" in chat.say("12,50 €")
        receipt = chat.say("ja")
        assert "Restguthaben: 37,50 €" in receipt
        chat.shot("voucher-receipt")

        chat.say("Ich möchte Sperrmüll anmelden")
        chat.say("Marktstraße 12")
        chat.say("ein Sofa und zwei Stühle")
        chat.say("1")
        ack = chat.say("ja")
        reference = re.search(r"AH-\d{4}-\d{6}", ack)
        assert reference, ack
        status = chat.say(f"Wie ist der Stand von {reference[0]}?")
        assert reference[0] in status and "eingegangen" in status
        chat.shot("bulky-waste-status")

        hours = chat.say("Wann hat der Wertstoffhof am Samstag geöffnet?")
        assert "Wertstoffhof" in hours and ("Uhr" in hours or "geschlossen" in hours)
        chat.shot("recycling-yard-hours")
