"""`stadtbot broadcast …`: what the compose page does, from a terminal or a cron job.

Every command goes through the same functions as the API (checks, idempotency key,
states), so a broadcast started here and paused on the page is one broadcast.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any

import typer
from sqlmodel import Session

from bot.broadcasts import compose, reports, sending
from bot.broadcasts.audience import preview
from bot.broadcasts.errors import BroadcastError
from bot.core.db import get_engine, transaction
from bot.core.models import utcnow
from bot.core.settings import get_settings
from bot.core.subscriptions import districts, topics

broadcast_app = typer.Typer(
    help="Broadcasts to subscribers (as on /broadcasts).", no_args_is_help=True
)

TopicsOpt = Annotated[list[str], typer.Option("--topic", "-t", help="Topic id (repeat).")]
DistrictOpt = Annotated[list[str], typer.Option("--district", help="Part of town (repeat).")]
ChannelOpt = Annotated[list[str], typer.Option("--channel", help="Channel (repeat; default all).")]


def _fail(exc: BroadcastError) -> None:
    typer.echo(f"error: {exc}", err=True)
    raise typer.Exit(2)


def _draft(de: str, en: str | None, nl: str | None, topic: list[str], district: list[str],
           channel: list[str], at: str | None, urgent: bool) -> compose.Draft:
    texts = {k: v for k, v in {"de": de, "en": en, "nl": nl}.items() if v}
    return compose.draft_from({
        "texts": texts, "topics": topic, "districts": district, "channels": channel,
        "send_at": at, "urgent": urgent,
    })


@broadcast_app.command("topics")
def list_topics() -> None:
    """The topics and parts of town (bot/core/topics.yaml)."""
    for topic in topics():
        typer.echo(f"{topic.id}\t{topic.title['de']}")
    typer.echo("parts of town: " + ", ".join(d.id for d in districts()))


@broadcast_app.command("preview")
def preview_command(
    topic: TopicsOpt, district: DistrictOpt = [], channel: ChannelOpt = [],  # noqa: B006
    de: Annotated[str, typer.Option(help="German text (for the length checks).")] = "…",
) -> None:
    """How many it would reach, per channel and language, and who needs a template."""
    settings = get_settings()
    try:
        with Session(get_engine()) as session:
            draft = compose.check(
                session, _draft(de, None, None, topic, district, channel, None, False),
                settings, utcnow(),
            )
            typer.echo(json.dumps(preview(session, draft.target(), settings), indent=2))
    except BroadcastError as exc:
        _fail(exc)


@broadcast_app.command("create")
def create_command(
    de: Annotated[str, typer.Option(help="German text (required).")],
    topic: TopicsOpt,
    en: Annotated[str | None, typer.Option(help="English text.")] = None,
    nl: Annotated[str | None, typer.Option(help="Dutch text.")] = None,
    district: DistrictOpt = [],  # noqa: B006
    channel: ChannelOpt = [],  # noqa: B006
    at: Annotated[
        str | None, typer.Option(help="Send at (ISO 8601; no zone: Europe/Berlin).")
    ] = None,
    urgent: Annotated[bool, typer.Option(help="Before other broadcasts.")] = False,
    key: Annotated[
        str | None, typer.Option(help="Idempotency key (a rerun sends nothing new).")
    ] = None,
    send: Annotated[bool, typer.Option("--send", help="Start sending at once.")] = False,
    author: Annotated[str, typer.Option("--as", help="Who composed it.")] = "cli",
) -> None:
    """Create a draft (or, with --at, a scheduled broadcast); --send starts it now."""
    settings = get_settings()
    try:
        with transaction(get_engine()) as session:
            broadcast, created = compose.create(
                session, _draft(de, en, nl, topic, district, channel, at, urgent),
                author=author, idempotency_key=key, settings=settings, now=utcnow(),
            )
            assert broadcast.id is not None
            if send and broadcast.status == "draft":
                sending.start(session, broadcast.id, utcnow(), settings)
            typer.echo(json.dumps({
                "id": broadcast.id, "status": broadcast.status,
                "recipients": broadcast.recipients, "created": created,
            }))
    except BroadcastError as exc:
        _fail(exc)


def _change(name: str, action: Callable[..., Any], *extra: Any) -> Callable[[int], None]:
    def command(broadcast_id: int) -> None:
        try:
            with transaction(get_engine()) as session:
                broadcast = action(session, broadcast_id, utcnow(), *extra)
            typer.echo(json.dumps({"id": broadcast_id, "status": broadcast.status}))
        except BroadcastError as exc:
            _fail(exc)

    command.__doc__ = f"{name} a broadcast."
    return command


@broadcast_app.command("send")
def send_command(broadcast_id: int) -> None:
    """Start sending a draft or scheduled broadcast now."""
    _change("Send", sending.start, get_settings())(broadcast_id)


broadcast_app.command("pause")(_change("Pause", sending.pause))
broadcast_app.command("resume")(_change("Resume", sending.resume))
broadcast_app.command("cancel")(_change("Cancel", sending.cancel))


@broadcast_app.command("show")
def show(broadcast_id: int) -> None:
    """Status and counts (per channel and language), as JSON."""
    try:
        with Session(get_engine()) as session:
            typer.echo(json.dumps(reports.report(session, broadcast_id), indent=2))
    except BroadcastError as exc:
        _fail(exc)


@broadcast_app.command("list")
def list_command() -> None:
    """The newest broadcasts."""
    with Session(get_engine()) as session:
        for b in reports.listing(session):
            typer.echo(f"{b['id']}\t{b['status']}\t{b['recipients']}\t{b['text']}")


@broadcast_app.command("csv")
def csv_command(broadcast_id: int) -> None:
    """Per-recipient status as CSV on stdout."""
    try:
        with Session(get_engine()) as session:
            typer.echo(reports.recipients_csv(session, broadcast_id), nl=False)
    except BroadcastError as exc:
        _fail(exc)


@broadcast_app.command("test")
def test_command(broadcast_id: int, to: Annotated[str, typer.Argument(help="channel:id")]) -> None:
    """Send it marked [TEST] to one contact (yourself), not counted in the report."""
    channel, _, user_id = to.partition(":")
    try:
        with transaction(get_engine()) as session:
            message_id = compose.send_to_self(session, broadcast_id, channel, user_id)
        typer.echo(json.dumps({"message_id": message_id}))
    except BroadcastError as exc:
        _fail(exc)
