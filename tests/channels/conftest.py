"""Channel test stack: the real app on a real socket, fake providers, a dispatcher.

The NLU is the shared keyword table (tests/support.py): these tests are about transport,
delivery and bookkeeping, and stay fast and independent of the trained model.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlmodel import Session, select

from api.app import create_app
from bot.channels.registry import build_adapters
from bot.core.models import Outbox
from bot.core.settings import Settings
from bot.dispatcher import Dispatcher
from bot.engine import Engine
from tests.fakes.graph import create_fake_graph
from tests.fakes.server import Recorder, ServerThread
from tests.fakes.telegram import create_fake_telegram
from tests.fakes.twilio import create_fake_twilio
from tests.support import keyword_engine

TOKEN = "123456:TEST-token"
SECRET = "webhook-secret-0123"
TWILIO_SID = "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"
TWILIO_TOKEN = "twilio-auth-token"
APP_SECRET = "meta-app-secret"
VERIFY_TOKEN = "verify-me"
PHONE_ID = "106540352242922"

@dataclass
class Stack:
    """Everything one channel test talks to."""

    url: str  # our app
    settings: Settings
    engine: Engine
    dispatcher: Dispatcher
    telegram: Recorder
    twilio: Recorder
    graph: Recorder
    http: httpx.Client

    def rows(self) -> list[Outbox]:
        with Session(self.engine.db) as session:
            return list(session.exec(select(Outbox).order_by(Outbox.id)).all())


def fake_settings(url: str, settings_for, fakes: dict[str, str], **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "telegram_bot_token": TOKEN,
        "telegram_webhook_secret": SECRET,
        "telegram_api_base_url": fakes["telegram"],
        "telegram_chat_burst": 20,
        "twilio_account_sid": TWILIO_SID,
        "twilio_auth_token": TWILIO_TOKEN,
        "twilio_whatsapp_from": "+14155238886",
        "twilio_api_base_url": fakes["twilio"],
        "whatsapp_token": "graph-token",
        "whatsapp_phone_number_id": PHONE_ID,
        "whatsapp_app_secret": APP_SECRET,
        "whatsapp_verify_token": VERIFY_TOKEN,
        "whatsapp_api_base_url": fakes["graph"] + "/v21.0",
        "dispatch_backoff_seconds": 0.05,
        "dispatch_poll_seconds": 0.05,
        **overrides,
    }
    return settings_for(url, **values)


@pytest.fixture
def fakes() -> Iterator[dict[str, Any]]:
    """The three fake providers, each with its recorder."""
    recorders = {"telegram": Recorder(), "twilio": Recorder(), "graph": Recorder()}
    servers = [
        ServerThread(create_fake_telegram(recorders["telegram"], TOKEN)).start(),
        ServerThread(create_fake_twilio(recorders["twilio"], TWILIO_SID)).start(),
        ServerThread(create_fake_graph(recorders["graph"], PHONE_ID)).start(),
    ]
    urls = dict(zip(("telegram", "twilio", "graph"), (s.url for s in servers), strict=True))
    yield {"urls": urls, **recorders}
    for server in servers:
        server.stop()


def build_stack(url: str, settings_for, fakes: dict[str, Any], **overrides: Any) -> Iterator[Stack]:
    app_server_placeholder = overrides.pop("public_base_url", None)
    settings = fake_settings(url, settings_for, fakes["urls"], **overrides)
    engine = keyword_engine(settings)
    app = create_app(settings, engine)
    server = ServerThread(app).start()
    settings = settings.model_copy(update={"public_base_url": app_server_placeholder or server.url})
    app.state.settings = settings
    engine.settings = settings
    dispatcher = Dispatcher(engine.db, settings, build_adapters(settings, engine.db))
    app.state.dispatcher = dispatcher
    dispatcher.start()
    http = httpx.Client(base_url=server.url, timeout=10)
    try:
        yield Stack(
            server.url,
            settings,
            engine,
            dispatcher,
            fakes["telegram"],
            fakes["twilio"],
            fakes["graph"],
            http,
        )
    finally:
        http.close()
        dispatcher.stop()
        server.stop()
        engine.db.dispose()


@pytest.fixture
def stack(sqlite_url: str, settings_for, fakes) -> Iterator[Stack]:
    """App + dispatcher on SQLite against the fake providers."""
    yield from build_stack(sqlite_url, settings_for, fakes)


@pytest.fixture
def any_stack(db_url: str, settings_for, fakes) -> Iterator[Stack]:
    """The same stack on SQLite and on PostgreSQL."""
    yield from build_stack(db_url, settings_for, fakes)
