"""The store against real SQLite and PostgreSQL: migrations match the schema, failures roll back."""

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.exc import IntegrityError

from tongdai.app.services import groups, hotlines, operator, queues
from tongdai.domain.errors import RuleViolation
from tongdai.store.repositories import Conflict
from tongdai.store.tables import metadata
from tongdai.store.uow import UnitOfWork

NOW = datetime(2026, 11, 25, tzinfo=UTC)


def test_migrations_produce_exactly_the_declared_schema(engine):
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def _tenant(engine):
    with UnitOfWork(engine) as uow:
        trunk = operator.create_trunk(uow, data={"name": "T", "host": "127.0.0.1"})
        operator.add_inventory_number(uow, data={"number": "0981000001", "country": "VN", "line_type": "mobile",
                                                 "carrier": None, "trunk_id": trunk.id})
        tenant, _ = operator.create_tenant(uow, name="Shop", sip_domain=None, now=NOW)
        q = queues.create_queue(uow, tenant_id=tenant.id, data={"name": "Q"})
    return tenant.id, q.id


def test_a_failure_inside_a_unit_of_work_leaves_nothing_behind(engine):
    tenant_id, queue_id = _tenant(engine)
    with pytest.raises(RuleViolation):
        with UnitOfWork(engine) as uow:
            groups.create_group(uow, tenant_id=tenant_id, data={"name": "Sales"})
            hotlines.create_hotline(uow, tenant_id=tenant_id, now=NOW, data={
                "number_type": "carrier", "country": "VN", "line_type": "mobile", "name": "x",
                "queue_id": queue_id, "wrap_up_seconds": -1})
    with UnitOfWork(engine) as uow:
        assert uow.groups.count(tenant_id) == 0
        assert uow.hotlines.count(tenant_id) == 0
        assert uow.inventory.get("+84981000001").tenant_id is None


def test_the_inventory_number_is_assigned_only_with_its_hotline(engine):
    tenant_id, queue_id = _tenant(engine)
    with UnitOfWork(engine) as uow:
        h = hotlines.create_hotline(uow, tenant_id=tenant_id, now=NOW, data={
            "number_type": "carrier", "country": "VN", "line_type": "mobile", "name": "x", "queue_id": queue_id})
    with UnitOfWork(engine) as uow:
        assert uow.inventory.get(h.number).tenant_id == tenant_id
        assert uow.hotlines.get(h.id, tenant_id).carrier == "viettel"


def test_the_database_itself_refuses_a_dangling_queue_reference(engine):
    """Services check references first; the foreign keys are the backstop."""
    tenant_id, queue_id = _tenant(engine)
    with UnitOfWork(engine) as uow:
        hotlines.create_hotline(uow, tenant_id=tenant_id, now=NOW, data={
            "number_type": "carrier", "country": "VN", "line_type": "mobile", "name": "x", "queue_id": queue_id})
    with pytest.raises(IntegrityError):
        with UnitOfWork(engine) as uow:
            uow.queues.remove(queue_id, tenant_id)


def test_the_database_itself_keeps_hotline_numbers_unique(engine):
    tenant_id, queue_id = _tenant(engine)
    with UnitOfWork(engine) as uow:
        h = hotlines.create_hotline(uow, tenant_id=tenant_id, now=NOW, data={
            "number_type": "virtual", "country": "VN", "line_type": "local", "number": "02838259999",
            "name": "x", "queue_id": queue_id})
    with pytest.raises(Conflict):  # the store names the IntegrityError the database raised
        with UnitOfWork(engine) as uow:
            import dataclasses
            uow.hotlines.add(dataclasses.replace(h, id="hl_copy00000000"), created_at=NOW)
