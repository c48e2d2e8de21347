"""Keeps the report rollups current in the background: every minute, the hours whose calls were written
since are counted again, a bounded batch per transaction, so a report rarely has more than the current
hour left to count, and the hours of a call log that existed before the rollups are counted after an
upgrade without any report waiting for them."""

from __future__ import annotations

import logging
import threading
from typing import Any

from ..store.uow import Unavailable, UnitOfWork

log = logging.getLogger("tongdai.reports")
BATCH = 48  # hours per transaction


class ReportRollup:
    def __init__(self, engine: Any, *, interval: float = 60.0):
        self.engine = engine
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def once(self) -> int:
        """Count every listed hour of every tenant; returns how many."""
        counted = 0
        while not self._stop.is_set():
            with UnitOfWork(self.engine) as uow:
                pending = uow.reports.pending(BATCH)
                if not pending:
                    return counted
                tenant = pending[0][0]
                hours = [hour for t, hour in pending if t == tenant]
                counted += uow.reports.refresh(tenant, min(hours), max(hours) + 1)
        return counted

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="report-rollup", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                counted = self.once()
                if counted:
                    log.debug("report rollups: %d hour(s) counted", counted)
            except Unavailable as exc:
                log.warning("report rollups not counted (the database is unavailable): %s", exc)
            except Exception:  # a bug here must not stop the rollups for good: logged, tried again next time
                log.exception("report rollups not counted")
            self._stop.wait(self.interval)
