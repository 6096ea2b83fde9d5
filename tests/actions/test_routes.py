"""HTTP routes of the actions branch: QR images, tickets, posters, merchant page, staff
status API. Each has a happy path, a not-found and a forbidden/invalid case."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from actions.models import Merchant
from api.app import create_app
from bot.core.db import transaction
from bot.core.models import Outbox
from tests.support import CLERK, PRESS, StaffLogin, keyword_engine


@pytest.fixture
def client(sqlite_engine, settings, monkeypatch) -> Iterator[TestClient]:
    """The real app (`create_app` includes the QR, merchant and case routers)."""
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", "AhausBot")
    url = sqlite_engine.url.render_as_string(hide_password=False)
    engine = keyword_engine(settings.model_copy(update={"database_url": url}))
    with transaction(engine.db) as session:
        CLERK.add(session, ["staff"])
        PRESS.add(session, ["communications"])
    app = create_app(engine.settings, engine)
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def engine(sqlite_engine):
    """Route tests run on SQLite only: the routes add no SQL of their own worth a second run."""
    return sqlite_engine


def test_link_png_and_svg(client):
    png = client.get("/qr/link.png", params={"payload": "shop_1"})
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    svg = client.get("/qr/link.svg", params={"payload": "boat_dock", "channel": "telegram"})
    assert svg.status_code == 200 and "<svg" in svg.text
    assert client.get("/qr/link.png", params={"payload": "bad payload!"}).status_code == 422
    assert client.get("/qr/link.png", params={"payload": "x" * 65}).status_code == 422
    assert (
        client.get("/qr/link.png", params={"payload": "a", "channel": "whatsapp"}).status_code
        == 404
    )


def test_ticket_needs_its_token(client, demo, call, new_contact):
    booking = call(
        "boats.book", new_contact(), type="Kanu", date="2027-06-02", time="14:00", duration=60
    )
    ok = client.get(booking["ticket_path"])
    assert ok.status_code == 200 and ok.content.startswith(b"\x89PNG")
    ref = booking["reference"]
    assert client.get(f"/qr/ticket/{ref}", params={"token": "guess"}).status_code == 404
    assert client.get(f"/qr/ticket/{ref}").status_code == 404
    assert client.get("/qr/ticket/B-NOPE", params={"token": "x"}).status_code == 404
    token = booking["ticket_path"].split("token=")[1]
    check = client.get(f"/qr/ticket/{ref}/check", params={"token": token})
    assert check.status_code == 200 and "Gültig" in check.text and "Kanu Biber" in check.text
    assert client.get(f"/qr/ticket/{ref}/check", params={"token": "x"}).status_code == 404


def test_poster_names_the_shop(client, demo):
    page = client.get("/qr/poster/shop_1")
    assert page.status_code == 200
    assert "Eiscafé am Schloss" in page.text and "https://t.me/AhausBot?start=shop_1" in page.text
    assert page.text.count("<svg") == 2  # web and Telegram; WhatsApp not configured
    assert client.get("/qr/poster/bad%20payload").status_code == 422


def test_merchant_page_lists_todays_redemptions(client, engine, demo, call, new_contact, now):
    from datetime import datetime

    today = datetime.now(now.tzinfo).replace(second=0, microsecond=0)
    call(
        "vouchers.redeem",
        new_contact(),
        now=today,
        code="AHS-DEMO-0003",
        merchant_id=1,
        amount_cents=1250,
    )
    with transaction(engine) as session:
        shop = session.exec(select(Merchant).where(Merchant.id == 1)).one()
        other = session.exec(select(Merchant).where(Merchant.id == 2)).one()
    page = client.get(f"/m/{shop.merchant_token}")
    assert page.status_code == 200
    assert (
        "12,50 €" in page.text and "AHS-****-0003" in page.text and "AHS-DEMO-0003" not in page.text
    )
    assert "noch keine" in client.get(f"/m/{other.merchant_token}").text
    assert client.get("/m/not-a-token").status_code == 404


def test_staff_status_api(client, engine, call, new_contact):
    owner = new_contact()
    ref = call("cases.submit", owner, service="dog_registration", fields={})["reference"]
    auth = CLERK
    body = {"status": "in_progress", "message": "Wir prüfen <b>das</b>."}
    assert client.post(f"/api/cases/{ref}/status", json=body).status_code == 401
    wrong = client.post(f"/api/cases/{ref}/status", json=body, auth=StaffLogin("clerk", "nope"))
    assert wrong.status_code == 401
    press = client.post(f"/api/cases/{ref}/status", json=body, auth=PRESS)
    assert press.status_code == 403
    ok = client.post(f"/api/cases/{ref}/status", json=body, auth=auth)
    assert ok.status_code == 200 and ok.json() == {"reference": ref, "status": "in_progress"}
    missing = client.post("/api/cases/AH-2027-999999/status", json=body, auth=auth)
    assert missing.status_code == 404
    bad = client.post(f"/api/cases/{ref}/status", json={"status": "lost"}, auth=auth)
    assert bad.status_code == 422 and bad.json()["detail"].startswith("body.status: Input should")
    with transaction(engine) as session:
        rows = session.exec(select(Outbox).where(Outbox.contact_id == owner)).all()
        assert [r.body["kind"] for r in rows] == ["status"]
