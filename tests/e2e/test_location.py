"""Sharing a location from the web chat: nearest shops, report location, bad coordinates."""

from __future__ import annotations

from fastapi.testclient import TestClient

MARKT = {"latitude": 52.0765, "longitude": 7.0065}


def test_a_location_out_of_the_blue_lists_shops_nearby(client: TestClient) -> None:
    res = client.post("/api/chat", json={"location": MARKT}).json()
    text = res["messages"][0]["text"]
    assert text.startswith("Akzeptanzstellen in Ihrer Nähe:")
    assert text.count("•") == 5 and " m)" in text
    history = client.get("/api/chat/history", params={"session_id": res["session_id"]}).json()
    assert history["messages"][0]["location"]["latitude"] == MARKT["latitude"]


def test_a_location_fills_the_report_location(client: TestClient) -> None:
    first = client.post("/api/chat", json={"text": "Ich möchte ein Schlagloch melden"}).json()
    sid = first["session_id"]
    client.post("/api/chat", json={"session_id": sid, "location": MARKT})
    client.post("/api/chat", json={"session_id": sid, "text": "überspringen"})
    last = client.post(
        "/api/chat", json={"session_id": sid, "text": "Tiefes Loch mitten auf der Fahrbahn"}
    )
    summary = last.json()["messages"][-1]["text"]
    assert summary.startswith("Ihre Meldung:") and "Schlagloch" in summary


def test_impossible_coordinates_are_refused(client: TestClient) -> None:
    for bad in ({"latitude": 95, "longitude": 7}, {"latitude": 52, "longitude": "east"}, {}):
        assert client.post("/api/chat", json={"location": bad}).status_code == 422
