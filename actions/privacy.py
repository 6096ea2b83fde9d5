"""A citizen's requests about their own data: a copy to download, or erasure.

The chat flow `delete_my_data` calls these two actions after the citizen has chosen and
confirmed. Neither touches the citizen's data itself: `privacy.export_link` issues a
download link that works once, for a short time (the export is made when it is fetched,
so it is complete up to that moment); `privacy.request_erasure` records the request,
which the worker carries out (`bot/privacy_jobs.py`) once the confirmation has reached
the citizen — or, where the city wants a person to look first, after staff approve it.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Field, SQLModel, select

from actions.registry import ActionContext, ActionError, action
from bot.core.models import utcnow

EXPORT_VALID = timedelta(hours=1)


class DataExport(SQLModel, table=True):
    """A one-time download of everything stored about a contact."""

    __tablename__ = "privacy_export"

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)  # sha256 of the link's token
    expires_at: datetime
    downloaded_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class ErasureRequest(SQLModel, table=True):
    """A confirmed request to erase a contact: review → pending → done."""

    __tablename__ = "privacy_erasure"

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id", index=True)
    status: str = Field(default="pending", max_length=10)  # review / pending / done
    approved_by: str | None = Field(default=None, max_length=100)
    created_at: datetime = Field(default_factory=utcnow)
    done_at: datetime | None = None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@action("privacy.export_link", writes=True)
def export_link(ctx: ActionContext, params: dict[str, Any]) -> dict[str, Any]:
    """A fresh download link for the citizen's data, valid for an hour and for one
    download."""
    token = secrets.token_urlsafe(24)
    expires = ctx.now + EXPORT_VALID
    ctx.session.add(
        DataExport(contact_id=ctx.contact_id, token_hash=token_hash(token), expires_at=expires)
    )
    base = ctx.settings.public_base_url.rstrip("/")
    return {"url": f"{base}/privacy/export/{token}", "expires": expires.isoformat()}


@action("privacy.request_erasure", writes=True)
def request_erasure(ctx: ActionContext, params: dict[str, Any]) -> dict[str, Any]:
    """Record the confirmed erasure request; `review` says whether staff look first."""
    open_request = ctx.session.exec(
        select(ErasureRequest).where(
            ErasureRequest.contact_id == ctx.contact_id,
            ErasureRequest.status != "done",  # type: ignore[arg-type]
        )
    ).first()
    if open_request is not None:
        raise ActionError("already_requested", review=open_request.status == "review")
    review = ctx.settings.privacy_erasure_review
    ctx.session.add(
        ErasureRequest(contact_id=ctx.contact_id, status="review" if review else "pending")
    )
    return {"review": review}
