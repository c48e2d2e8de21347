"""Repositories: the only place that writes SQL. Every tenant-owned query goes through `scoped`."""

from __future__ import annotations

import builtins
import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Table, and_, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql import Select

from . import codecs
from . import tables as t

_ID = re.compile(r"^[a-z]{2,3}_[a-z0-9]{1,36}$")


class Conflict(Exception):
    """The database refused a write: a unique or reference constraint (e.g. a concurrent create)."""


class Unavailable(Exception):
    """The database could not be reached or could not write (stopped, locked, disk full): the same work
    may succeed later; nothing of it was committed."""


def scoped(stmt: Any, table: Table, tenant_id: str) -> Any:
    """Restrict a select/update/delete to one tenant's rows: the one tenancy helper."""
    return stmt.where(table.c.tenant_id == tenant_id)


def plausible_id(object_id: str) -> bool:
    return isinstance(object_id, str) and bool(_ID.match(object_id))


class Repository:
    """Plain CRUD over one table of objects, optionally owned by a tenant."""

    def __init__(self, conn: Connection, table: Table, codec: codecs.Codec, key: str = "id",
                 tenant_owned: bool = True, order_by: tuple[str, ...] = ("id",)):
        self.conn, self.table, self.codec, self.key = conn, table, codec, key
        self.tenant_owned = tenant_owned
        self.order_by = order_by

    def _select(self, tenant_id: str | None, what: Any = None) -> Select:
        stmt = select(what if what is not None else self.table)
        if self.tenant_owned:
            stmt = scoped(stmt, self.table, self._tenant(tenant_id))
        return stmt

    def _tenant(self, tenant_id: str | None) -> str:
        if tenant_id is None:
            raise ValueError(f"a query of {self.table.name} needs a tenant")
        return tenant_id

    def get(self, object_id: str, tenant_id: str | None = None) -> Any | None:
        if self.key == "id" and not plausible_id(object_id):
            return None
        row = self.conn.execute(
            self._select(tenant_id).where(self.table.c[self.key] == object_id)).first()
        return self.codec.from_row(row) if row is not None else None

    def existing(self, ids: Iterable[str], tenant_id: str | None = None) -> set[str]:
        ids = [i for i in set(ids) if i and plausible_id(i)]
        if not ids:
            return set()
        col = self.table.c[self.key]
        return set(self.conn.execute(self._select(tenant_id, col).where(col.in_(ids))).scalars())

    def names(self, ids: Iterable[str], tenant_id: str | None = None) -> dict[str, str]:
        """{id: name} of these objects (what a page of rows that refer to them shows), not of all of them."""
        ids = [i for i in set(ids) if i and plausible_id(i)]
        if not ids:
            return {}
        col = self.table.c[self.key]
        rows = self.conn.execute(self._select(tenant_id, col).add_columns(self.table.c.name).where(col.in_(ids)))
        return {r[0]: r[1] for r in rows}

    def list(self, tenant_id: str | None = None, *, filters: dict[str, Any] | None = None,
             limit: int = 50, offset: int = 0, name_contains: str | None = None) -> tuple[builtins.list[Any], int]:
        conditions = [self.table.c[k] == v for k, v in (filters or {}).items() if v is not None]
        if name_contains:
            conditions.append(self.table.c.name.contains(name_contains, autoescape=True))
        where = and_(True, *conditions)
        total = self.conn.execute(
            self._select(tenant_id, func.count()).select_from(self.table).where(where)).scalar_one()
        rows = self.conn.execute(
            self._select(tenant_id).where(where)
            .order_by(*(self.table.c[c] for c in self.order_by)).limit(limit).offset(offset))
        return [self.codec.from_row(r) for r in rows], total

    def all(self, tenant_id: str | None = None) -> builtins.list[Any]:
        rows = self.conn.execute(self._select(tenant_id).order_by(*(self.table.c[c] for c in self.order_by)))
        return [self.codec.from_row(r) for r in rows]

    def add(self, obj: Any, **extra: Any) -> None:
        self.conn.execute(insert(self.table).values(**self.codec.to_row(obj), **extra))

    def save(self, obj: Any) -> None:
        row = self.codec.to_row(obj)
        stmt = update(self.table).where(self.table.c[self.key] == row[self.key]).values(**row)
        if self.tenant_owned:
            stmt = scoped(stmt, self.table, row["tenant_id"])
        self.conn.execute(stmt)

    def remove(self, object_id: str, tenant_id: str | None = None) -> None:
        stmt = delete(self.table).where(self.table.c[self.key] == object_id)
        if self.tenant_owned:
            stmt = scoped(stmt, self.table, self._tenant(tenant_id))
        self.conn.execute(stmt)

    def where(self, tenant_id: str | None, /, **equals: Any) -> builtins.list[Any]:
        stmt = self._select(tenant_id)
        for k, v in equals.items():
            stmt = stmt.where(self.table.c[k] == v)
        return [self.codec.from_row(r) for r in self.conn.execute(stmt)]

    def count(self, tenant_id: str | None = None, /, **equals: Any) -> int:
        stmt = self._select(tenant_id, func.count()).select_from(self.table)
        for k, v in equals.items():
            stmt = stmt.where(self.table.c[k] == v)
        return self.conn.execute(stmt).scalar_one()


