"""The writers of the running switch lose nothing but the row that cannot be written, on SQLite and
PostgreSQL: a batch that fails is written again row by row."""

from __future__ import annotations

import shutil
import sqlite3
import time
from datetime import UTC, datetime

from tongdai.app.batches import Spool
from tongdai.app.call_log import CallLog
from tongdai.app.events import EventBus
from tongdai.app.live_records import AgentStateWriter
from tongdai.app.services import agents, operator
from tongdai.domain.acd import StatusChanged
from tongdai.domain.calls import OUTBOUND, CallRecord
from tongdai.store.db import make_engine
from tongdai.store.uow import UnitOfWork

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def _tenant_with_agents(engine, *names: str) -> tuple[str, list[str]]:
    with UnitOfWork(engine) as uow:
        tenant, _ = operator.create_tenant(uow, name="Shop", sip_domain=None, now=NOW)
        ids = [agents.create_agent(uow, tenant_id=tenant.id, data={
            "name": n, "sip_username": n, "sip_password": "s3cret-pass", "extension": str(101 + i)}).id
            for i, n in enumerate(names)]
    return tenant.id, ids


def test_deleting_a_busy_agent_loses_only_its_own_state_change(engine):
    tenant_id, (an, binh) = _tenant_with_agents(engine, "an", "binh")
    with UnitOfWork(engine) as uow:  # An is on a call when the admin deletes it
        agents.delete_agent(uow, tenant_id=tenant_id, agent_id=an)
    writer = AgentStateWriter(engine)
    writer.changed(tenant_id, binh, StatusChanged(binh, "offline", "available", None), NOW)
    writer.changed(tenant_id, an, StatusChanged(an, "on_call", "available", None), NOW)  # its call ended
    writer.changed(tenant_id, binh, StatusChanged(binh, "available", "ringing", None), NOW)
    writer.start()  # everything queued so far is one batch, and that batch fails
    writer.stop()
    assert writer.writer.lost == 1
    with UnitOfWork(engine) as uow:
        assert uow.agent_states.get(binh, tenant_id)["state"] == "ringing"
        assert [h["new"] for h in uow.agent_states.history(binh, tenant_id, 10, 0)] in (
            ["available", "ringing"], ["ringing", "available"])  # same instant: either order
        assert uow.agent_states.get(an, tenant_id) is None


def test_a_call_row_that_cannot_be_written_does_not_take_the_others_with_it(engine):
    tenant_id, (an,) = _tenant_with_agents(engine, "an")
    log = CallLog(engine, EventBus())
    good = [CallRecord(id=f"ca_good{i}", tenant_id=tenant_id, direction=OUTBOUND, started_at=NOW, agent_id=an)
            for i in range(3)]
    orphan = CallRecord(id="ca_orphan", tenant_id="te_gone", direction=OUTBOUND, started_at=NOW)  # no such tenant
    for record in (good[0], orphan, good[1], good[2]):
        log.handle(record, "call.started")
    good[0].end(NOW, status=None, reason="completed", by="agent")
    log.handle(good[0], "call.ended")
    log.start()  # everything queued so far is one batch, and that batch fails
    log.close()
    assert log.writer.lost == 1
    with UnitOfWork(engine) as uow:
        stored = {c["id"]: c for c in uow.calls.list(tenant_id, equals={}, since=None, until=None, limit=10,
                                                       offset=0)[0]}
    assert set(stored) == {"ca_good0", "ca_good1", "ca_good2"}
    assert stored["ca_good0"]["end_reason"] == "completed"


def test_a_calls_end_is_kept_even_when_its_start_was_never_written(engine):
    tenant_id, (an,) = _tenant_with_agents(engine, "an")
    log = CallLog(engine, EventBus())
    record = CallRecord(id="ca_nostart", tenant_id=tenant_id, direction=OUTBOUND, started_at=NOW, agent_id=an)
    record.end(NOW, status=None, reason="completed", by="agent")
    log.handle(record, "call.ended")  # the start row was lost (say, the database was down then)
    log.start()
    log.close()
    with UnitOfWork(engine) as uow:
        row = uow.calls.get("ca_nostart", tenant_id)
    assert row is not None and row["end_reason"] == "completed" and log.writer.lost == 0


