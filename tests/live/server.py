"""Start real `stadtbot serve` processes for tests that go through sockets and browsers."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 120  # the first start may train the NLU model
STADTBOT = [sys.executable, "-m", "bot"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_server(database_url: str, *, demo: bool = False, **env: str) -> Iterator[str]:
    """Run `stadtbot serve` on a free port until the block ends; yields its base URL.

    On exit the server gets SIGTERM and must stop cleanly within ten seconds.
    """
    port = free_port()
    environment = {**os.environ, "DATABASE_URL": database_url, "PORT": str(port), **env}
    if demo:
        subprocess.run(
            [*STADTBOT, "demo", "load"], env=environment, cwd=ROOT, check=True, capture_output=True
        )
    with running_command(["serve"], port, environment) as base:
        yield base


@contextmanager
def running_command(
    args: list[str], port: int, env: dict[str, str], health_path: str = "/healthz"
) -> Iterator[str]:
    """Run `stadtbot ARGS` serving on 127.0.0.1:`port` until the block ends, once
    `health_path` answers; SIGTERM must stop it within 15 seconds."""
    process = subprocess.Popen(
        [*STADTBOT, *args],
        env={**env, "HOST": "127.0.0.1"},
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base, process, path=health_path)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            message = f"stadtbot {args[0]} did not stop within 15 s of SIGTERM"
            raise AssertionError(message) from None


def wait_until_healthy(
    base: str, process: subprocess.Popen, seconds: float = STARTUP_SECONDS, path: str = "/healthz"
) -> None:
    """Poll `path` until it answers; fail early with the output if the process died."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read().decode(errors="replace") if process.stdout else ""
            raise AssertionError(f"server exited with {process.returncode}:\n{output[-3000:]}")
        try:
            if httpx.get(f"{base}{path}", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"server at {base} not healthy within {seconds} s")
