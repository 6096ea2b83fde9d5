"""Admin API for the staff side: logins (add, disable, reset, teams) and ratings per team.

Role `admin` only. Accounts are created and changed with `bot.staff`'s functions, team
memberships with `bot.inbox.set_memberships`; every change is a small JSON call the
admin page (`static/admin.js`) makes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field
from sqlmodel import Session, select

from api.auth import require_role
from api.deps import EngineDep
from api.errors import ErrorBody
from bot.core.db import transaction
from bot.inbox import Invalid, access_for, set_memberships
from bot.ratings import TeamRatings, ratings_per_team
from bot.staff import ROLES, StaffError, StaffUser, add_user, find_user
from bot.staff_credentials import set_active, set_password
from bot.staff_tables import TeamMembership

router = APIRouter(
    prefix="/api/staff", tags=["staff admin"], responses={409: {"model": ErrorBody}}
)
AdminDep = Annotated[StaffUser, Depends(require_role("admin"))]
Role = Literal["staff", "communications", "admin"]


class UserOut(BaseModel):
    username: str
    roles: list[str]
    active: bool
    created_at: datetime
    teams: dict[str, str] = Field(description="team -> member or reader (memberships set here)")
    effective_teams: dict[str, str] = Field(description="with the teams file's members")


class UserCreate(BaseModel):
    username: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._-]+$")
    password: str = Field(min_length=10, max_length=200)
    roles: list[Role] = Field(default_factory=lambda: ["staff"], min_length=1)
    teams: dict[str, Literal["member", "reader"]] = Field(default_factory=dict)


class UserChange(BaseModel):
    active: bool | None = None
    password: str | None = Field(default=None, min_length=10, max_length=200)
    roles: list[Role] | None = Field(default=None, min_length=1)
    teams: dict[str, Literal["member", "reader"]] | None = None


def _view(session: Session, user: StaffUser, engine: Any) -> dict[str, Any]:
    own = {
        m.team: m.access
        for m in session.exec(select(TeamMembership).where(TeamMembership.user_id == user.id))
    }
    return {
        "username": user.username,
        "roles": user.roles.split(","),
        "active": user.active,
        "created_at": user.created_at,
        "teams": own,
        "effective_teams": access_for(session, user, engine.teams).teams,
    }


@router.get("/users", response_model=list[UserOut])
def list_users(admin: AdminDep, engine: EngineDep) -> list[dict[str, Any]]:
    """Every login with roles, state and teams."""
    with Session(engine.db) as session:
        users = session.exec(select(StaffUser).order_by(StaffUser.username)).all()
        return [_view(session, u, engine) for u in users]


@router.post("/users", status_code=201, response_model=UserOut)
def create_user(body: UserCreate, admin: AdminDep, engine: EngineDep) -> dict[str, Any]:
    """Add a login (409 if the name is taken)."""
    try:
        with transaction(engine.db) as session:
            if find_user(session, body.username) is not None:
                raise HTTPException(409, f"User {body.username.lower()!r} exists already.")
            user = add_user(session, body.username, body.password, list(body.roles))
            set_memberships(session, user, dict(body.teams), engine.teams)
            return _view(session, user, engine)
    except (StaffError, Invalid) as exc:
        raise HTTPException(422, str(exc)) from None


@router.patch("/users/{username}", response_model=UserOut)
def change_user(
    username: str, body: UserChange, admin: AdminDep, engine: EngineDep
) -> dict[str, Any]:
    """Disable or enable, reset the password, change roles or teams."""
    try:
        with transaction(engine.db) as session:
            user = find_user(session, username)
            if user is None:
                raise HTTPException(404, "No such user.")
            if body.active is not None:
                if user.username == admin.username and not body.active:
                    raise HTTPException(409, "You cannot disable your own login.")
                set_active(session, user, body.active)
            if body.password is not None:
                set_password(session, user, body.password)
            if body.roles is not None:
                user.roles = ",".join(r for r in ROLES if r in body.roles)
                session.add(user)
            if body.teams is not None:
                set_memberships(session, user, dict(body.teams), engine.teams)
            session.flush()
            return _view(session, user, engine)
    except (StaffError, Invalid) as exc:
        raise HTTPException(422, str(exc)) from None


@router.get("/ratings", response_model=list[TeamRatings])
def ratings(admin: AdminDep, engine: EngineDep) -> list[TeamRatings]:
    """Citizens' ratings of closed chats, per team."""
    with Session(engine.db) as session:
        return ratings_per_team(session, engine.teams)
