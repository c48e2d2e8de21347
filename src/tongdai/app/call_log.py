"""The call log: one row per call, written by one worker thread in event order, and the events that
go with it. Calls still open at start (torn down by a crash) are closed as `interrupted`."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from ..domain.calls import CallRecord
from ..logs import call_fields
from ..store.uow import UnitOfWork
from . import notifier
from .batches import BatchWriter, Spool
from .events import EventBus

log = logging.getLogger("tongdai.calls")

PERSISTED = ("call.started", "call.recording", "call.ended", "call.wrap_up_ended")
LOGGED = ("call.started", "call.answered", "call.ended")  # one INFO line each
INTERNAL = ("call.recording",)  # persisted, not published: the recording's own event is recording.ready


class CallLog:
    """Rows are written by one thread, in event order, several calls per transaction under load; `gather`
    seconds between transactions let the rows pile up (serve sets `TONGDAI_WRITE_BATCH_MS`)."""

    def __init__(self, engine: Any, bus: EventBus, to_async: Callable[..., None] | None = None,
                 spool: Spool | None = None, gather: float = 0.0,
                 recordings_written: Callable[[], None] = lambda: None,
                 on_event: Callable[[CallRecord, str], None] = lambda record, event: None):
        self.engine = engine
        self.on_event = on_event  # every event of every call (the metrics count them)
        self.recordings_written = recordings_written  # the recordings worker looks at once
        self.bus = bus
        self.to_async = to_async  # the bridge's hop to the asyncio loop, where the bus lives
        self.writer = BatchWriter("call-log", self._write, limit=500, spool=spool, gather=gather,
                                  describe=lambda row: f"call row {row['id']}")

    def start(self) -> None:
        self.writer.start()

    def handle(self, record: CallRecord, event: str) -> None:
        """From the SIP thread: hand the event to the asyncio loop when someone listens to the
        tenant's stream; persist the row in the background, in order, when the call starts (so a
        crash leaves it to be closed as interrupted) and when it ends."""
        self.on_event(record, event)
        if event in LOGGED:
            log.info("call %s %s: call=%s tenant=%s agent=%s %s", event[5:], record.direction, record.id,
                     record.tenant_id, record.agent_id or "-", _summary(record, event),
                     extra=call_fields(record.id, record.tenant_id, record.agent_id))
        listened = event not in INTERNAL and self.bus.has_subscribers(record.tenant_id)
        if not listened and event not in PERSISTED:
            return
        row = notifier.call_view(record)
        if listened:
            message = notifier.call_progress(record, event, row)
            if self.to_async is None:
                self.bus.publish(message.tenant_id, message.type, message.data)
            else:
                self.to_async(self.bus.publish, message.tenant_id, message.type, message.data)
        if record.recording is not None:  # its recording's row is written with the call's
            row = {**row, "_recording": recording_row(record)}
        if event == "call.started":
            self.writer.put({**row, "_new": True})
        elif event in PERSISTED:
            self.writer.put(row)

    def _write(self, rows: list[dict]) -> None:
        """One transaction: each call's latest state in it, updated where the call has a row and
        inserted where it has none (a new call, or one whose start the database did not take), so a
        batch replayed from the spool writes nothing twice."""
        latest: dict[str, dict] = {}
        for row in rows:  # within a batch the later event of a call wins
            latest[row["id"]] = {k: v for k, v in row.items() if k != "_new"}
        recordings = [row.pop("_recording") for row in latest.values() if "_recording" in row]
        with UnitOfWork(self.engine) as uow:
            uow.calls.upsert([{**v, "_id": k} for k, v in latest.items()])
            uow.recordings.started(recordings)
        if recordings:
            self.recordings_written()

    def close_interrupted(self, now: datetime) -> int:
        """Calls a crash left open are closed; their recordings are converted from what rtpengine wrote."""
        with UnitOfWork(self.engine) as uow:
            uow.recordings.close_interrupted()
            return uow.calls.close_interrupted(now)

    def close(self) -> None:
        """Write what is pending, then stop the writer."""
        self.writer.stop()


def recording_row(record: CallRecord) -> dict[str, Any]:
    """The recording of a recorded call, as the recordings table keeps it."""
    start = record.recording
    assert start is not None
    return {"id": start.id, "tenant_id": record.tenant_id, "call_id": record.id, "agent_id": record.agent_id,
            "hotline_id": record.hotline_id, "recorded_by": start.recorded_by, "media_call_id": start.media_call_id,
            "customer_ports": list(start.customer_ports), "started_at": start.started_at,
            "ended_at": record.ended_at}


def _summary(record: CallRecord, event: str) -> str:
    if event == "call.started":
        return f"hotline={record.hotline_number or '-'} customer={record.customer_number or '-'}"
    if event == "call.answered":
        return f"queue={record.queue_id or '-'}"
    return (f"reason={record.end_reason} by={record.hung_up_by or '-'} status={record.sip_status or '-'} "
            f"talk={record.talk_seconds if record.talk_seconds is not None else '-'}s")
