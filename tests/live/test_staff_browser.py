"""The whole staff story in Chromium against `stadtbot serve` with the demo city.

A citizen in /chat asks for a person; a staff member logged in on /staff sees the chat
appear live, claims it and replies; the citizen sees the reply live; the staff member
writes a note and hands back; the bot answers the next message; after a second chat
that staff close, the citizen rates. Telegram messages with `<script>` and
`<img onerror>` go through the real webhook, and nothing of them runs in the inbox.
`STADTBOT_SCREENSHOT=1` rewrites docs/screenshots/staff-inbox.png.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.fakes.server import Recorder, ServerThread
from tests.fakes.telegram import create_fake_telegram, message_update
from tests.live.browser import CHROMIUM_FLAGS, chromium_path
from tests.live.server import ROOT, running_server

SCREENSHOT = ROOT / "docs" / "screenshots" / "staff-inbox.png"
TOKEN = "123456:TEST-token"
SECRET = "webhook-secret-0123"
XSS = [
    "<script>document.title='pwned'</script>",
    "<img src=x onerror=\"document.title='pwned';window.pwned=1\">",
]


@contextmanager
def two_pages() -> Iterator[tuple]:
    """A citizen's and a staff member's page, in separate browser contexts."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        try:
            citizen = browser.new_context(viewport={"width": 420, "height": 860}, locale="de-DE")
            staff = browser.new_context(viewport={"width": 1440, "height": 900}, locale="de-DE")
            yield citizen.new_page(), staff.new_page()
        finally:
            browser.close()


def shows(page, selector: str, text: str, timeout: float = 5000) -> None:
    """Wait until one of the elements matching `selector` contains `text`."""
    page.wait_for_function(
        "([sel, t]) => [...document.querySelectorAll(sel)].some(m => m.innerText.includes(t))",
        arg=[selector, text],
        timeout=timeout,
    )


def citizen_says(page, text: str) -> None:
    count = page.locator("#log .msg.out").count()
    page.get_by_label("Ihre Nachricht").fill(text)
    page.keyboard.press("Enter")
    page.wait_for_function(f"() => document.querySelectorAll('#log .msg.out').length > {count}")


def test_staff_take_over_in_chromium(tmp_path: Path) -> None:
    chromium_path()
    telegram = ServerThread(create_fake_telegram(Recorder(), TOKEN)).start()
    env = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_API_BASE_URL": telegram.url,
    }
    try:
        with (
            running_server(f"sqlite:///{tmp_path / 'staff.db'}", demo=True, **env) as base,
            two_pages() as (citizen, staff),
        ):
            staff.goto(f"{base}/staff")
            staff.get_by_label("Benutzername").fill("staff")
            staff.get_by_label("Passwort").fill("ahaus-buergerbuero")
            staff.get_by_role("button", name="Anmelden").click()
            staff.wait_for_url(f"{base}/staff")
            staff.locator("#queue-empty").wait_for()

            citizen.goto(f"{base}/chat")
            citizen.locator("#log .msg.out").first.wait_for()
            citizen_says(citizen, "Wie viel Guthaben hat mein Gutschein AHS-DEMO-0001?")
            assert "50,00 €" in citizen.locator("#log .msg.out").last.inner_text()
            citizen_says(citizen, "Ich möchte bitte mit einem Mitarbeiter sprechen")
            shows(citizen, "#log .msg.out", "Team Bürgerbüro")

            item = staff.locator(".queue-item.waiting").first
            item.wait_for(timeout=5000)  # appears live, no reload
            assert "Web-Chat" in item.inner_text() and "eine Person sprechen" in item.inner_text()
            item.locator("button").click()
            asked = staff.locator("#messages .msg.in", has_text="Mitarbeiter")
            asked.wait_for()
            assert "human_handoff" in asked.locator(".intent").inner_text()
            staff.locator("#claim").click()
            staff.wait_for_function(
                "() => document.querySelector('#chat-meta').innerText.includes('bei staff')"
            )
            assert "Guthaben 50,00" in staff.locator("#vouchers").inner_text()

            staff.locator("#reply-text").fill(
                "Guten Tag, hier ist das Bürgerbüro. Wie kann ich helfen?"
            )
            staff.locator("#send").click()
            citizen.locator("#log .msg.staff").first.wait_for(timeout=5000)
            assert (
                "hier ist das Bürgerbüro" in citizen.locator("#log .msg.staff").first.inner_text()
            )

            citizen.get_by_label("Ihre Nachricht").fill("Mein Sperrmüll wurde nicht abgeholt.")
            citizen.keyboard.press("Enter")
            shows(staff, "#messages .msg.in", "Sperrmüll")
            staff.locator("#note-text").fill("Sperrmüll Tour 3 nachfragen, Rückruf morgen.")
            staff.locator("#note-form button").click()
            staff.locator("#notes li").first.wait_for()
            assert citizen.locator("#log").inner_text().count("Tour 3") == 0
            if os.environ.get("STADTBOT_SCREENSHOT"):
                SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
                staff.screenshot(path=str(SCREENSHOT), full_page=True)

            staff.locator("#release").click()
            shows(citizen, "#log .msg.out", "Sie sprechen wieder mit dem Stadtbot. Schreiben")
            citizen_says(citizen, "Wann hat der Wertstoffhof am Samstag geöffnet?")
            assert "09:00" in citizen.locator("#log .msg.out").last.inner_text()
            audit = staff.locator("#audit").inner_text()
            for action in ("übernommen", "geantwortet", "Notiz", "an den Bot zurückgegeben"):
                assert action in audit

            # A second chat, closed by staff: the citizen is asked for a rating and rates.
            citizen_says(citizen, "Ich möchte bitte mit einem Mitarbeiter sprechen")
            staff.wait_for_function(
                "() => document.querySelector('#chat-meta').innerText.includes('wartet')"
            )
            staff.locator("#claim").click()
            staff.wait_for_function(
                "() => document.querySelector('#chat-meta').innerText.includes('bei staff')"
            )
            staff.locator("#close").click()
            shows(citizen, "#log .msg.out", "Wie zufrieden")
            citizen.locator(".chip", has_text="5").last.click()
            shows(citizen, "#log .msg.out", "noch etwas dazu")
            citizen_says(citizen, "Sehr schnell geholfen, danke!")
            assert (
                "Vielen Dank für Ihre Rückmeldung"
                in citizen.locator("#log .msg.out").last.inner_text()
            )

            # Citizen text with markup through the Telegram webhook: shown, never run.
            hook = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
            httpx.post(
                f"{base}/webhooks/telegram",
                headers=hook,
                timeout=10,
                json=message_update(9001, 4711, "Ich möchte mit einem Mitarbeiter sprechen"),
            )
            for n, text in enumerate(XSS):
                httpx.post(
                    f"{base}/webhooks/telegram",
                    headers=hook,
                    timeout=10,
                    json=message_update(9002 + n, 4711, text),
                )
            telegram_item = staff.locator(".queue-item", has_text="Telegram").first
            telegram_item.wait_for(timeout=5000)
            telegram_item.locator("button").click()
            staff.wait_for_function(
                "() => document.querySelector('#chat-title').innerText.includes('Telegram')"
                " && document.querySelectorAll('#messages .msg.in').length >= 3",
                timeout=5000,
            )
            shown = staff.locator("#messages").inner_text()
            assert XSS[0] in shown and "onerror" in shown
            assert staff.title() != "pwned" and staff.evaluate("window.pwned") is None
            assert staff.locator("#messages img").count() == 0
            assert staff.locator("#messages script").count() == 0
    finally:
        telegram.stop()