class InventoryRepository(Repository):
    def __init__(self, conn: Connection):
        super().__init__(conn, t.inventory, codecs.INVENTORY, key="number", tenant_owned=False,
                         order_by=("number",))

    def available(self, tenant_id: str, *, country: str | None = None, line_type: str | None = None,
                  limit: int = 50, offset: int = 0) -> tuple[builtins.list[Any], int]:
        """Free pool numbers plus the tenant's own unused numbers, optionally of one kind."""
        inv, hl = t.inventory, t.hotlines
        used = select(hl.c.number)
        where = and_(
            (inv.c.tenant_id.is_(None)) | (inv.c.tenant_id == tenant_id),
            inv.c.number.not_in(used),
            *([inv.c.country == country] if country else []),
            *([inv.c.line_type == line_type] if line_type else []),
        )
        total = self.conn.execute(select(func.count()).select_from(inv).where(where)).scalar_one()
        rows = self.conn.execute(select(inv).where(where).order_by(inv.c.number).limit(limit).offset(offset))
        return [self.codec.from_row(r) for r in rows], total

    def assign_if_available(self, number: str, tenant_id: str) -> bool:
        """Atomically take a free number for a tenant (or confirm it is already the tenant's)."""
        inv = t.inventory
        taken = self.conn.execute(
            update(inv).where(inv.c.number == number, inv.c.tenant_id.is_(None))
            .values(tenant_id=tenant_id, assigned_by="hotline")).rowcount
        if taken:
            return True
        return self.conn.execute(
            select(func.count()).select_from(inv).where(inv.c.number == number, inv.c.tenant_id == tenant_id)
        ).scalar_one() > 0


class HotlineRepository(Repository):
    def __init__(self, conn: Connection):
        super().__init__(conn, t.hotlines, codecs.HOTLINE, order_by=("created_at", "id"))

    def add(self, obj: Any, **extra: Any) -> None:
        """Raises Conflict when the number is taken meanwhile (the unit of work then rolls back)."""
        try:
            super().add(obj, **extra)
        except IntegrityError as exc:
            raise Conflict(str(exc.orig)) from None

    def number_taken(self, number: str) -> bool:
        return self.conn.execute(
            select(func.count()).select_from(t.hotlines).where(t.hotlines.c.number == number)).scalar_one() > 0

    def kinds(self, ids: Iterable[str], tenant_id: str) -> dict[str, str]:
        ids = [i for i in set(ids) if i and plausible_id(i)]
        if not ids:
            return {}
        rows = self.conn.execute(scoped(select(t.hotlines.c.id, t.hotlines.c.number_type), t.hotlines,
                                        tenant_id).where(t.hotlines.c.id.in_(ids)))
        return {r.id: r.number_type for r in rows}


class PortedRepository:
    def __init__(self, conn: Connection):
        self.conn = conn

    def replace(self, scope: str, rows: list[tuple[str, str]]) -> None:
        p = t.ported_numbers
        self.conn.execute(delete(p).where(p.c.scope == scope))
        if rows:
            self.conn.execute(insert(p), [{"scope": scope, "number": n, "carrier": c} for n, c in rows])

    def table(self, scope: str) -> dict[str, str]:
        p = t.ported_numbers
        return dict(self.conn.execute(select(p.c.number, p.c.carrier).where(p.c.scope == scope)).all())

    def tenant_tables(self, operator_scope: str) -> dict[str, dict[str, str]]:
        """Every tenant's own table: tenant -> number -> carrier."""
        p = t.ported_numbers
        tables: dict[str, dict[str, str]] = {}
        for row in self.conn.execute(select(p).where(p.c.scope != operator_scope)):
            tables.setdefault(row.scope, {})[row.number] = row.carrier
        return tables

    def count(self, scope: str) -> int:
        p = t.ported_numbers
        return self.conn.execute(select(func.count()).select_from(p).where(p.c.scope == scope)).scalar_one()


