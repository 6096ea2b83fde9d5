"""In Chromium against `stadtbot serve`: a staff member downloads the export of a chat's
contact and erases it after confirming (a cancelled dialog erases nothing). Both calls
go through the page's shared fetch helper, so they carry the session's CSRF header."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from sqlmodel import Session, select

from bot.core.db import make_engine
from bot.core.models import Contact, Message
from tests.live.browser import CHROMIUM_FLAGS, chromium_path
from tests.live.server import running_server

ASK = "Ich möchte bitte mit einem Mitarbeiter sprechen, hier ist Frieda Esking"


def test_export_and_erase_from_the_inbox(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    chromium_path()
    url = f"sqlite:///{tmp_path / 'privacy.db'}"
    with running_server(url, demo=True) as base, sync_playwright() as playwright:
        sid = httpx.post(f"{base}/api/chat", json={}, timeout=30).json()["session_id"]
        httpx.post(f"{base}/api/chat", json={"session_id": sid, "text": ASK}, timeout=30)
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(accept_downloads=True, locale="de-DE")
            page.goto(f"{base}/staff")
            page.get_by_label("Benutzername").fill("staff")
            page.get_by_label("Passwort").fill("ahaus-buergerbuero")
            page.get_by_role("button", name="Anmelden").click()
            page.wait_for_url(f"{base}/staff")
            page.locator(".queue-item.waiting").first.locator("button").click()
            page.locator("#messages .msg.in", has_text="Frieda").wait_for()

            with page.expect_download() as download:
                page.locator("#export-data").click()
            data = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))["data"]
            assert ASK in [m["text"] for m in data["message"]]
            page.locator("#audit li", has_text="Daten exportiert").wait_for()

            page.locator("#erase-data").click()
            page.get_by_role("button", name="Abbrechen").click()
            assert not page.locator("#erase-dialog").is_visible()
            assert page.locator("#chat").is_visible()  # cancelled: still there

            page.locator("#erase-data").click()
            page.get_by_role("button", name="Endgültig löschen").click()
            page.locator("#notice", has_text="wurden gelöscht").wait_for()
            assert page.locator("#error").inner_text() == ""
        finally:
            browser.close()
    db = make_engine(url)
    with Session(db) as session:
        assert session.exec(select(Contact).where(Contact.channel_user_id == sid)).first() is None
        assert not any("Frieda" in (m.text or "") for m in session.exec(select(Message)))
    db.dispose()
