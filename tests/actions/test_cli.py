"""The actions CLI (`stadtbot case|demo|qr|reminders`) and the generated NLU lookups."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import typer
from typer.testing import CliRunner

from actions import cli, lookups
from bot.core import db, settings


@pytest.fixture
def app(tmp_path, monkeypatch) -> Iterator[typer.Typer]:
    """The sub-apps mounted as the integrator will, on a migrated SQLite file."""
    from bot.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    upgrade(url)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("PUBLIC_BASE_URL", "http://localhost:8000")
    settings.get_settings.cache_clear()
    db.get_engine.cache_clear()
    root = typer.Typer()
    root.add_typer(cli.case_app, name="case")
    root.add_typer(cli.demo_app, name="demo")
    root.add_typer(cli.reminders_app, name="reminders")
    root.command("qr")(cli.qr_command)
    yield root
    db.get_engine().dispose()
    settings.get_settings.cache_clear()
    db.get_engine.cache_clear()


def test_demo_load_twice(app):
    runner = CliRunner()
    first = runner.invoke(app, ["demo", "load"])
    assert first.exit_code == 0 and "merchants: 200 new" in first.output
    second = runner.invoke(app, ["demo", "load"])
    assert second.exit_code == 0 and "vouchers: 0 new" in second.output


def test_case_set_status_errors_and_reminders(app):
    runner = CliRunner()
    missing = runner.invoke(app, ["case", "set-status", "AH-2027-000001", "done", "-m", "ok"])
    assert missing.exit_code == 1 and "not_found" in missing.output
    bad = runner.invoke(app, ["case", "set-status", "AH-2027-000001", "lost"])
    assert bad.exit_code == 1 and "unknown_status" in bad.output
    assert "0 reminders queued" in runner.invoke(app, ["reminders", "run"]).output


def test_qr_files(app, tmp_path):
    runner = CliRunner()
    png = tmp_path / "dock.png"
    result = runner.invoke(app, ["qr", "boat_dock", "--out", str(png)])
    assert result.exit_code == 0 and png.read_bytes().startswith(b"\x89PNG")
    assert "http://localhost:8000/chat?start=boat_dock" in result.output
    svg = tmp_path / "shop.svg"
    assert runner.invoke(app, ["qr", "shop_1", "--format", "svg", "-o", str(svg)]).exit_code == 0
    assert "<svg" in svg.read_text()
    assert runner.invoke(app, ["qr", "not valid!"]).exit_code == 2
    assert runner.invoke(app, ["qr", "shop_1", "--channel", "whatsapp"]).exit_code == 2


def test_lookup_files_are_up_to_date():
    for name, content in lookups.generated().items():
        path = lookups.LOOKUP_DIR / name
        assert path.read_text(encoding="utf-8") == content, f"run `stadtbot demo lookups` ({path})"
    assert "    - Eiscafé am Schloss\n" in lookups.generated()["merchant.yml"]
