"""`POST /api/nlu/parse` through FastAPI's TestClient on a tiny app with the router."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.routes.nlu import router


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = FastAPI()
    app.include_router(router)
    return TestClient(app)


def test_parse_returns_rasa_shape(client: TestClient) -> None:
    response = client.post(
        "/api/nlu/parse", json={"text": "Gutschein AHS-DEMO-0001 einlösen", "lang": "de"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["text"] == "Gutschein AHS-DEMO-0001 einlösen"
    assert body["intent"]["name"] == "redeem_voucher"
    assert 0 < body["intent"]["confidence"] <= 1
    assert len(body["intent_ranking"]) >= 5
    assert {"name", "confidence"} <= set(body["intent_ranking"][0])
    assert body["language"] == "de"
    assert isinstance(body["language_confidence"], float)
    codes = [e for e in body["entities"] if e["entity"] == "voucher_code"]
    assert [(e["value"], e["start"], e["end"]) for e in codes] == [("AHS-DEMO-0001", 10, 23)]


def test_text_over_4000_chars_is_rejected(client: TestClient) -> None:
    assert client.post("/api/nlu/parse", json={"text": "a" * 4001}).status_code == 422


def test_text_of_4000_chars_is_fine(client: TestClient) -> None:
    assert client.post("/api/nlu/parse", json={"text": "a" * 4000}).status_code == 200


def test_missing_text_is_rejected(client: TestClient) -> None:
    assert client.post("/api/nlu/parse", json={"lang": "de"}).status_code == 422


@pytest.mark.parametrize("hint", ["fr", "de-DE", "NL", ""])
def test_language_hint_is_only_a_hint(client: TestClient, hint: str) -> None:
    response = client.post("/api/nlu/parse", json={"text": "Hello, good morning", "lang": hint})
    assert response.status_code == 200
    assert response.json()["language"] == "en"


def test_empty_text_is_out_of_scope(client: TestClient) -> None:
    body = client.post("/api/nlu/parse", json={"text": ""}).json()
    assert body["intent"]["name"] == "out_of_scope"
