"""On PostgreSQL, the same writing call sent at once to two action server processes
takes effect once: the second waits on the first's claim of the call's key and then
answers with the stored result."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.live.server import running_server
from tests.rasa.conftest import running_action_server
from tests.rasa.rasa_shapes import action_call


def test_one_redemption_from_two_processes(pg_url: str) -> None:
    with (
        running_server(pg_url, demo=True) as stadtbot,
        running_action_server(pg_url) as first,
        running_action_server(pg_url) as second,
    ):
        find = action_call("action_find_acceptance_points", sender="pg-payer",
                           slots={"shop_name": "Eiscafé am Schloss"})
        shop = httpx.post(f"{first}/webhook", json=find, timeout=30).json()
        merchant_id = next(e["value"] for e in shop["events"] if e["name"] == "merchant_id")
        pay = {"code": "AHS-DEMO-0006", "merchant_id": merchant_id, "amount": "7,50"}
        call = action_call("action_redeem_voucher", sender="pg-payer", slots=pay,
                           message_id="pg-1")

        def send(index: int) -> httpx.Response:
            return httpx.post(f"{(first, second)[index % 2]}/webhook", json=call, timeout=60)

        with ThreadPoolExecutor(max_workers=10) as pool:
            responses = list(pool.map(send, range(10)))
        balance = {"session_id": None}
        chat = httpx.post(f"{stadtbot}/api/chat", json={"text": "Guthaben AHS-DEMO-0006"},
                          timeout=60).json()
        balance["session_id"] = chat["session_id"]
        after_pin = httpx.post(f"{stadtbot}/api/chat", json={**balance, "text": "1234"},
                               timeout=60).json()

    assert [r.status_code for r in responses] == [200] * 10
    assert len({json.dumps(r.json(), sort_keys=True) for r in responses}) == 1
    assert "42,50 €" in " ".join(m["text"] for m in after_pin["messages"])
