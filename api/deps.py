"""FastAPI dependencies as `Annotated` aliases, so routers stay thin.

They are `async` although they only read `app.state`: FastAPI runs a sync dependency
in the threadpool, a thread hand-over per request for an attribute lookup."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path
from sqlalchemy.engine import Engine as DbEngine
from starlette.requests import HTTPConnection

from bot.core.db import MAX_ID
from bot.core.settings import Settings
from bot.engine import Engine


async def _engine(request: HTTPConnection) -> Engine:
    return request.app.state.engine


async def _settings(request: HTTPConnection) -> Settings:
    return request.app.state.settings


async def _db(request: HTTPConnection) -> DbEngine:
    return request.app.state.engine.db


EngineDep = Annotated[Engine, Depends(_engine)]
SettingsDep = Annotated[Settings, Depends(_settings)]
DbDep = Annotated[DbEngine, Depends(_db)]

# A row id in a path: bounded, so 2^40 is a 422 and not a database overflow (500).
Id = Annotated[int, Path(ge=-MAX_ID, le=MAX_ID)]
