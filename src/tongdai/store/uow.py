"""The unit of work: one transaction, the repositories inside it; commits only when the block succeeds."""

from __future__ import annotations

from sqlalchemy import Engine

from . import codecs, tables as t
from .repositories import (
    ApiKeyRepository, AudioRepository, HotlineRepository, InventoryRepository, PortedRepository, Repository,
)


class UnitOfWork:
    def __init__(self, engine: Engine):
        self.engine = engine

    def __enter__(self) -> "UnitOfWork":
        self.conn = self.engine.connect()
        self._tx = self.conn.begin()
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
        return self

    def calls_exist(self, tenant_id: str) -> bool:
        from sqlalchemy import select
        return self.conn.execute(select(t.calls.c.id).where(t.calls.c.tenant_id == tenant_id).limit(1)).first() is not None

    def webhooks_exist(self, tenant_id: str) -> bool:
        from sqlalchemy import select
        return self.conn.execute(select(t.webhooks.c.id).where(t.webhooks.c.tenant_id == tenant_id)
                                 .limit(1)).first() is not None

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None:
                self._tx.commit()
            else:
                self._tx.rollback()
        finally:
            self.conn.close()
