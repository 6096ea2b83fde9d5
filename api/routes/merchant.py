"""The shop's page `GET /m/{merchant_token}`: today's voucher redemptions for the till.

The token is the shop's only key (unguessable, printed for the shop owner); an unknown
token is a plain 404. Voucher codes are masked: the till needs the amount and the
transaction id, not the citizen's code.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlmodel import select

from actions.models import Merchant, Voucher, VoucherTransaction
from api.deps import DbDep, SettingsDep
from bot.core.db import transaction

router = APIRouter()
templates = Jinja2Templates(directory=Path(__file__).resolve().parent.parent / "templates")


def mask(code: str) -> str:
    """`AHS-7K2M-9QXD` → `AHS-****-9QXD`."""
    return f"{code[:4]}****{code[8:]}"


@router.get("/m/{merchant_token}", response_class=HTMLResponse, responses={404: {}})
def merchant_page(
    request: Request, merchant_token: str, db: DbDep, settings: SettingsDep
) -> HTMLResponse:
    """Today's redemptions at this shop, newest first, with the day's total."""
    today = datetime.now(settings.tz).date()
    start = datetime.combine(today, time(0), tzinfo=settings.tz).astimezone(UTC)
    with transaction(db) as session:
        merchant = session.exec(
            select(Merchant).where(Merchant.merchant_token == merchant_token)
        ).first()
        if merchant is None:
            raise HTTPException(404, "unknown shop")
        rows = session.exec(
            select(VoucherTransaction, Voucher.code)
            .join(Voucher, Voucher.id == VoucherTransaction.voucher_id)  # type: ignore[arg-type]
            .where(
                VoucherTransaction.merchant_id == merchant.id,
                VoucherTransaction.kind == "redeem",
                VoucherTransaction.created_at >= start,
                VoucherTransaction.created_at < start + timedelta(days=1),
            )
            .order_by(VoucherTransaction.created_at.desc())  # type: ignore[attr-defined]
        ).all()
    lines = [
        {
            "time": t.created_at.astimezone(settings.tz).strftime("%H:%M"),
            "id": t.public_id,
            "code": mask(code),
            "amount": t.amount_cents,
        }
        for t, code in rows
    ]
    return templates.TemplateResponse(
        request,
        "merchant_today.html",
        {
            "merchant": merchant,
            "day": today,
            "lines": lines,
            "total": sum(line["amount"] for line in lines),
        },
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )
