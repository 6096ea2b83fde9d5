"""Command-line tools of the actions part, as Typer sub-apps for the `stadtbot` CLI.

Mount in `bot/cli.py`:
    app.add_typer(case_app, name="case")     # stadtbot case set-status REF STATUS [--message …]
    app.add_typer(demo_app, name="demo")     # stadtbot demo load | stadtbot demo lookups
    app.command("qr")(qr_command)            # stadtbot qr PAYLOAD [--format png|svg] [--out FILE]
    app.add_typer(reminders_app, name="reminders")  # stadtbot reminders run
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from actions import qr
from actions.cases import set_case_status
from actions.demo import load_demo
from actions.lookups import write_lookups
from actions.models import CASE_STATUSES
from actions.registry import ActionError
from actions.reminders import enqueue_due_reminders
from bot.core.db import transaction
from bot.core.settings import get_settings

case_app = typer.Typer(
    help="Service cases: change status (notifies the citizen).", no_args_is_help=True
)
demo_app = typer.Typer(help="Demo city data.", no_args_is_help=True)
reminders_app = typer.Typer(help="Boat reminders.", no_args_is_help=True)


@case_app.command("set-status")
def case_set_status(
    reference: str,
    status: Annotated[str, typer.Argument(help=" | ".join(CASE_STATUSES))],
    message: Annotated[
        str | None, typer.Option("--message", "-m", help="Told to the citizen")
    ] = None,
    actor: Annotated[str, typer.Option(help="Who changes it (recorded)")] = "cli",
) -> None:
    """Set a case's status, record it and notify the citizen."""
    try:
        with transaction() as session:
            case = set_case_status(session, reference, status, message, actor=actor)
    except ActionError as err:
        typer.echo(f"error: {err.code} {err.details}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{case.reference}: {case.status}")


@demo_app.command("load")
def demo_load() -> None:
    """Load boats, acceptance points and demo vouchers (idempotent)."""
    with transaction() as session:
        counts = load_demo(session)
    typer.echo(", ".join(f"{kind}: {n} new" for kind, n in counts.items()))


@demo_app.command("lookups")
def demo_lookups() -> None:
    """Regenerate nlu/data/lookups/merchant.yml and street.yml from the city data."""
    for name, count in write_lookups().items():
        typer.echo(f"{name}: {count} entries")


@reminders_app.command("run")
def reminders_run() -> None:
    """Queue the boat reminders that are due now."""
    with transaction() as session:
        count = enqueue_due_reminders(session, datetime.now(UTC))
    typer.echo(f"{count} reminders queued")


def qr_command(
    payload: str,
    format: Annotated[str, typer.Option("--format", "-f", help="png or svg")] = "png",
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="File (default: <payload>.<format>)")
    ] = None,
    channel: Annotated[str, typer.Option(help="web, telegram or whatsapp")] = "web",
) -> None:
    """Make a QR code that opens the bot with PAYLOAD (e.g. boat_dock, shop_17)."""
    if format not in {"png", "svg"}:
        typer.echo("error: --format must be png or svg", err=True)
        raise typer.Exit(2)
    try:
        links = qr.deep_links(payload, get_settings())
    except qr.PayloadError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    if channel not in links:
        typer.echo(
            f"error: channel {channel!r} is not configured (have: {', '.join(links)})", err=True
        )
        raise typer.Exit(2)
    target = out or Path(f"{payload}.{format}")
    if format == "png":
        target.write_bytes(qr.qr_png(links[channel]))
    else:
        target.write_text(qr.qr_svg(links[channel]), encoding="utf-8")
    typer.echo(f"{target}: {links[channel]}", file=sys.stdout)
