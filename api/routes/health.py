"""Liveness, readiness and metrics for whoever runs Stadtbot."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from api.deps import DbDep, SettingsDep
from bot.core.models import utcnow
from bot.core.outbox_health import oldest_due_age_seconds

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
def metrics() -> Response:
    """Prometheus text format."""
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
