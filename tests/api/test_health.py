"""Liveness, readiness, metrics and the OpenAPI docs."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_health_endpoints(app_client: TestClient) -> None:
    assert app_client.get("/healthz").json() == {"status": "ok"}
    assert app_client.get("/readyz").json() == {"status": "ok"}
    app_client.post("/api/chat", json={"text": "Hallo"})
    metrics = app_client.get("/metrics").text
    assert 'stadtbot_inbound_messages_total{channel="web"}' in metrics
    assert app_client.get("/docs").status_code == 200
    assert "/api/chat" in app_client.get("/openapi.json").json()["paths"]


def test_readyz_reports_503_when_the_database_is_gone(app_client: TestClient, tmp_path) -> None:
    from bot.core.db import make_engine

    app_client.app.state.engine.db = make_engine(f"sqlite:///{tmp_path}/missing/dir/x.db")
    res = app_client.get("/readyz")
    assert res.status_code == 503 and res.json()["status"] == "unavailable"
