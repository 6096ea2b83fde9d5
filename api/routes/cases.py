"""Staff API for cases: `POST /api/cases/{reference}/status` changes a case's status and
notifies the citizen. Login: a staff session cookie or HTTP Basic (`api.auth`).
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from actions.cases import set_case_status
from actions.models import CASE_STATUSES
from actions.registry import ActionError
from api.auth import StaffDep
from api.deps import DbDep
from api.errors import ErrorBody
from bot.core.db import transaction

router = APIRouter()


class StatusChange(BaseModel):
    """The new status and an optional message for the citizen."""

    status: Literal[CASE_STATUSES]  # type: ignore[valid-type]
    message: str | None = Field(default=None, max_length=2000)


class CaseStatusOut(BaseModel):
    """The case after the change."""

    reference: str
    status: Literal[CASE_STATUSES]  # type: ignore[valid-type]


@router.post(
    "/api/cases/{reference}/status",
    response_model=CaseStatusOut,
    responses={404: {"model": ErrorBody}},
)
def change_status(reference: str, change: StatusChange, db: DbDep, user: StaffDep) -> CaseStatusOut:
    """Set the status, record the event, queue the notification: one transaction."""
    try:
        with transaction(db) as session:
            case = set_case_status(
                session, reference, change.status, change.message, actor=user.username
            )
    except ActionError as err:
        if err.code == "not_found":
            raise HTTPException(404, "Case not found.") from None
        raise HTTPException(422, f"The case cannot take this change ({err.code}).") from None
    return CaseStatusOut(reference=case.reference, status=case.status)
