"""The FastAPI application factory: one app per settings object."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles

from api.chat_limits import ChatLimits
from api.errors import ErrorGuard, validation_error
from api.input_guard import InputGuard
from api.limits import BodySizeLimit
from api.openapi import install as install_openapi
from api.request_log import RequestLog
from api.routes import (
    analytics,
    broadcasts,
    cases,
    chat,
    health,
    knowledge,
    login,
    merchant,
    nlu,
    privacy,
    qr,
    staff,
    staff_admin,
    staff_pages,
    webhooks,
)
from api.security_headers import SecurityHeaders
from api.turns import TurnRunner
from bot.core.keystore import stored_secret
from bot.core.settings import Settings, get_settings
from bot.engine import Engine
from bot.runtime import build_engine

STATIC_DIR = Path(__file__).resolve().parent / "static"


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    """Build the app; the engine (and its NLU model) is ready before the first request."""
    settings = settings or get_settings()
    engine = engine or build_engine(settings)
    if not settings.secret_key:
        key = stored_secret(engine.db, "secret_key")  # none set: generated once, kept
        settings = settings.model_copy(update={"secret_key": key})

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        app.state.turns.close()
        engine.db.dispose()

    app = FastAPI(
        title="Stadtbot",
        description="The city's conversational front door: web chat, webhooks, NLU, staff.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.chat_limits = ChatLimits(settings)
    app.state.turns = TurnRunner(engine)
    # Outermost last: RequestLog > SecurityHeaders > ErrorGuard > BodySizeLimit >
    # InputGuard > routes.
    app.add_middleware(InputGuard)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_request_bytes)
    app.add_middleware(ErrorGuard)
    app.add_middleware(SecurityHeaders, settings=settings)
    app.add_middleware(RequestLog)  # outermost: ids and access lines for every answer
    app.add_exception_handler(RequestValidationError, validation_error)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    routers = (
        health, chat, nlu, login, staff, staff_pages, staff_admin, analytics, webhooks, qr,
        merchant, cases, broadcasts, privacy, knowledge,
    )
    for module in routers:
        app.include_router(module.router)
    install_openapi(app)

    return app


def freeze_startup_heap() -> None:
    """Keep what start-up built out of the garbage collector's full passes; called once
    by the server before it serves (`stadtbot serve`, benchmarks/chat_http.py).

    The app, its NLU model and the dialogue are about 250,000 objects that live as long
    as the process; a full collection walks all of them, 140 ms of CPU with every
    request in flight waiting (measured: BENCHMARKS.md, issue 16). `gc.freeze` moves
    them to a generation that is never scanned; start-up's garbage is collected first.
    """
    gc.collect()
    gc.freeze()
