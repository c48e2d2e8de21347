"""The call log: one row per call, written by one worker thread in event order, and the events that
go with it. Calls still open at start (torn down by a crash) are closed as `interrupted`."""

from __future__ import annotations

import dataclasses
import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from sqlalchemy import insert, update

from ..domain.calls import CallRecord
from ..store import tables as t
from ..store.uow import UnitOfWork
from .events import EventBus

log = logging.getLogger("tongdai.calls")

COLUMNS = [c.name for c in t.calls.columns]


def call_view(record: CallRecord) -> dict:
    row = dataclasses.asdict(record)
    row.pop("events", None)
    row["caller_id_reasons"] = list(record.caller_id_reasons)
    return row


class CallLog:
    def __init__(self, engine, bus: EventBus):
        self.engine = engine
        self.bus = bus
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="call-log")

    def handle(self, record: CallRecord, event: str) -> None:
        """On the asyncio loop: publish the event now, persist in the background (in order)."""
        row = call_view(record)
        self.bus.publish(record.tenant_id, event, row)
        self._writer.submit(self._write, row)

    def _write(self, row: dict) -> None:
        values = {k: v for k, v in row.items() if k in COLUMNS}
        try:
            with UnitOfWork(self.engine) as uow:
                done = uow.conn.execute(update(t.calls).where(t.calls.c.id == row["id"]).values(**values)).rowcount
                if not done:
                    uow.conn.execute(insert(t.calls).values(**values))
        except Exception:
            log.exception("could not write call %s", row.get("id"))

    def close_interrupted(self, now: datetime) -> int:
        with UnitOfWork(self.engine) as uow:
            return uow.conn.execute(update(t.calls).where(t.calls.c.ended_at.is_(None)).values(
                ended_at=now, end_reason="interrupted", hung_up_by="system")).rowcount

    def flush(self) -> None:
        self._writer.submit(lambda: None).result(timeout=10)

    def close(self) -> None:
        self._writer.shutdown(wait=True)
