"""The call log: one row per call, written by one worker thread in event order, and the events that
go with it. Calls still open at start (torn down by a crash) are closed as `interrupted`."""

from __future__ import annotations

import logging
import queue
import threading
from datetime import datetime

from sqlalchemy import bindparam, insert, update

from ..domain.calls import CallRecord
from ..store import tables as t
from ..store.uow import UnitOfWork
from .batches import next_batch
from .events import EventBus

log = logging.getLogger("tongdai.calls")

COLUMNS = [c.name for c in t.calls.columns]
_UPDATE = update(t.calls).where(t.calls.c.id == bindparam("_id")).values(
    {name: bindparam(name) for name in COLUMNS if name != "id"})


def call_view(record: CallRecord) -> dict:
    """The public form of a call record (shallow: every field is a plain value)."""
    row = {name: getattr(record, name) for name in COLUMNS}
    row["caller_id_reasons"] = list(record.caller_id_reasons)
    row["agents_offered"] = list(record.agents_offered)
    return row


class CallLog:
    """Rows are written by one thread, in event order, several calls per transaction under load."""

    def __init__(self, engine, bus: EventBus, to_async=None):
        self.engine = engine
        self.bus = bus
        self.to_async = to_async  # the bridge's hop to the asyncio loop, where the bus lives
        self._pending: queue.SimpleQueue[dict | None] = queue.SimpleQueue()
        self._writer = threading.Thread(target=self._drain, name="call-log", daemon=True)
        self._writer.start()

    def handle(self, record: CallRecord, event: str) -> None:
        """From the SIP thread: hand the event to the asyncio loop when someone listens to the
        tenant's stream; persist the row in the background, in order, when the call starts (so a
        crash leaves it to be closed as interrupted) and when it ends."""
        listened = self.bus.has_subscribers(record.tenant_id)
        if not listened and event not in ("call.started", "call.ended", "call.wrap_up_ended"):
            return
        row = call_view(record)
        if listened:
            if self.to_async is None:
                self.bus.publish(record.tenant_id, event, row)
            else:
                self.to_async(self.bus.publish, record.tenant_id, event, row)
        if event == "call.started":
            self._pending.put({**row, "_new": True})
        elif event in ("call.ended", "call.wrap_up_ended"):
            self._pending.put(row)

    def _drain(self) -> None:
        while True:
            rows, stop = next_batch(self._pending, 500)
            if rows:
                self._write(rows)
            if stop:
                return

    def _write(self, rows: list[dict]) -> None:
        """One transaction per batch: calls that started in it are inserted (with their latest state),
        calls that only ended in it are updated; each with one executemany statement."""
        started = {row["id"] for row in rows if row["ended_at"] is None or row.get("_new")}
        latest: dict[str, dict] = {}
        for row in rows:  # within a batch the later event of a call wins
            latest[row["id"]] = {k: row[k] for k in COLUMNS}
        inserts = [v for k, v in latest.items() if k in started]
        updates = [{**v, "_id": k} for k, v in latest.items() if k not in started]
        try:
            with UnitOfWork(self.engine) as uow:
                if inserts:
                    uow.conn.execute(insert(t.calls), inserts)
                if updates:
                    uow.conn.execute(_UPDATE, updates)
        except Exception:
            log.exception("could not write %d call row(s)", len(latest))

    def close_interrupted(self, now: datetime) -> int:
        with UnitOfWork(self.engine) as uow:
            return uow.conn.execute(update(t.calls).where(t.calls.c.ended_at.is_(None)).values(
                ended_at=now, end_reason="interrupted", hung_up_by="system")).rowcount

    def close(self) -> None:
        """Write what is pending, then stop the writer."""
        self._pending.put(None)
        self._writer.join(timeout=30)
