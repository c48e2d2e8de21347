"""Load the switch's configuration snapshot from the database."""

from __future__ import annotations

from ...domain.directory import Directory
from ...domain.model import AdaptiveNumber, Agent, Hotline, IvrTree, Queue
from ...store.uow import UnitOfWork
from .numbers import OPERATOR_SCOPE


def load_directory(uow: UnitOfWork) -> Directory:
    tenants = uow.tenants.all()
    tenant_ported = uow.ported.tenant_tables(OPERATOR_SCOPE)
    hotlines: list[Hotline] = []
    adaptive: list[AdaptiveNumber] = []
    agents: list[Agent] = []
    queues: list[Queue] = []
    trees: list[IvrTree] = []
    for tenant in tenants:
        queues += uow.queues.all(tenant.id)
        trees += uow.ivr_trees.all(tenant.id)
        hotlines += uow.hotlines.all(tenant.id)
        adaptive += uow.adaptive_numbers.all(tenant.id)
        agents += uow.agents.all(tenant.id)
    return Directory.build(tenants=tenants, agents=agents, trunks=uow.trunks.all(), hotlines=hotlines,
                           adaptive_numbers=adaptive, operator_ported=uow.ported.table(OPERATOR_SCOPE),
                           tenant_ported=tenant_ported, queues=queues, ivr_trees=trees)
