"""Writer threads take work in batches: wait for one item, then take what else is already queued; one
transaction per batch, and when a batch fails, item by item, so one bad row loses only itself."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger("tongdai.writers")


def next_batch(pending: queue.SimpleQueue, limit: int) -> tuple[list, bool]:
    """Up to `limit` items, blocking for the first; and whether the stop marker (None) was among them."""
    batch = [pending.get()]
    while len(batch) < limit:
        try:
            batch.append(pending.get_nowait())
        except queue.Empty:
            break
    return [item for item in batch if item is not None], None in batch


class BatchWriter:
    """One thread that writes queued items with `write(items)` (one transaction per call). When a
    batch fails, each item is written alone; an item that still fails is logged and counted in
    `lost`, and every other item is kept. `gather` seconds between batches let items pile up."""

    def __init__(self, name: str, write: Callable[[list[Any]], None], *, limit: int = 500, gather: float = 0.0,
                 describe: Callable[[Any], str] = repr):
        self.name = name
        self.write = write
        self.limit = limit
        self.gather = gather
        self.describe = describe
        self.lost = 0
        self._pending: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._drain, name=self.name, daemon=True)
        self._thread.start()

    def put(self, item: Any) -> None:
        self._pending.put(item)

    def backlog(self) -> int:
        """Items queued and not yet written."""
        return self._pending.qsize()

    def _drain(self) -> None:
        while True:
            items, stop = next_batch(self._pending, self.limit)
            if items:
                self.write_now(items)
            if stop:
                return
            if self.gather:
                time.sleep(self.gather)

    def write_now(self, items: list[Any]) -> None:
        try:
            self.write(items)
            return
        except Exception:  # one bad item (a deleted agent, a foreign key, a value too long): item by item
            log.warning("%s: a batch of %d failed; writing them one by one", self.name, len(items))
        for item in items:
            try:
                self.write([item])
            except Exception as exc:
                self.lost += 1
                log.error("%s: could not write %s: %s", self.name, self.describe(item), exc)

    def stop(self, timeout: float = 30) -> None:
        """Write what is queued, then stop."""
        if self._thread is not None:
            self._pending.put(None)
            self._thread.join(timeout)
            self._thread = None
