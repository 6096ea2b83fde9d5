"""The web chat in a real browser: type, read, tap a chip, reload and keep the history."""

from __future__ import annotations

import os
from pathlib import Path

from tests.live.browser import browser_page
from tests.live.server import ROOT, running_server

SCREENSHOT = ROOT / "docs" / "screenshots" / "webchat.png"


def test_web_chat_in_chromium(tmp_path: Path) -> None:
    with (
        running_server(f"sqlite:///{tmp_path / 'web.db'}", demo=True) as base,
        browser_page() as page,
    ):
        page.goto(f"{base}/chat")
        log = page.locator("#log")
        log.locator(".msg.out").first.wait_for()
        assert "Stadtbot" in log.locator(".msg.out").first.inner_text()

        page.get_by_label("Ihre Nachricht").fill("Hilfe bitte")
        page.keyboard.press("Enter")
        page.wait_for_function("() => document.querySelectorAll('#log .msg.out').length >= 2")
        assert log.locator(".msg.in").last.inner_text() == "Hilfe bitte"

        chips = page.locator(".chip")
        chip_title = chips.last.inner_text()
        chips.last.click()
        page.wait_for_function("() => document.querySelectorAll('#log .msg.out').length >= 3")
        assert log.locator(".msg.in").last.inner_text() == chip_title
        before = log.locator(".msg").all_inner_texts()

        page.reload()
        page.wait_for_function(
            "n => document.querySelectorAll('#log .msg').length >= n", arg=len(before)
        )
        after = log.locator(".msg").all_inner_texts()
        assert after == before

        assert page.evaluate("document.activeElement.id") != "text"  # no keyboard on load (phones)
        assert page.get_by_role("log").count() == 1
        if os.environ.get("STADTBOT_SCREENSHOT"):
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOT))


def test_citizen_text_is_never_html(tmp_path: Path) -> None:
    with running_server(f"sqlite:///{tmp_path / 'xss.db'}") as base, browser_page() as page:
        page.goto(f"{base}/chat")
        page.locator("#log .msg.out").first.wait_for()
        page.get_by_label("Ihre Nachricht").fill("<img src=x onerror=\"document.title='pwned'\">")
        page.keyboard.press("Enter")
        page.wait_for_function("() => document.querySelectorAll('#log .msg.out').length >= 2")
        assert page.title() != "pwned"
        assert page.locator("#log img").count() == 0
