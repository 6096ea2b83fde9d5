"""The compose page in headless Chromium: log in as the communications team, write a
warning in German and English, see the audience, send, watch the report finish.
With STADTBOT_SCREENSHOT=1 it writes the README's screenshots of both pages."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest

from bot.core.db import transaction
from bot.scheduler import Scheduler
from bot.staff import add_user
from tests.broadcasts.conftest import subscriber
from tests.broadcasts.test_end_to_end import Citizens
from tests.channels.conftest import Stack, build_stack, fakes  # noqa: F401 - fixture
from tests.channels.test_twilio import post as twilio_post
from tests.live.browser import browser_page
from tests.live.server import ROOT

SHOTS = ROOT / "docs" / "screenshots"
GERMAN = "Sturmwarnung: Heute ab 18 Uhr Orkanböen in Ahaus. Bitte Parks und Friedhöfe meiden."
ENGLISH = "Storm warning: gusts from 6 pm today in Ahaus. Please avoid parks and cemeteries."

pytestmark = pytest.mark.browser


@pytest.fixture
def served(sqlite_url: str, settings_for, fakes) -> Iterator[Stack]:  # noqa: F811
    yield from build_stack(sqlite_url, settings_for, fakes)


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    if os.environ.get("STADTBOT_SCREENSHOT"):
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_compose_send_and_report_in_the_browser(served: Stack) -> None:
    stack = served
    db = stack.engine.db
    with transaction(db) as session:
        add_user(session, "presse", "presse-password-1", ["communications"])
    for i in range(3):
        subscriber(db, "telegram", str(600 + i), language="de")
    subscriber(db, "telegram", "610", language="en")
    subscriber(db, "twilio", "+4915100000009", language="en")
    subscriber(db, "whatsapp", "+4915100000008", topic="verkehr")
    scheduler = Scheduler(db, stack.settings)
    scheduler.start()
    try:
        with browser_page(1100, 1500) as page:
            page.goto(f"{stack.url}/login?next=/broadcasts")
            page.get_by_label("Benutzername").fill("presse")
            page.get_by_label("Passwort").fill("presse-password-1")
            page.get_by_role("button", name="Anmelden").click()
            page.wait_for_url("**/broadcasts")
            page.get_by_label("Deutsch (Pflicht)").fill(GERMAN)
            page.get_by_label("Englisch (optional, sonst Deutsch)").fill(ENGLISH)
            page.get_by_label("Warnungen").check()
            page.wait_for_function(
                "() => document.getElementById('preview').textContent.startsWith('Empfänger: 5')"
            )
            preview = page.locator("#preview").inner_text()
            assert "Telegram 4" in preview and "WhatsApp (Twilio) 1" in preview
            assert "Deutsch 3" in preview and "Englisch 2" in preview
            shot(page, "broadcast-compose")
            page.get_by_role("button", name="Senden").dblclick()  # a double click sends once
            page.wait_for_url("**/broadcasts/*")
            stack.dispatcher.wake()
            page.wait_for_function(
                "() => document.getElementById('status').textContent === 'fertig'", timeout=60_000
            )
            rows = [r for r in stack.rows() if r.broadcast_id]
            assert len(rows) == 5 and {r.status for r in rows} == {"sent"}
            twilio = next(r for r in rows if r.channel == "twilio")
            status = {"MessageSid": twilio.provider_message_id, "MessageStatus": "read",
                      "AccountSid": "AC", "To": "whatsapp:+4915100000009"}
            assert twilio_post(stack, "/webhooks/twilio/status", status).status_code == 200
            Citizens(stack).telegram(600, "danke")
            page.reload()
            page.wait_for_function("() => document.getElementById('replies').textContent === '1'")
            time.sleep(0.3)
            shot(page, "broadcast-report")
            table = page.locator("#counts").inner_text()
            assert "gelesen" in table and "Englisch" in table
    finally:
        scheduler.stop()
    texts = [m["text"] for m in stack.telegram.sent if m["text"] in (GERMAN, ENGLISH)]
    assert sorted(texts) == sorted([GERMAN] * 3 + [ENGLISH])
