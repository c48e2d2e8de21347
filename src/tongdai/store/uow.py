"""The unit of work: one transaction, the repositories inside it; commits only when the block succeeds.

It notes which tables the transaction wrote. When configuration tables were among them it raises the
configuration version in the same transaction (other processes watch it) and, after the commit, tells
`on_commit` (the running switch of this process) which tables changed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.sql.dml import UpdateBase

from . import codecs
from . import tables as t
from .recordings import RecordingRepository
from .records import (
    AgentStateRepository,
    CallRepository,
    ConfigVersion,
    RegistrationRepository,
    WebhookRepository,
)
from .reports import ReportRepository
from .repositories import (
    ApiKeyRepository,
    AudioRepository,
    HotlineRepository,
    InventoryRepository,
    PortedRepository,
    Repository,
    SessionRepository,
    Unavailable,
    UserRepository,
)

OnCommit = Callable[[frozenset[str]], None]


def unavailable(exc: BaseException) -> bool:
    """Whether a database error says "not now" (connection refused or lost, locked, disk full) rather
    than "never" (a constraint, a bad value)."""
    return isinstance(exc, (OperationalError, InterfaceError)) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated)


class UnitOfWork:
    def __init__(self, engine: Engine, on_commit: OnCommit | None = None):
        self.engine = engine
        self.on_commit = on_commit
        self.written: set[str] = set()

    def _note_write(self, _conn: Any, clause: Any, *_args: Any) -> None:
        if isinstance(clause, UpdateBase):
            self.written.add(str(getattr(clause.table, "name", "")))

    def __enter__(self) -> UnitOfWork:
        try:
            self.conn = self.engine.connect()
            self._tx = self.conn.begin()
        except DBAPIError as exc:
            if unavailable(exc):
                raise Unavailable(str(exc.orig or exc)) from exc
            raise
        self.written = set()
        event.listen(self.conn, "after_execute", self._note_write)
        c = self.conn
        self.tenants = Repository(c, t.tenants, codecs.TENANT, tenant_owned=False)
        self.trunks = Repository(c, t.trunks, codecs.TRUNK, tenant_owned=False)
        self.inventory = InventoryRepository(c)
        self.groups = Repository(c, t.groups, codecs.GROUP, order_by=("name", "id"))
        self.hotlines = HotlineRepository(c)
        self.adaptive_numbers = Repository(c, t.adaptive_numbers, codecs.ADAPTIVE, order_by=("name", "id"))
        self.agents = Repository(c, t.agents, codecs.AGENT, order_by=("name", "id"))
        self.queues = Repository(c, t.queues, codecs.QUEUE, order_by=("name", "id"))
        self.ivr_trees = Repository(c, t.ivr_trees, codecs.IVR_TREE, order_by=("name", "id"))
        self.audio = AudioRepository(c)
        self.api_keys = ApiKeyRepository(c)
        self.users = UserRepository(c)
        self.sessions = SessionRepository(c)
        self.ported = PortedRepository(c)
        self.calls = CallRepository(c)
        self.recordings = RecordingRepository(c)
        self.reports = ReportRepository(c)
        self.agent_states = AgentStateRepository(c)
        self.registrations = RegistrationRepository(c)
        self.webhooks = WebhookRepository(c)
        self.config_version = ConfigVersion(c)
        return self

    def calls_exist(self, tenant_id: str) -> bool:
        return self.calls.exist(tenant_id)

    def webhooks_exist(self, tenant_id: str) -> bool:
        return self.webhooks.exist(tenant_id)

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        """Commit or roll back; a database that is unreachable, locked or full surfaces as `Unavailable`
        (whether it failed inside the block or at the commit), so callers can retry or answer 503."""
        changed: frozenset[str] = frozenset()
        try:
            if exc_type is None:
                changed = frozenset(self.written & t.CONFIGURATION)
                if changed:
                    self.config_version.bump()
                self._tx.commit()
            else:
                self._tx.rollback()
        except DBAPIError as failure:
            if unavailable(failure):
                raise Unavailable(str(failure.orig or failure)) from failure
            raise
        finally:
            event.remove(self.conn, "after_execute", self._note_write)
            with contextlib.suppress(DBAPIError):  # a connection the server dropped: nothing left to close
                self.conn.close()
        if exc is not None and isinstance(exc, DBAPIError) and unavailable(exc):
            raise Unavailable(str(exc.orig or exc)) from exc
        if changed and self.on_commit is not None:
            self.on_commit(changed)
