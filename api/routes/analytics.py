"""The city's analytics: a staff page with charts, its CSV and a JSON API (aggregates only)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel
from sqlalchemy.engine import Engine as DbEngine
from sqlmodel import Session

from api.auth import StaffDep, current_staff
from api.deps import DbDep, SettingsDep
from bot.analytics import Report, build_report, daily_csv_rows
from bot.core.models import utcnow
from bot.core.settings import Settings

router = APIRouter(tags=["analytics"])
templates = Jinja2Templates(directory=Path(__file__).resolve().parent.parent / "templates")
Days = Annotated[int, Query(ge=1, le=366, description="The last N days, today included.")]


class AnalyticsPublic(BaseModel):
    """The period's aggregates; no field names a person."""

    start: str
    end: str
    inbound: int
    outbound: int
    per_day: dict[str, dict[str, int]]
    top_intents: list[list[str | int]]  # [intent, count]
    fallback_rate: float
    containment_rate: float
    conversations: int
    handed_to_staff: int
    wait_median_minutes: float | None
    wait_p90_minutes: float | None
    # Pairs as lists: Schemathesis cannot check the `prefixItems` a tuple's schema has.
    ratings: dict[str, list[float]]  # team -> [average, count]


def _report(db: DbEngine, settings: Settings, days: int) -> Report:
    today = utcnow().astimezone(settings.tz).date()
    with Session(db) as session:
        return build_report(session, today - timedelta(days=days - 1), today + timedelta(days=1),
                            settings.tz)


@router.get("/api/staff/analytics", response_model=AnalyticsPublic)
def analytics_api(
    _user: StaffDep, db: DbDep, settings: SettingsDep, days: Days = 30
) -> AnalyticsPublic:
    """Messages per day and channel, top intents, containment and fallback rates, waits
    for staff and ratings per team, over the last `days` days."""
    report = _report(db, settings, days)
    return AnalyticsPublic(
        start=report.start.isoformat(), end=report.end.isoformat(), inbound=report.inbound,
        outbound=report.outbound,
        per_day={d.isoformat(): counts for d, counts in report.per_day.items()},
        top_intents=report.top_intents, fallback_rate=round(report.fallback_rate, 4),
        containment_rate=round(report.containment_rate, 4), conversations=report.conversations,
        handed_to_staff=report.handed_to_staff, wait_median_minutes=report.wait_median_minutes,
        wait_p90_minutes=report.wait_p90_minutes, ratings=report.ratings,
    )


@router.get("/staff/analytics.csv", include_in_schema=False)
def analytics_csv(_user: StaffDep, db: DbDep, settings: SettingsDep, days: Days = 30) -> Response:
    out = io.StringIO()
    csv.writer(out).writerows(daily_csv_rows(_report(db, settings, days)))
    return Response(
        out.getvalue(), media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="stadtbot-{days}-tage.csv"'},
    )


@router.get("/staff/analytics", response_class=HTMLResponse, include_in_schema=False)
def analytics_page(request: Request, db: DbDep, settings: SettingsDep, days: Days = 30) -> Response:
    user = current_staff(request)
    if user is None:
        return RedirectResponse("/login?next=/staff/analytics", status_code=303)
    if not user.has_role("staff"):
        raise HTTPException(403, "This needs the role 'staff'.")
    report = _report(db, settings, days)
    peak = max((sum(c.values()) for c in report.per_day.values()), default=0) or 1
    totals = {day: sum(counts.values()) for day, counts in report.per_day.items()}
    bars = [
        {"day": day, "total": total, "height": round(100 * total / peak)}
        for day, total in totals.items()
    ]
    return templates.TemplateResponse(
        request, "analytics.html",
        {"user": user, "report": report, "bars": bars, "days": days},
    )
