"""The unit of work: one transaction, the repositories inside it; commits only when the block succeeds.

It notes which tables the transaction wrote. When configuration tables were among them it raises the
configuration version in the same transaction (other processes watch it) and, after the commit, tells
`on_commit` (the running switch of this process) which tables changed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.sql.dml import UpdateBase

from . import codecs
from . import tables as t
from .records import (
    AgentStateRepository,
    CallRepository,
    ConfigVersion,
    RegistrationRepository,
    WebhookRepository,
)
from .repositories import (
    ApiKeyRepository,
    AudioRepository,
    HotlineRepository,
    InventoryRepository,
    PortedRepository,
    Repository,
)

OnCommit = Callable[[frozenset[str]], None]


class UnitOfWork:
    def __init__(self, engine: Engine, on_commit: OnCommit | None = None):
        self.engine = engine
        self.on_commit = on_commit
        self.written: set[str] = set()

    def _note_write(self, _conn: Any, clause: Any, *_args: Any) -> None:
        if isinstance(clause, UpdateBase):
            self.written.add(str(getattr(clause.table, "name", "")))

    def __enter__(self) -> UnitOfWork:
        self.conn = self.engine.connect()
        self._tx = self.conn.begin()
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
        self.ported = PortedRepository(c)
        self.calls = CallRepository(c)
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
        changed: frozenset[str] = frozenset()
        try:
            if exc_type is None:
                changed = frozenset(self.written & t.CONFIGURATION)
                if changed:
                    self.config_version.bump()
                self._tx.commit()
            else:
                self._tx.rollback()
        finally:
            event.remove(self.conn, "after_execute", self._note_write)
            self.conn.close()
        if changed and self.on_commit is not None:
            self.on_commit(changed)
