"""The `stadtbot` command line: serve, chat, database, demo data and the parts' tools."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from actions.cli import case_app, demo_lookups, qr_command, reminders_app
from bot.broadcasts.cli import broadcast_app
from bot.core.logs import configure_logging
from bot.core.settings import Settings, get_settings
from bot.rasa.cli import actions_app, rasa_app
from nlu.cli import nlu_app

app = typer.Typer(help="Stadtbot: the city's conversational front door.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
demo_app = typer.Typer(help="Demo city data.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(demo_app, name="demo")
telegram_app = typer.Typer(help="Telegram: webhook registration, polling.", no_args_is_help=True)
app.add_typer(telegram_app, name="telegram")
knowledge_app = typer.Typer(help="The city's knowledge pages.", no_args_is_help=True)
app.add_typer(knowledge_app, name="knowledge")
user_app = typer.Typer(help="Staff logins.", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(case_app, name="case")
app.add_typer(reminders_app, name="reminders")
app.command("qr")(qr_command)
app.add_typer(nlu_app, name="nlu")
app.add_typer(broadcast_app, name="broadcast")
app.add_typer(actions_app, name="actions")
app.add_typer(rasa_app, name="rasa")
demo_app.command("lookups")(demo_lookups)

DEMO_LOGINS = (
    ("staff", "ahaus-buergerbuero", ["staff"]),
    ("presse", "ahaus-kommunikation", ["communications"]),
)


@app.command()
def serve(
    host: str = typer.Option(None, help="Overrides HOST."),
    port: int = typer.Option(None, help="Overrides PORT."),
    migrate: bool = typer.Option(True, help="Apply database migrations first."),
) -> None:
    """Serve the API, web chat and webhooks (stops cleanly on Ctrl-C or SIGTERM)."""
    import signal

    import uvicorn

    from api.app import create_app, freeze_startup_heap
    from bot.migrate import upgrade

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    if migrate:
        upgrade(settings.database_url)
    application = create_app(settings)
    background = None
    if settings.is_sqlite:  # SQLite: in-process dispatcher and jobs; PostgreSQL: `stadtbot worker`
        background = _Background(application.state.engine.db, settings)
        application.state.dispatcher = background.dispatcher
    freeze_startup_heap()
    # uvicorn drains on SIGTERM, then restores this handler and raises the signal again:
    # the SystemExit lands here, so the in-process dispatcher still records its sends.
    signal.signal(signal.SIGTERM, _exit_cleanly)
    try:
        uvicorn.run(
            application,
            host=host or settings.host,
            port=port or settings.port,
            log_level=settings.log_level.lower(),
            log_config=None,  # ours (configure_logging): JSON lines, no client addresses
            **proxy_options(settings),
            access_log=False,  # api/request_log.py writes the access lines
            timeout_graceful_shutdown=10,
        )
    finally:
        if background is not None:
            background.stop()


def _exit_cleanly(_signum: int, _frame: object) -> None:
    """SIGTERM outside uvicorn's own handler (start-up, or re-raised after draining)."""
    raise SystemExit(0)


def proxy_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's options for X-Forwarded-For/-Proto: believed only from FORWARDED_ALLOW_IPS.

    uvicorn's own default believes any client on 127.0.0.1, so anyone with a shell on
    the machine could pick the address the login throttle counts. Empty: no proxy.
    """
    allowed = settings.forwarded_allow_ips.strip()
    return {"proxy_headers": bool(allowed), "forwarded_allow_ips": allowed or None}


class _Background:
    """The outbox dispatcher and the periodic jobs, running in threads of this process."""

    def __init__(self, db, settings) -> None:  # type: ignore[no-untyped-def]
        from bot.channels.registry import build_adapters
        from bot.dispatcher import Dispatcher
        from bot.scheduler import Scheduler

        self.dispatcher = Dispatcher(db, settings, build_adapters(settings, db))
        self.scheduler = Scheduler(db, settings)
        self.dispatcher.start()
        self.scheduler.start()

    def stop(self) -> None:
        self.scheduler.stop()
        self.dispatcher.stop()


@app.command()
def chat(
    user: str = typer.Option("local", help="Terminal user id (one conversation each)."),
) -> None:
    """Chat with the bot in the terminal, through the same engine as every channel."""
    from bot.core.messages import InboundMessage
    from bot.ingest import ingest
    from bot.migrate import upgrade
    from bot.runtime import build_engine

    settings = get_settings()
    upgrade(settings.database_url)
    engine = build_engine(settings)
    buttons: list = []
    typer.echo("Stadtbot – type a message, a button number, or Ctrl-D to quit.")
    while True:
        try:
            line = input("> ").strip()
        except (EOFError, KeyboardInterrupt):
            typer.echo("")
            return
        if not line:
            continue
        payload = None
        if line.isdigit() and 1 <= int(line) <= len(buttons):
            payload, line = buttons[int(line) - 1].payload, buttons[int(line) - 1].title
        handled = ingest(
            engine,
            InboundMessage(
                channel="terminal", sender_id=user, text=None if payload else line, payload=payload
            ),
        )
        buttons = []
        for sent in handled.replies:
            typer.echo(sent.reply.text)
            if sent.reply.image_url:
                typer.echo(f"  [image] {_site_link(sent.reply.image_url, settings)}")
            for button in sent.reply.buttons:
                buttons.append(button)
                typer.echo(f"  {len(buttons)}. {button.title}")


def _site_link(url: str, settings: Settings) -> str:
    """A reply's image as a link a terminal user can open: our own paths (the QR ticket)
    resolved against PUBLIC_BASE_URL, or the local server `stadtbot serve` would run."""
    if "://" in url:
        return url
    base = settings.public_base_url.rstrip("/") or f"http://{settings.host}:{settings.port}"
    return f"{base}/{url.lstrip('/')}"


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply all migrations to DATABASE_URL (safe to run again)."""
    from bot.migrate import upgrade

    settings = get_settings()
    upgrade(settings.database_url)
    typer.echo("database is up to date")


