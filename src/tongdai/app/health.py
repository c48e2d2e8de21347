"""What `/health` says: whether the database answers, whether the SIP engine answers its own liveness
probe, what the SIP socket counted, and how far behind the writers are. Not ready (503) when the
database, the running switch's SIP engine or rtpengine does not answer, or while the writers hold rows
the database refused."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..store.uow import UnitOfWork
from .batches import BatchWriter


class Health:
    def __init__(self, engine: Any, *, sip: Callable[[], dict[str, Any]] | None = None,
                 wire: Callable[[], dict[str, int]] | None = None, writers: tuple[BatchWriter, ...] = (),
                 media: Callable[[], bool] | None = None):
        self.engine = engine
        self.sip = sip  # the liveness probe's view, when a switch runs here
        self.wire = wire  # the SIP socket's counters
        self.writers = writers
        self.media = media  # whether rtpengine answers a ping

    def database_answers(self) -> bool:
        try:
            with UnitOfWork(self.engine) as uow:
                uow.config_version.current()
            return True
        except Exception:
            return False

    def check(self) -> tuple[bool, dict[str, Any]]:
        """(ready, the report)."""
        database = self.database_answers()
        report: dict[str, Any] = {"database": "ok" if database else "unreachable"}
        ready = database
        if self.sip is not None:
            sip = {**self.sip(), **(self.wire() if self.wire is not None else {})}
            report["sip"] = sip
            ready = ready and sip.get("answering") is not False
        if self.media is not None:
            media = self.media()
            report["rtpengine"] = "ok" if media else "unreachable"
            ready = ready and media
        if any(w.held for w in self.writers):  # it answers reads but refuses writes (locked, disk full)
            report["database"] = "not_writing" if database else report["database"]
            ready = False
        if self.writers:
            report["writers"] = {w.name: {"backlog": w.backlog(), "spooled_bytes": w.spooled_bytes(), "lost": w.lost}
                                 for w in self.writers}
        return ready, report