def _locked(path):
    """Another process's connection holding SQLite's write lock (as a long backup or a stuck tool would)."""
    holder = sqlite3.connect(path, timeout=0, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    return holder


def _wait(predicate, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _sqlite_engine(tmp_path, sqlite_template):
    path = tmp_path / "tongdai.db"
    shutil.copy(sqlite_template, path)
    return path, make_engine(f"sqlite:///{path}")


def test_rows_refused_by_a_locked_database_are_held_and_written_once_it_frees(tmp_path, sqlite_template):
    path, engine = _sqlite_engine(tmp_path, sqlite_template)
    tenant_id, (an,) = _tenant_with_agents(engine, "an")
    spool = Spool(tmp_path / "spool" / "call-log.jsonl", 1 << 20)
    log = CallLog(engine, EventBus(), spool=spool)
    log.start()
    holder = _locked(path)
    records = [CallRecord(id=f"ca_locked{i}", tenant_id=tenant_id, direction=OUTBOUND, started_at=NOW,
                          agent_id=an) for i in range(3)]
    for record in records:
        log.handle(record, "call.started")
    _wait(lambda: len(log.writer.held) == 3)
    assert spool.size() > 0  # on disk too, in case the process stops before the database is back
    records[0].end(NOW, status=None, reason="completed", by="agent")
    log.handle(records[0], "call.ended")  # arrives while the others are held: written after them
    holder.rollback()
    holder.close()
    _wait(lambda: log.writer.backlog() == 0)
    log.close()
    with UnitOfWork(engine) as uow:
        rows = {r.id: uow.calls.get(r.id, tenant_id) for r in records}
    assert all(rows.values()) and rows["ca_locked0"]["end_reason"] == "completed"
    assert log.writer.lost == 0 and spool.size() == 0


def test_rows_spooled_when_the_switch_stops_during_an_outage_are_written_at_the_next_start(
        tmp_path, sqlite_template):
    path, engine = _sqlite_engine(tmp_path, sqlite_template)
    tenant_id, (an,) = _tenant_with_agents(engine, "an")
    spool_path = tmp_path / "spool" / "call-log.jsonl"
    log = CallLog(engine, EventBus(), spool=Spool(spool_path, 1 << 20))
    log.start()
    holder = _locked(path)
    record = CallRecord(id="ca_spooled", tenant_id=tenant_id, direction=OUTBOUND, started_at=NOW, agent_id=an)
    log.handle(record, "call.started")
    record.end(NOW, status=None, reason="completed", by="customer")
    log.handle(record, "call.ended")
    log.close()  # the database is still locked: the rows stay in the spool
    assert spool_path.exists() and log.writer.lost == 0
    holder.rollback()
    holder.close()
    again = CallLog(engine, EventBus(), spool=Spool(spool_path, 1 << 20))
    again.start()  # replays the spool before anything else
    again.close()
    with UnitOfWork(engine) as uow:
        row = uow.calls.get("ca_spooled", tenant_id)
    assert row is not None and row["end_reason"] == "completed"
    assert not spool_path.exists()


def test_a_spooled_batch_written_twice_leaves_one_row_each(engine, tmp_path):
    """A crash between the commit and emptying the spool replays rows the database already has."""
    tenant_id, (an,) = _tenant_with_agents(engine, "an")
    writer = AgentStateWriter(engine, spool=Spool(tmp_path / "states.jsonl", 1 << 20))
    writer.changed(tenant_id, an, StatusChanged(an, "offline", "available", None), NOW)
    item = writer.writer._pending.get()
    writer.writer.spool.append([item])
    writer.writer.write([item])  # committed, but the spool was not emptied
    writer.start()
    writer.stop()
    with UnitOfWork(engine) as uow:
        assert [h["new"] for h in uow.agent_states.history(an, tenant_id, 10, 0)] == ["available"]
    assert writer.writer.lost == 0