class UserRepository:
    """Portal users: a tenant's (scoped by `tenant_id`), or the operator's (`tenant_id` None)."""

    def __init__(self, conn: Connection):
        self.conn = conn

    def _scope(self, stmt: Any, tenant_id: str | None) -> Any:
        u = t.users
        return stmt.where(u.c.tenant_id == tenant_id) if tenant_id is not None else stmt.where(u.c.tenant_id.is_(None))

    def get(self, user_id: str, tenant_id: str | None) -> Any | None:
        if not plausible_id(user_id):
            return None
        row = self.conn.execute(self._scope(select(t.users), tenant_id).where(t.users.c.id == user_id)).first()
        return codecs.USER.from_row(row) if row is not None else None

    def any(self, user_id: str) -> Any | None:
        """The user whatever its tenant (for a session, which carries only the user's id)."""
        row = self.conn.execute(select(t.users).where(t.users.c.id == user_id)).first()
        return codecs.USER.from_row(row) if row is not None else None

    def by_email(self, email: str) -> Any | None:
        row = self.conn.execute(select(t.users).where(func.lower(t.users.c.email) == email.lower())).first()
        return codecs.USER.from_row(row) if row is not None else None

    def list(self, tenant_id: str | None, limit: int = 50, offset: int = 0) -> tuple[builtins.list[Any], int]:
        total = self.conn.execute(self._scope(select(func.count()).select_from(t.users), tenant_id)).scalar_one()
        rows = self.conn.execute(self._scope(select(t.users), tenant_id).order_by(t.users.c.email)
                                 .limit(limit).offset(offset))
        return [codecs.USER.from_row(r) for r in rows], total

    def add(self, user: Any, **extra: Any) -> None:
        self.conn.execute(insert(t.users).values(**codecs.USER.to_row(user), **extra))

    def save(self, user: Any) -> None:
        row = codecs.USER.to_row(user)
        self.conn.execute(update(t.users).where(t.users.c.id == user.id).values(**row))

    def remove(self, user_id: str) -> None:
        self.conn.execute(delete(t.users).where(t.users.c.id == user_id))

    def remove_for_tenant(self, tenant_id: str) -> None:
        self.conn.execute(scoped(delete(t.users), t.users, tenant_id))


class SessionRepository:
    """Portal sessions, by the SHA-256 of their token."""

    def __init__(self, conn: Connection):
        self.conn = conn

    def add(self, **row: Any) -> None:
        self.conn.execute(insert(t.portal_sessions).values(**row))

    def get(self, session_id: str) -> dict | None:
        row = self.conn.execute(select(t.portal_sessions).where(t.portal_sessions.c.id == session_id)).first()
        return dict(row._mapping) if row is not None else None

    def remove(self, session_id: str) -> None:
        self.conn.execute(delete(t.portal_sessions).where(t.portal_sessions.c.id == session_id))

    def remove_for_user(self, user_id: str) -> None:
        self.conn.execute(delete(t.portal_sessions).where(t.portal_sessions.c.user_id == user_id))

    def remove_expired(self, now: Any) -> None:
        self.conn.execute(delete(t.portal_sessions).where(t.portal_sessions.c.expires_at < now))


class ApiKeyRepository:
    def __init__(self, conn: Connection):
        self.conn = conn

    def add(self, **row: Any) -> None:
        self.conn.execute(insert(t.api_keys).values(**row))

    def get(self, key_id: str) -> dict | None:
        row = self.conn.execute(select(t.api_keys).where(t.api_keys.c.id == key_id)).first()
        return dict(row._mapping) if row is not None else None

    def remove_for_tenant(self, tenant_id: str) -> None:
        self.conn.execute(scoped(delete(t.api_keys), t.api_keys, tenant_id))

    def list(self, tenant_id: str | None) -> builtins.list[dict]:
        """The keys of a tenant (admin and agent keys), or with None the operator's keys; no secrets."""
        k = t.api_keys
        cols = [k.c.id, k.c.role, k.c.tenant_id, k.c.agent_id, k.c.created_at]
        where = k.c.tenant_id == tenant_id if tenant_id is not None else k.c.tenant_id.is_(None)
        return [dict(r._mapping) for r in self.conn.execute(select(*cols).where(where).order_by(k.c.created_at,
                                                                                                k.c.id))]

    def remove(self, key_id: str) -> None:
        self.conn.execute(delete(t.api_keys).where(t.api_keys.c.id == key_id))


class AudioRepository:
    def __init__(self, conn: Connection):
        self.conn = conn

    def add(self, **row: Any) -> None:
        self.conn.execute(insert(t.audio_files).values(**row))

    def get(self, audio_id: str, tenant_id: str) -> dict | None:
        if not plausible_id(audio_id):
            return None
        row = self.conn.execute(scoped(select(t.audio_files), t.audio_files, tenant_id)
                                .where(t.audio_files.c.id == audio_id)).first()
        return dict(row._mapping) if row is not None else None

    def list(self, tenant_id: str, limit: int, offset: int) -> tuple[builtins.list[dict], int]:
        a = t.audio_files
        cols = [a.c.id, a.c.name, a.c.duration_ms, a.c.created_at]
        total = self.conn.execute(scoped(select(func.count()).select_from(a), a, tenant_id)).scalar_one()
        rows = self.conn.execute(scoped(select(*cols), a, tenant_id).order_by(a.c.created_at, a.c.id)
                                 .limit(limit).offset(offset))
        return [dict(r._mapping) for r in rows], total

    def existing(self, ids: Iterable[str], tenant_id: str) -> set[str]:
        ids = [i for i in set(ids) if i and plausible_id(i)]
        if not ids:
            return set()
        a = t.audio_files
        return set(self.conn.execute(scoped(select(a.c.id), a, tenant_id).where(a.c.id.in_(ids))).scalars())

    def remove(self, audio_id: str, tenant_id: str) -> None:
        a = t.audio_files
        self.conn.execute(scoped(delete(a), a, tenant_id).where(a.c.id == audio_id))
