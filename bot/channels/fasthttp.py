"""A small keep-alive JSON client on bare sockets for the hot send path.

httpx costs about 0.35 ms of CPU per request; the same POST through `http.client`
about 0.1 ms, most of it in parsing the response headers with the `email` package.
This client does only what the WhatsApp adapter needs: POST a JSON body to one origin
over a pool of kept-alive HTTP/1.1 connections (thread-safe: the dispatcher sends from
several threads), with a timeout. The request head is built once; the response is read
with a plain line parser (status line, headers, a Content-Length, chunked or
read-to-close body). Errors are raised as `httpx.TransportError` subclasses, so
callers handle them exactly like httpx's own. It does not retry: a failed send is the
dispatcher's to retry, as before.

`for_url` returns None when the environment configures a proxy for the URL; callers
then keep using httpx, which honours proxies.
"""

from __future__ import annotations

import json
import select
import socket
import ssl
import threading
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx


@dataclass(frozen=True)
class JsonResponse:
    status_code: int
    headers: dict[str, str]  # lower-case names
    content: bytes

    def json(self) -> Any:
        return json.loads(self.content)


class JsonPoster:
    """POSTs JSON to one origin over kept-alive connections."""

    def __init__(
        self, url: str, *, headers: dict[str, str], timeout: float, max_idle: int = 8
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        self.https = parts.scheme == "https"
        self.host = parts.hostname
        self.port = parts.port or (443 if self.https else 80)
        self.path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        default_port = 443 if self.https else 80
        host = self.host if self.port == default_port else f"{self.host}:{self.port}"
        lines = [f"POST {self.path} HTTP/1.1", f"Host: {host}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        lines += ["Content-Type: application/json", "Content-Length: "]
        self._head = "\r\n".join(lines).encode("latin-1")
        self.timeout = timeout
        self.max_idle = max_idle
        self._ssl = ssl.create_default_context() if self.https else None
        self._idle: list[_Connection] = []
        self._lock = threading.Lock()
        self._closed = False

    @classmethod
    def for_url(cls, url: str, **kwargs: Any) -> JsonPoster | None:
        """A poster for `url`, or None if a proxy applies to it (use httpx then)."""
        host = urlsplit(url).hostname or ""
        proxies = urllib.request.getproxies()
        scheme = urlsplit(url).scheme
        if (proxies.get(scheme) or proxies.get("all")) and not urllib.request.proxy_bypass(host):
            return None
        return cls(url, **kwargs)

    def post(self, body: Any) -> JsonResponse:
        data = json.dumps(body, separators=(",", ":")).encode()
        request = b"%s%d\r\n\r\n%s" % (self._head, len(data), data)
        conn = self._checkout()
        try:
            response, keep = conn.exchange(request)
        except TimeoutError as exc:
            conn.close()
            raise httpx.ReadTimeout(str(exc) or "timed out") from exc
        except (OSError, ValueError) as exc:
            conn.close()
            raise httpx.TransportError(f"{type(exc).__name__}: {exc}") from exc
        if keep:
            self._checkin(conn)
        else:
            conn.close()
        return response

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    def _checkout(self) -> _Connection:
        while True:
            with self._lock:
                conn = self._idle.pop() if self._idle else None
            if conn is None:
                return self._connect()
            if _usable(conn):
                return conn
            conn.close()  # the server closed it while idle

    def _checkin(self, conn: _Connection) -> None:
        with self._lock:
            if not self._closed and len(self._idle) < self.max_idle:
                self._idle.append(conn)
                return
        conn.close()

    def _connect(self) -> _Connection:
        return _Connection(self.host, self.port, self.timeout, self._ssl)


class _Connection:
    """One HTTP/1.1 connection, opened on its first request."""

    def __init__(
        self, host: str, port: int, timeout: float, context: ssl.SSLContext | None
    ) -> None:
        self.host, self.port, self.timeout, self.context = host, port, timeout, context
        self.sock: socket.socket | None = None
        self._file: Any = None

    def exchange(self, request: bytes) -> tuple[JsonResponse, bool]:
        """Send one request; the response and whether the connection stays open."""
        if self.sock is None:
            sock = socket.create_connection((self.host, self.port), self.timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.context is not None:
                sock = self.context.wrap_socket(sock, server_hostname=self.host)
            self.sock, self._file = sock, sock.makefile("rb")
        self.sock.sendall(request)
        while True:  # skip interim answers (100 Continue)
            version, status = _status_line(self._file.readline(_MAX_LINE))
            headers = _headers(self._file)
            if status >= 200:
                break
        keep = _keeps_alive(version, headers.get("connection", ""))
        if "chunked" in headers.get("transfer-encoding", "").lower():
            content = _chunked(self._file)
        elif "content-length" in headers:
            content = _exactly(self._file, int(headers["content-length"]))
        elif status in (204, 304):
            content = b""
        else:  # no length: the body runs until the server closes
            content, keep = self._file.read(), False
        return JsonResponse(status, headers, content), keep

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
        if self.sock is not None:
            self.sock.close()
        self.sock = self._file = None


_MAX_LINE = 65536


def _status_line(line: bytes) -> tuple[str, int]:
    parts = line.split(None, 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/"):
        raise ValueError(f"bad status line {line[:80]!r}" if line else "connection closed")
    return parts[0].decode("latin-1"), int(parts[1])


def _headers(file: Any) -> dict[str, str]:
    """Header lines up to the blank one; names lower-case, repeated ones joined."""
    headers: dict[str, str] = {}
    for _ in range(200):
        line = file.readline(_MAX_LINE)
        if line in (b"\r\n", b"\n"):
            return headers
        if not line:
            raise ValueError("connection closed in the headers")
        name, sep, value = line.decode("latin-1").partition(":")
        if not sep:
            raise ValueError(f"bad header line {line[:80]!r}")
        key, value = name.strip().lower(), value.strip()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    raise ValueError("too many headers")


def _keeps_alive(version: str, connection: str) -> bool:
    tokens = {token.strip() for token in connection.lower().split(",")}
    return "keep-alive" in tokens if version == "HTTP/1.0" else "close" not in tokens


def _exactly(file: Any, length: int) -> bytes:
    content = file.read(length)
    if len(content) != length:
        raise ValueError("connection closed in the body")
    return bytes(content)


def _chunked(file: Any) -> bytes:
    parts = []
    while True:
        size = int(file.readline(_MAX_LINE).split(b";", 1)[0].strip() or b"x", 16)
        if size == 0:
            break
        parts.append(_exactly(file, size))
        _exactly(file, 2)  # the CRLF after each chunk
    _headers(file)  # trailers, up to the blank line
    return b"".join(parts)


def _usable(conn: _Connection) -> bool:
    """An idle kept-alive connection is reusable unless its socket became readable
    (the server closed it, or sent something unasked)."""
    sock = conn.sock
    if sock is None:
        return True  # not connected yet: connects on the next request
    try:
        if hasattr(select, "poll"):
            poller = select.poll()
            poller.register(sock, select.POLLIN)
            return not poller.poll(0)
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return False
    return not readable
