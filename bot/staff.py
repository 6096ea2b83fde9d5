"""Staff accounts: logins with hashed passwords and roles.

Roles: `staff` (citizens' office: inbox, cases), `communications` (broadcasts),
`admin` (everything). Passwords are hashed with Argon2id; the hash is all we keep.
"""

from __future__ import annotations

from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Field, Session, SQLModel, select

from bot.core.models import utcnow

ROLES = ("staff", "communications", "admin")
MIN_PASSWORD_LENGTH = 10
_hasher = PasswordHasher()
# Verifying against this keeps the time of an unknown login equal to a wrong password.
_DUMMY_HASH = _hasher.hash("no-such-user-placeholder")


class StaffUser(SQLModel, table=True):
    """A person of the city who logs in to the staff pages or the API."""

    __tablename__ = "staff_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=100, unique=True)
    password_hash: str = Field(max_length=200)
    roles: str = Field(default="staff", max_length=100)  # comma-separated
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)

    def has_role(self, role: str) -> bool:
        granted = set(self.roles.split(","))
        return role in granted or "admin" in granted


class StaffError(ValueError):
    """A staff account could not be created as asked (the message says why)."""


def add_user(session: Session, username: str, password: str, roles: list[str]) -> StaffUser:
    """Create a login; refuses unknown roles, short passwords and taken names."""
    username = username.strip().lower()
    if not username:
        raise StaffError("username must not be empty")
    unknown = [r for r in roles if r not in ROLES]
    if unknown or not roles:
        raise StaffError(f"roles must be among {', '.join(ROLES)}; got {', '.join(roles) or '-'}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise StaffError(f"password must have at least {MIN_PASSWORD_LENGTH} characters")
    if find_user(session, username) is not None:
        raise StaffError(f"user {username!r} exists already")
    user = StaffUser(username=username, password_hash=_hasher.hash(password), roles=",".join(roles))
    session.add(user)
    session.flush()
    return user


def find_user(session: Session, username: str) -> StaffUser | None:
    return session.exec(
        select(StaffUser).where(StaffUser.username == username.strip().lower())
    ).first()


def authenticate(session: Session, username: str, password: str) -> StaffUser | None:
    """The active user with this name and password, else None (in constant-ish time)."""
    user = find_user(session, username)
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    return user if user is not None and user.active else None


def set_password_hash(session: Session, user: StaffUser, password: str) -> None:
    """Store the hash of a new password (same length rule as for new logins).

    `bot.staff_credentials.set_password` is the one to call: it also ends the sessions.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise StaffError(f"password must have at least {MIN_PASSWORD_LENGTH} characters")
    user.password_hash = _hasher.hash(password)
    session.add(user)
