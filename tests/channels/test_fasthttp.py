"""The lighter JSON client of the WhatsApp send path: keep-alive, reconnects, errors."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from bot.channels.fasthttp import JsonPoster, _usable


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Any

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.seen.append((self.headers["Authorization"], body))
        status, extra, payload = self.server.answers.pop(0) if self.server.answers else (
            200, {}, {"ok": True}
        )
        raw = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        if self.server.chunked:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            half = len(raw) // 2
            for part in (raw[:half], raw[half:], b""):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            return
        self.send_header("Content-Length", str(len(raw)))
        for name, value in extra.items():
            self.send_header(name, value)
        if self.server.close_after == "announced":
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(raw)
        if self.server.close_after:
            self.close_connection = True

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def server():  # type: ignore[no-untyped-def]
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.seen, httpd.answers, httpd.close_after = [], [], False  # type: ignore[attr-defined]
    httpd.chunked = False  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def _poster(server, **kwargs: Any) -> JsonPoster:  # type: ignore[no-untyped-def]
    url = f"http://127.0.0.1:{server.server_address[1]}/v1/messages"
    return JsonPoster(url, headers={"Authorization": "Bearer t"}, timeout=5, **kwargs)


def test_posts_json_and_keeps_the_connection(server) -> None:  # type: ignore[no-untyped-def]
    poster = _poster(server)
    for i in range(3):
        response = poster.post({"n": i})
        assert response.status_code == 200 and response.json() == {"ok": True}
    assert server.seen == [("Bearer t", {"n": 0}), ("Bearer t", {"n": 1}), ("Bearer t", {"n": 2})]
    assert len(poster._idle) == 1  # one connection, reused
    poster.close()


def test_a_chunked_answer_is_read_and_the_connection_kept(server) -> None:  # type: ignore[no-untyped-def]
    server.chunked = True
    server.answers.append((200, {}, {"messages": [{"id": "wamid.1"}], "pad": "x" * 50}))
    poster = _poster(server)
    assert poster.post({"n": 1}).json()["messages"] == [{"id": "wamid.1"}]
    assert poster.post({"n": 2}).json() == {"ok": True}
    assert len(poster._idle) == 1
    poster.close()


def test_error_status_and_headers_are_returned(server) -> None:  # type: ignore[no-untyped-def]
    server.answers.append((429, {"Retry-After": "7"}, {"error": {"code": 130429}}))
    response = _poster(server).post({})
    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"
    assert response.json()["error"]["code"] == 130429


def test_a_connection_the_server_announced_closing_is_not_reused(server) -> None:  # type: ignore[no-untyped-def]
    server.close_after = "announced"
    poster = _poster(server)
    assert poster.post({"n": 1}).status_code == 200
    assert poster._idle == []
    assert poster.post({"n": 2}).status_code == 200
    assert [body for _, body in server.seen] == [{"n": 1}, {"n": 2}]


def test_an_idle_connection_the_server_closed_is_replaced(server) -> None:  # type: ignore[no-untyped-def]
    server.close_after = "silently"
    poster = _poster(server)
    assert poster.post({"n": 1}).status_code == 200
    [idle] = poster._idle
    deadline = time.monotonic() + 5
    while _usable(idle) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not _usable(idle)
    assert poster.post({"n": 2}).status_code == 200
    assert [body for _, body in server.seen] == [{"n": 1}, {"n": 2}]


def test_connection_errors_are_httpx_transport_errors() -> None:
    poster = JsonPoster("http://127.0.0.1:9/x", headers={}, timeout=2)
    with pytest.raises(httpx.TransportError):
        poster.post({})


def test_a_configured_proxy_keeps_httpx(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("https_proxy", "http://proxy.example:3128")
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    assert JsonPoster.for_url("https://graph.facebook.com/v21.0/1/messages", headers={},
                              timeout=1) is None
    monkeypatch.delenv("https_proxy")
    monkeypatch.delenv("HTTPS_PROXY", raising=False)
    monkeypatch.delenv("all_proxy", raising=False)
    monkeypatch.delenv("ALL_PROXY", raising=False)
    assert JsonPoster.for_url("https://graph.facebook.com/v21.0/1/messages", headers={},
                              timeout=1) is not None
