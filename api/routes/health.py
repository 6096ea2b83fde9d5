"""Liveness, readiness and metrics for whoever runs Stadtbot."""

from __future__ import annotations

import logging
from datetime import datetime

from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from api.deps import DbDep, SettingsDep
from bot.core.metrics import LLM_MONTH_TOKENS, LLM_TOKEN_BUDGET, OUTBOX_AGE, OUTBOX_DEPTH
from bot.core.models import utcnow
from bot.core.outbox_health import depth as outbox_depth
from bot.core.outbox_health import oldest_due_age_seconds
from bot.llm import usage as llm_usage

log = logging.getLogger(__name__)
router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(db: DbDep, settings: SettingsDep, response: Response) -> dict[str, object]:
    """The database answers and the outbox is not stuck; 503 otherwise, so a load
    balancer and the monitoring hear of it (`outbox_age_seconds` says how late)."""

    def check() -> float:
        with db.connect() as conn:
            conn.execute(text("SELECT 1"))
            return oldest_due_age_seconds(conn, utcnow())

    try:
        age = await run_in_threadpool(check)
    except Exception as exc:  # any driver error means "not ready"
        response.status_code = 503
        return {"status": "unavailable", "detail": type(exc).__name__}
    limit = settings.outbox_ready_max_age_seconds
    if limit and age > limit:
        response.status_code = 503
        return {"status": "outbox_stuck", "outbox_age_seconds": round(age, 1)}
    return {"status": "ok", "outbox_age_seconds": round(age, 1)}


@router.get("/metrics", include_in_schema=False)
async def metrics(db: DbDep, settings: SettingsDep) -> Response:
    """Prometheus text format; the outbox and model-budget gauges are read from the
    database now."""

    def read_outbox() -> None:
        with db.connect() as conn:
            counts = outbox_depth(conn)
            age = oldest_due_age_seconds(conn, utcnow())
        OUTBOX_DEPTH.clear()
        for (channel, status), count in counts.items():
            OUTBOX_DEPTH.labels(channel, status).set(count)
        OUTBOX_AGE.set(age)
        if settings.llm_base_url:
            LLM_MONTH_TOKENS.set(llm_usage.used(db, llm_usage.month_of(datetime.now())))
            LLM_TOKEN_BUDGET.set(settings.llm_monthly_token_budget)

    try:
        await run_in_threadpool(read_outbox)
    except Exception:  # the database is down: /readyz says so; still serve the rest
        log.warning("metrics: outbox not readable")
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
