"""Shared FastAPI dependencies (minimal version from the actions branch; the integrator
owns this module and may replace it).

- `get_session`: one database transaction per request, committed at the end.
- `require_staff`: `Authorization: Bearer <token>` checked in constant time against
  the SHA-256 hex digests in `STAFF_API_TOKENS` (comma-separated); no token configured
  means every staff request is refused. Returns the actor name recorded in case events.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, HTTPException, status
from sqlmodel import Session

from bot.db import transaction
from bot.settings import Settings, get_settings


def get_session() -> Iterator[Session]:
    """A session whose work commits when the request succeeds."""
    with transaction() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def _token_digests() -> list[str]:
    raw = os.environ.get("STAFF_API_TOKENS", "")
    return [d.strip().lower() for d in raw.split(",") if d.strip()]


def require_staff(authorization: Annotated[str | None, Header()] = None) -> str:
    """The staff actor for a valid bearer token; 401 otherwise."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() == "bearer" and token:
        digest = hashlib.sha256(token.strip().encode()).hexdigest()
        matched = False
        for known in _token_digests():
            matched |= hmac.compare_digest(digest, known)
        if matched:
            return "staff-api"
    raise HTTPException(
        status.HTTP_401_UNAUTHORIZED, "staff token required", headers={"WWW-Authenticate": "Bearer"}
    )


StaffDep = Annotated[str, Depends(require_staff)]
