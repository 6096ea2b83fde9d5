"""What proves a staff login: page sessions, API tokens, and the guess limit on passwords.

Sessions and tokens are random strings the server keeps only as SHA-256 hashes (a copy
of the database lets nobody log in); both are rows, so they can end: logout deletes the
session, disabling a login or changing its password deletes all its sessions (a token
still works after a password change, since scripts hold it, but not for a disabled
login), `revoke_tokens` ends the API tokens. A session lasts 12 hours from login.

Password guesses are counted in the database (`bot.core.throttle`) per address, per
login name and city-wide, before the password is checked: while locked, the right
password is refused too. API tokens are counted per address and city-wide the same way.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlmodel import Field, Session, SQLModel, select

from bot.core import throttle
from bot.core.models import utcnow
from bot.staff import StaffUser, authenticate, set_password_hash

SESSION_LIFETIME = timedelta(hours=12)
TOKEN_PREFIX = "sbt_"
LOGIN_TRIES_PER_ADDRESS = 10
LOGIN_TRIES_PER_NAME = 10
LOGIN_TRIES_CITY_WIDE = 200
TOKEN_TRIES_PER_ADDRESS = 20
TOKEN_TRIES_CITY_WIDE = 500


class StaffSession(SQLModel, table=True):
    """A logged-in browser: the hash of its cookie's random id."""

    __tablename__ = "staff_session"

    id_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="staff_user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime


class StaffToken(SQLModel, table=True):
    """An API token of one login (`stadtbot user token NAME`), sent as Bearer."""

    __tablename__ = "staff_token"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="staff_user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    revoked_at: datetime | None = None


@dataclass(frozen=True)
class Refused:
    """Too many tries: wait this many seconds."""

    retry_after: int


def digest(secret: str) -> str:
    """The SHA-256 hex digest under which a session id or token is stored."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def log_in(
    session: Session, username: str, password: str, address: str, now: datetime
) -> StaffUser | Refused | None:
    """The user for these credentials, `Refused` while throttled, or None when wrong."""
    limits = [
        throttle.Limit(f"login-ip:{address}", LOGIN_TRIES_PER_ADDRESS),
        throttle.Limit(f"login-user:{username.strip().lower()[:100]}", LOGIN_TRIES_PER_NAME),
        throttle.Limit("login-global", LOGIN_TRIES_CITY_WIDE),
    ]
    retry_after = throttle.charge(session, limits, now)
    if retry_after is not None:
        return Refused(retry_after)
    user = authenticate(session, username, password)
    if user is not None:
        throttle.refund(session, limits)
    return user


def start_session(session: Session, user: StaffUser, now: datetime) -> str:
    """A new session for `user`; returns the cookie value (kept only hashed)."""
    cookie = secrets.token_urlsafe(32)
    session.add(
        StaffSession(
            id_hash=digest(cookie),
            user_id=user.id,  # type: ignore[arg-type]
            created_at=now,
            expires_at=now + SESSION_LIFETIME,
        )
    )
    return cookie


def session_user(session: Session, cookie: str, now: datetime) -> StaffUser | None:
    """The active login of an unexpired session, or None (forged, ended or old cookie)."""
    row = session.get(StaffSession, digest(cookie))
    if row is None or row.expires_at <= now:
        return None
    user = session.get(StaffUser, row.user_id)
    return user if user is not None and user.active else None


def end_session(session: Session, cookie: str) -> None:
    """Logout: the cookie's session is gone for good."""
    session.execute(delete(StaffSession).where(StaffSession.id_hash == digest(cookie)))  # type: ignore[arg-type]


def end_sessions(session: Session, user: StaffUser) -> None:
    """Every session of `user` ends (disabled, password changed)."""
    session.execute(delete(StaffSession).where(StaffSession.user_id == user.id))  # type: ignore[arg-type]


def prune_sessions(session: Session, now: datetime, _settings: object = None) -> int:
    """Delete expired sessions (a periodic job); returns how many."""
    result = session.execute(delete(StaffSession).where(StaffSession.expires_at <= now))  # type: ignore[arg-type]
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def set_active(session: Session, user: StaffUser, active: bool) -> None:
    """Disable (or enable again) a login; disabling ends its sessions, tokens stop working."""
    user.active = active
    session.add(user)
    if not active:
        end_sessions(session, user)


def set_password(session: Session, user: StaffUser, password: str) -> None:
    """Reset a login's password (same length rule as for new logins); ends its sessions."""
    set_password_hash(session, user, password)
    end_sessions(session, user)


def new_token(session: Session, user: StaffUser, now: datetime) -> str:
    """A new API token for `user`, shown once; only its hash is stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(StaffToken(token_hash=digest(token), user_id=user.id, created_at=now))  # type: ignore[arg-type]
    return token


def revoke_tokens(session: Session, user: StaffUser, now: datetime) -> int:
    """End every API token of `user`; returns how many were still valid."""
    result = session.execute(
        update(StaffToken)
        .where(StaffToken.user_id == user.id, StaffToken.revoked_at.is_(None))  # type: ignore[arg-type, union-attr]
        .values(revoked_at=now)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def token_user(
    session: Session, token: str, address: str, now: datetime
) -> StaffUser | Refused | None:
    """The active login of a valid token, `Refused` while throttled, or None."""
    limits = [
        throttle.Limit(f"token-ip:{address}", TOKEN_TRIES_PER_ADDRESS),
        throttle.Limit("token-global", TOKEN_TRIES_CITY_WIDE),
    ]
    retry_after = throttle.charge(session, limits, now)
    if retry_after is not None:
        return Refused(retry_after)
    row = session.exec(
        select(StaffToken).where(
            StaffToken.token_hash == digest(token),
            StaffToken.revoked_at.is_(None),  # type: ignore[union-attr]
        )
    ).first()
    user = session.get(StaffUser, row.user_id) if row is not None else None
    if user is None or not user.active:
        return None
    throttle.refund(session, limits)
    return user
