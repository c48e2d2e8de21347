"""Portal users and their sessions: sign-in by email and password (argon2), server-side sessions whose
cookie carries a random token (only its SHA-256 is stored), a CSRF token per session, an admin's password
reset (which ends the user's sessions)."""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ...domain.errors import Forbidden, NotFound, RuleViolation, Violation, collect
from ...domain.model import User
from ...domain.rules import validate_user
from ...store.uow import UnitOfWork
from ..ids import new_id
from ..security import hash_secret, verify_secret
from .common import get_or_404, taken

SESSION_HOURS = 12  # a session lasts a working day; then the user signs in again
_DUMMY_HASH = hash_secret("not a password of anyone")  # compared against for unknown emails: same cost


@dataclass(frozen=True)
class Session:
    user: User
    csrf: str
    expires_at: datetime


def _session_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def session_key(token: str) -> str:
    """What other parts of tongdai may remember a session by (never the cookie's token itself)."""
    return _session_id(token)


def _check(uow: UnitOfWork, user: User, password: str | None) -> None:
    agents = frozenset(uow.agents.existing([user.agent_id], user.tenant_id)) \
        if user.agent_id and user.tenant_id else frozenset()
    collect(validate_user(user, agents, password))
    same = uow.users.by_email(user.email)
    if same is not None and same.id != user.id:
        raise taken("email", "this email")


def create_user(uow: UnitOfWork, *, tenant_id: str | None, data: dict[str, Any], now: datetime) -> User:
    """A portal user of `tenant_id` (None: the operator's) with the password given."""
    password = data.get("password") or ""
    user = User(id=new_id("user"), tenant_id=tenant_id, email=(data.get("email") or "").strip().lower(),
                name=(data.get("name") or "").strip(), role=data.get("role") or "",
                agent_id=data.get("agent_id") or None, language=data.get("language") or "vi")
    _check(uow, user, password)
    uow.users.add(dataclasses.replace(user, password_hash=hash_secret(password)), created_at=now)
    return user


def update_user(uow: UnitOfWork, *, tenant_id: str | None, user_id: str, changes: dict[str, Any]) -> User:
    user = get_or_404(uow.users, "user", user_id, tenant_id)
    allowed = {k: v for k, v in changes.items() if k in ("name", "role", "agent_id", "language")}
    if "agent_id" in allowed:
        allowed["agent_id"] = allowed["agent_id"] or None
    updated = dataclasses.replace(user, **allowed)
    _check(uow, updated, None)
    uow.users.save(updated)
    return updated


def reset_password(uow: UnitOfWork, *, tenant_id: str | None, user_id: str, password: str) -> User:
    """An admin sets a user's new password: every session of the user ends."""
    user = get_or_404(uow.users, "user", user_id, tenant_id)
    _check(uow, user, password)
    uow.users.save(dataclasses.replace(user, password_hash=hash_secret(password)))
    uow.sessions.remove_for_user(user.id)
    return user


def delete_user(uow: UnitOfWork, *, tenant_id: str | None, user_id: str, acting: str) -> None:
    user = get_or_404(uow.users, "user", user_id, tenant_id)
    if user.id == acting:
        raise RuleViolation(Violation("user", "invalid_value", "you cannot delete your own user"))
    uow.users.remove(user.id)


def set_language(uow: UnitOfWork, *, user_id: str, language: str) -> None:
    user = uow.users.any(user_id)
    if user is None:
        raise NotFound("user", user_id)
    updated = dataclasses.replace(user, language=language)
    collect([v for v in validate_user(updated, frozenset({user.agent_id or ""}), None) if v.field == "language"])
    uow.users.save(updated)


# -- sessions -------------------------------------------------------------------------------------------

def sign_in(uow: UnitOfWork, *, email: str, password: str, now: datetime) -> tuple[str, Session]:
    """A new session for the user with this email and password: (the cookie's token, the session).
    Forbidden, with one message whatever was wrong, otherwise."""
    user = uow.users.by_email(email.strip()) if email else None
    if not verify_secret(password[:200], user.password_hash if user is not None else _DUMMY_HASH) or user is None:
        raise Forbidden("wrong email or password")
    token = secrets.token_urlsafe(32)
    session = Session(user, secrets.token_urlsafe(24), now + timedelta(hours=SESSION_HOURS))
    uow.sessions.remove_expired(now)
    uow.sessions.add(id=_session_id(token), user_id=user.id, csrf=session.csrf, created_at=now,
                     expires_at=session.expires_at)
    return token, session


def session(uow: UnitOfWork, *, token: str, now: datetime) -> Session | None:
    """The live session of a cookie's token, or None (unknown, expired, or its user gone)."""
    if not token or len(token) > 100:
        return None
    row = uow.sessions.get(_session_id(token))
    if row is None or row["expires_at"] <= now:
        return None
    user = uow.users.any(row["user_id"])
    return Session(user, row["csrf"], row["expires_at"]) if user is not None else None


def sign_out(uow: UnitOfWork, *, token: str) -> None:
    uow.sessions.remove(_session_id(token))


def first_admin(uow: UnitOfWork, *, tenant_id: str, email: str, now: datetime) -> tuple[User, str]:
    """The first admin of a new tenant, with a generated password (shown once)."""
    password = "td-" + secrets.token_urlsafe(12)
    user = create_user(uow, tenant_id=tenant_id, now=now, data={
        "email": email, "name": "Admin", "role": "admin", "password": password})
    return user, password


def require_tenant_user(user: User) -> str:
    if user.tenant_id is None:
        raise Forbidden("this page is a tenant's")
    return user.tenant_id


def user_view(user: User) -> dict[str, Any]:
    return {"id": user.id, "email": user.email, "name": user.name, "role": user.role, "agent_id": user.agent_id,
            "language": user.language}