@demo_app.command("load")
def demo_load() -> None:
    """Load the demo city (boats, vouchers, shops, services, logins); idempotent."""
    from actions.demo import load_demo
    from bot.core.db import transaction
    from bot.migrate import upgrade

    settings = get_settings()
    upgrade(settings.database_url)
    with transaction() as session:
        counts = load_demo(session)
        counts["staff logins"] = _ensure_demo_logins(session)
    for name, count in counts.items():
        typer.echo(f"{name}: {count} new")
    typer.echo("Demo logins (demo data only; never use them in production):")
    for username, password, roles in DEMO_LOGINS:
        typer.echo(f"  {username} / {password}  ({', '.join(roles)})")


@knowledge_app.command("index")
def knowledge_index() -> None:
    """Check the pages in KNOWLEDGE_DIR and rebuild the index; running bots pick it up."""
    from bot.knowledge.pages import PageError
    from bot.runtime import knowledge_base

    settings = get_settings()
    try:
        kb = knowledge_base(settings)
        index = kb.build()
    except (PageError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    by_lang: dict[str, int] = {}
    for page in index.pages.values():
        by_lang[page.language] = by_lang.get(page.language, 0) + 1
    counts = ", ".join(f"{lang} {n}" for lang, n in sorted(by_lang.items()))
    typer.echo(f"indexed {len(index.pages)} pages ({counts}) from {kb.folder}")
    typer.echo(f"saved to {kb.index_path}" if kb.index_path else "not saved: no KNOWLEDGE_INDEX")


@knowledge_app.command("ask")
def knowledge_ask(
    question: str,
    lang: Annotated[str, typer.Option(help="The question's language.")] = "de",
    top: Annotated[int, typer.Option(help="How many passages to show.")] = 3,
) -> None:
    """What the bot would answer, and the passages it found with their scores."""
    from bot.runtime import knowledge_base

    kb = knowledge_base(get_settings())
    answer = kb.reply(question, None, lang)
    typer.echo(answer[0].text if answer else "(no answer above the threshold: the bot says so)")
    typer.echo("")
    for hit in kb.index.ranked(question, lang, k=top):
        mark = "" if hit.score >= kb.index.threshold else "  (below threshold)"
        typer.echo(f"{hit.score:.3f}  {hit.passage.page.id} §{hit.passage.index + 1}{mark}")


@app.command()
def worker() -> None:
    """Send the outbox through the channels (run any number, on any machine; SIGTERM-safe)."""
    import signal

    from bot.channels.registry import build_adapters
    from bot.core.db import make_engine
    from bot.dispatcher import Dispatcher
    from bot.scheduler import Scheduler

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    db = make_engine(settings.database_url)
    dispatcher = Dispatcher(db, settings, build_adapters(settings, db))
    scheduler = Scheduler(db, settings)
    scheduler.start()
    signal.signal(signal.SIGTERM, lambda *_: dispatcher.request_stop())
    try:
        dispatcher.run_forever()
    except KeyboardInterrupt:
        pass
    finally:
        scheduler.stop()
        dispatcher.stop()


@telegram_app.command("set-webhook")
def telegram_set_webhook() -> None:
    """Register PUBLIC_BASE_URL/webhooks/telegram with TELEGRAM_WEBHOOK_SECRET."""
    from bot.channels.telegram import TelegramAdapter
    from bot.core.db import make_engine

    settings = get_settings()
    if not settings.telegram_bot_token or not settings.public_base_url.startswith("https://"):
        raise typer.BadParameter("TELEGRAM_BOT_TOKEN and an https PUBLIC_BASE_URL are required")
    if not settings.telegram_webhook_secret:
        raise typer.BadParameter("TELEGRAM_WEBHOOK_SECRET is required (the webhook checks it)")
    adapter = TelegramAdapter(settings, make_engine(settings.database_url))
    url = settings.public_base_url.rstrip("/") + "/webhooks/telegram"
    try:
        adapter.set_webhook(url, settings.telegram_webhook_secret)
    finally:
        adapter.close()
    typer.echo(f"webhook set to {url}")


@telegram_app.command("poll")
def telegram_poll() -> None:
    """Long polling for local use without a public URL (removes the webhook first)."""
    from bot.channels.registry import build_adapters
    from bot.channels.telegram import TelegramAdapter, decode_update
    from bot.dispatcher import Dispatcher
    from bot.ingest import ingest
    from bot.migrate import upgrade
    from bot.runtime import build_engine

    settings = get_settings()
    configure_logging(settings.log_level, "text")
    upgrade(settings.database_url)
    engine = build_engine(settings)
    adapters = build_adapters(settings, engine.db)
    adapter = adapters.get("telegram")
    if not isinstance(adapter, TelegramAdapter):
        raise typer.BadParameter("TELEGRAM_BOT_TOKEN is not set")
    dispatcher = Dispatcher(engine.db, settings, adapters)
    dispatcher.start()
    adapter.delete_webhook()
    typer.echo("polling Telegram; Ctrl-C stops")
    offset = None
    try:
        while True:
            for update in adapter.get_updates(offset):
                offset = int(update["update_id"]) + 1
                decoded = decode_update(update, engine.db)
                if decoded.inbound is not None:
                    ingest(engine, decoded.inbound, dispatcher.wake)
                if decoded.callback_query_id:
                    adapter.answer_callback(decoded.callback_query_id)
    except KeyboardInterrupt:
        pass
    finally:
        dispatcher.stop()
    typer.echo("Demo logins (demo data only; never use them in production):")
    for username, password, roles in DEMO_LOGINS:
        typer.echo(f"  {username} / {password}  ({', '.join(roles)})")


def _ensure_demo_logins(session) -> int:  # type: ignore[no-untyped-def]
    from bot.staff import add_user, find_user

    created = 0
    for username, password, roles in DEMO_LOGINS:
        if find_user(session, username) is None:
            add_user(session, username, password, roles)
            created += 1
    return created


@user_app.command("add")
def user_add(
    username: str,
    role: list[str] = typer.Option(["staff"], help="staff, communications or admin; repeatable."),
    password: str = typer.Option(
        ..., prompt=True, hide_input=True, confirmation_prompt=True, envvar="STADTBOT_NEW_PASSWORD"
    ),
) -> None:
    """Create a staff login (the password is asked for, or read from STADTBOT_NEW_PASSWORD)."""
    from bot.core.db import transaction
    from bot.migrate import upgrade
    from bot.staff import StaffError, add_user

    upgrade(get_settings().database_url)
    try:
        with transaction() as session:
            add_user(session, username, password, role)
    except StaffError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"user {username.strip().lower()} created with roles {', '.join(role)}")


