"""The README's `make run` from a fresh clone, started the way other programs start it.

It installs into the clone's own virtualenv, serves the demo city on the port and
database given in the environment, stops cleanly on SIGTERM, and a second run
duplicates no demo data.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.live.server import ROOT, free_port, wait_until_healthy


def _make_run(clone: Path, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        ["make", "run"],
        cwd=clone,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _stop(process: subprocess.Popen) -> str:
    process.send_signal(signal.SIGTERM)  # to make itself, as a supervisor would
    try:
        output, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        raise AssertionError("make run did not stop within 30 s of SIGTERM") from None
    return output.decode(errors="replace")


@pytest.mark.slow
def test_make_run_from_a_fresh_clone(tmp_path: Path) -> None:
    if shutil.which("make") is None or shutil.which("git") is None:
        pytest.fail("make and git are needed for the README's commands")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTEST"))}
    env.update(PORT=str(port), DATABASE_URL=f"sqlite:///{tmp_path / 'city.db'}")
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if ".venv" not in p)
    base = f"http://127.0.0.1:{port}"

    process = _make_run(clone, env)
    try:
        wait_until_healthy(base, process, seconds=900)
        page = httpx.get(f"{base}/chat")
        assert page.status_code == 200 and "Stadtbot" in page.text
        reply = httpx.post(f"{base}/api/chat", json={"text": "Hallo"}, timeout=30).json()
        assert reply["messages"] and reply["session_id"]
    finally:
        first = _stop(process)
    assert "staff /" in first  # the demo logins are printed
    with httpx.Client() as client, pytest.raises(httpx.ConnectError):
        client.get(f"{base}/healthz")

    process = _make_run(clone, env)
    try:
        wait_until_healthy(base, process, seconds=300)
    finally:
        second = _stop(process)
    new_counts = [line for line in second.splitlines() if line.rstrip().endswith(" new")]
    assert new_counts and all(line.rstrip().endswith(": 0 new") for line in new_counts), second
