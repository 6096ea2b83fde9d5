"""The deployment guide's files work: systemd units, the nginx config, a restore drill.

`docs/deployment.md` tells a city's IT to copy these files; here they are checked the
way an operator would: `systemd-analyze verify`, `nginx -t`, and a PostgreSQL dump
restored into a new database that then serves the restored data. Without the tools the
tests skip and say why; CI (`STADTBOT_REQUIRE_OPS_TOOLS=1`) installs them and fails
instead of skipping.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import yaml

from tests.live.server import ROOT, running_server
from tests.support import pg_admin, pg_execute

DEPLOY = ROOT / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))


def need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        if os.environ.get("STADTBOT_REQUIRE_OPS_TOOLS"):
            pytest.fail(f"{tool} is required here (STADTBOT_REQUIRE_OPS_TOOLS is set)")
        pytest.skip(f"{tool} not installed: deployment check skipped")
    return path


def test_the_guide_names_every_shipped_file() -> None:
    guide = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
    for unit in UNITS:
        assert unit.name.split("@")[0].removesuffix(".service") in guide, unit.name
    for name in ("deploy/nginx/stadtbot.conf", "Dockerfile", "compose.yaml", "pg_dump"):
        assert name in guide


def test_systemd_units_pass_verify(tmp_path: Path) -> None:
    """Each unit, pointed at this checkout's `stadtbot`, verifies without a warning."""
    analyze = need("systemd-analyze")
    stadtbot = Path(sys.executable).with_name("stadtbot")
    assert stadtbot.exists(), "the project is not installed in this interpreter"
    env_file = tmp_path / "stadtbot.env"
    env_file.write_text("DATABASE_URL=sqlite:////var/lib/stadtbot/stadtbot.db\n")
    checked: list[str] = []
    for unit in UNITS:
        body = (
            unit.read_text(encoding="utf-8")
            .replace("/opt/stadtbot/.venv/bin/stadtbot", str(stadtbot))
            .replace("/etc/stadtbot/stadtbot.env", str(env_file))
            .replace("/opt/stadtbot", str(ROOT))
        )
        (tmp_path / unit.name).write_text(body)
        instance = unit.name.replace("@.service", "@1.service")
        if instance != unit.name:  # a template: verify an instance of it
            (tmp_path / instance).write_text(body)
        checked.append(str(tmp_path / instance))
    result = subprocess.run(
        [analyze, "verify", *checked],
        env={**os.environ, "SYSTEMD_UNIT_PATH": f"{tmp_path}:"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr
    assert len(checked) == 3


def test_systemd_verify_catches_a_broken_unit(tmp_path: Path) -> None:
    """The check above can fail: a unit whose program does not exist is refused."""
    analyze = need("systemd-analyze")
    unit = tmp_path / "broken.service"
    unit.write_text("[Service]\nExecStart=/nonexistent/stadtbot serve\n")
    result = subprocess.run(
        [analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0 or result.stderr.strip()


def nginx_test(tmp_path: Path, site: str) -> subprocess.CompletedProcess[str]:
    """`nginx -t` on the shipped site inside a minimal main config, with a test cert."""
    nginx = need("nginx")
    openssl = need("openssl")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )
    live = "/etc/letsencrypt/live/stadtbot.example.org"
    site = site.replace(f"{live}/fullchain.pem", str(cert)).replace(f"{live}/privkey.pem", str(key))
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  access_log off;\n  include {tmp_path}/site.conf;\n}}\n"
    )
    return subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True, text=True, timeout=60,
    )


def test_nginx_config_passes_nginx_t(tmp_path: Path) -> None:
    result = nginx_test(tmp_path, (DEPLOY / "nginx" / "stadtbot.conf").read_text())
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def test_nginx_t_catches_a_broken_config(tmp_path: Path) -> None:
    broken = (DEPLOY / "nginx" / "stadtbot.conf").read_text().replace("proxy_pass", "proxy_pas", 1)
    assert nginx_test(tmp_path, broken).returncode != 0


def test_compose_file_runs_migrate_serve_and_worker_on_postgres() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert {"db", "migrate", "serve", "worker"} <= set(services)
    assert services["migrate"]["command"] == ["stadtbot", "db", "upgrade"]
    assert services["serve"]["command"][:2] == ["stadtbot", "serve"]
    assert services["worker"]["command"] == ["stadtbot", "worker"]
    for name in ("serve", "worker"):
        assert services[name]["environment"]["DATABASE_URL"].startswith("postgresql://")
        assert "migrate" in services[name]["depends_on"]
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    for package in ("bot", "flows", "nlu", "actions", "api", "migrations"):
        assert f"COPY {package} " in dockerfile


@contextmanager
def database() -> Iterator[str]:
    """A new, empty PostgreSQL database on the test server; dropped afterwards."""
    name = f"sb_drill_{uuid.uuid4().hex[:10]}"
    with pg_admin() as (base, admin):
        pg_execute(admin, f'CREATE DATABASE "{name}"')
        try:
            yield base.rsplit("/", 1)[0] + f"/{name}"
        finally:
            pg_execute(
                admin,
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n",
                n=name,
            )
            pg_execute(admin, f'DROP DATABASE IF EXISTS "{name}"')


def chat(base: str, text_: str, session_id: str | None = None) -> dict:
    body = {"text": text_} if session_id is None else {"text": text_, "session_id": session_id}
    response = httpx.post(f"{base}/api/chat", json=body, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.postgres
@pytest.mark.slow
def test_restore_drill(tmp_path: Path) -> None:
    """The guide's drill: dump a live instance, restore into a new database, serve it.

    The restored instance was never given demo data, so the voucher it answers about and
    the earlier conversation it shows can only have come from the dump."""
    pg_dump, pg_restore = need("pg_dump"), need("pg_restore")
    dump = tmp_path / "stadtbot.dump"
    with database() as original, database() as restored:
        with running_server(original, demo=True) as base:
            first = chat(base, "Hallo")
            session_id = first["session_id"]
        subprocess.run(
            [pg_dump, "--format=custom", f"--file={dump}", original],
            check=True, capture_output=True, timeout=120,
        )
        subprocess.run(
            [pg_restore, "--no-owner", f"--dbname={restored}", str(dump)],
            check=True, capture_output=True, timeout=120,
        )
        with running_server(restored) as base:
            assert httpx.get(f"{base}/readyz", timeout=10).json()["status"] == "ok"
            history = httpx.get(
                f"{base}/api/chat/history", params={"session_id": session_id}, timeout=10
            )
            assert history.status_code == 200, history.text
            assert "Hallo" in history.text
            balance = chat(base, "Wie viel Guthaben hat mein Gutschein AHS-DEMO-0004?")
            texts = " ".join(m["text"] for m in balance["messages"])
            assert "50,00 €" in texts, texts