@user_app.command("token")
def user_token(
    username: str,
    revoke: bool = typer.Option(False, help="End every API token of the login instead."),
) -> None:
    """Print a new API token for a login (`Authorization: Bearer TOKEN`), or revoke them all."""
    from bot.core.db import transaction
    from bot.core.models import utcnow
    from bot.migrate import upgrade
    from bot.staff import find_user
    from bot.staff_credentials import new_token, revoke_tokens

    upgrade(get_settings().database_url)
    with transaction() as session:
        user = find_user(session, username)
        if user is None:
            typer.echo(f"error: no user {username.strip().lower()!r}", err=True)
            raise typer.Exit(2)
        if revoke:
            count = revoke_tokens(session, user, utcnow())
            typer.echo(f"{count} token(s) of {user.username} revoked")
            return
        token = new_token(session, user, utcnow())
    typer.echo(token)


@nlu_app.command()
def review(limit: Annotated[int, typer.Option(help="How many to list.")] = 50) -> None:
    """List the newest fallbacks (messages the bot did not understand), masked.

    Names, phone numbers, addresses and codes are masked (nlu/anonymize.py): the list
    is read to write new training data, which must hold no citizen's personal data.
    """
    from sqlmodel import Session

    from bot.core.db import get_engine
    from bot.core.fallbacks import list_fallbacks
    from nlu.anonymize import anonymize

    with Session(get_engine()) as session:
        rows = list_fallbacks(session, limit)
    if not rows:
        typer.echo("no fallbacks recorded")
        return
    for row in rows:
        guesses = ", ".join(f"{r['name']} {r['confidence']:.2f}" for r in row.ranking[:2])
        typer.echo(f"{row.created_at:%Y-%m-%d %H:%M} [{row.language or '?'}] "
                   f"contact={row.contact_id or '-'} {anonymize(row.text)!r} -> {guesses}")
