"""Writer threads take work in batches: wait for one item, then take what else is already queued; one
transaction per batch, and when a batch fails, item by item, so one bad row loses only itself.

When the database is unavailable (stopped, locked, its disk full) nothing is dropped: the items are
held in order, appended to a bounded on-disk spool (JSON lines) and written again with backoff until the
database takes them; items queued meanwhile wait behind them. A spool left by a stop or a crash is read
back when the writer starts."""

from __future__ import annotations

import json
import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from ..store.repositories import Unavailable

log = logging.getLogger("tongdai.writers")

BACKOFF_FIRST, BACKOFF_MOST = 0.2, 5.0
HELD_MOST = 200_000  # items held in memory while the database is away (and the spool's disk is full too)


def next_batch(pending: queue.SimpleQueue, limit: int) -> tuple[list, bool]:
    """Up to `limit` items, blocking for the first; and whether the stop marker (None) was among them."""
    batch = [pending.get()]
    while len(batch) < limit:
        try:
            batch.append(pending.get_nowait())
        except queue.Empty:
            break
    return [item for item in batch if item is not None], None in batch


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$at": value.isoformat()}
    raise TypeError(f"cannot spool {type(value).__name__}")


def _revived(obj: dict) -> Any:
    return datetime.fromisoformat(obj["$at"]) if obj.keys() == {"$at"} else obj


class Spool:
    """Items written to disk, one JSON line each, in order, up to `max_bytes`. Appending reports whether
    the items are on disk (a full disk or the bound says no: they are then only in memory)."""

    def __init__(self, path: Path, max_bytes: int):
        self.path = path
        self.max_bytes = max_bytes

    def size(self) -> int:
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0

    def append(self, items: list[Any]) -> bool:
        try:
            text = "".join(json.dumps(item, default=_plain, separators=(",", ":")) + "\n" for item in items)
        except (TypeError, ValueError) as exc:  # a value JSON cannot carry: kept in memory all the same
            log.error("spool %s: %s; holding the items in memory only", self.path, exc)
            return False
        data = text.encode()
        if self.size() + len(data) > self.max_bytes:
            return False
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "ab") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            return True
        except OSError as exc:
            log.error("spool %s: %s; holding the items in memory only", self.path, exc)
            return False

    def load(self) -> list[Any]:
        """Every whole line; a line cut short by a crash (the last one) is left out."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return []
        items = []
        for line in raw.splitlines():
            try:
                items.append(json.loads(line, object_hook=_revived))
            except ValueError:
                log.error("spool %s: an unreadable line (%d bytes) left out", self.path, len(line))
        return items

    def clear(self) -> None:
        try:
            self.path.unlink()
        except FileNotFoundError:
            return
        except OSError as exc:
            log.error("spool %s: could not empty it: %s", self.path, exc)


class BatchWriter:
    """One thread that writes queued items with `write(items)` (one transaction per call). When a
    batch fails, each item is written alone; an item that still fails is logged and counted in
    `lost`, and every other item is kept. When the database is unavailable, items are held and spooled
    (see the module) instead. `gather` seconds between batches let items pile up. Items must be JSON
    values (datetimes allowed) when a spool is given."""

    def __init__(self, name: str, write: Callable[[list[Any]], None], *, limit: int = 500, gather: float = 0.0,
                 describe: Callable[[Any], str] = repr, spool: Spool | None = None):
        self.name = name
        self.write = write
        self.limit = limit
        self.gather = gather
        self.describe = describe
        self.spool = spool
        self.lost = 0
        self.held: list[Any] = []  # items the database did not take yet, in order (only the writer thread)
        self._spooled = True  # whether every held item is also in the spool
        self._pending: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._stopping = False

    def start(self) -> None:
        """Replay what a previous run spooled (before anything new), then start the thread."""
        if self.spool is not None:
            self.held = self.spool.load()
            if self.held:
                log.warning("%s: replaying %d spooled items", self.name, len(self.held))
                self._flush_held()
        self._thread = threading.Thread(target=self._drain, name=self.name, daemon=True)
        self._thread.start()

    def put(self, item: Any) -> None:
        self._pending.put(item)

    def backlog(self) -> int:
        """Items queued or held and not yet written."""
        return self._pending.qsize() + len(self.held)

    def spooled_bytes(self) -> int:
        return self.spool.size() if self.spool is not None else 0

    def _drain(self) -> None:
        backoff = BACKOFF_FIRST
        while True:
            if self.held:
                # the database is away: gather what arrives while waiting, then try again, oldest first
                items, stop = self._gather_for(backoff)
                self._hold(items)
                if self._flush_held():
                    backoff = BACKOFF_FIRST
                else:
                    backoff = min(backoff * 2, BACKOFF_MOST)
                    if stop:
                        self._give_up()
                        return
                if stop:
                    return
                continue
            items, stop = next_batch(self._pending, self.limit)
            if items:
                self.write_now(items)
            if stop and not self.held:
                return
            if stop:
                self._stopping = True
                self._pending.put(None)  # come back round to try the held items once more
            elif self.gather:
                time.sleep(self.gather)

    def _gather_for(self, seconds: float) -> tuple[list, bool]:
        if self._stopping:
            return self._take_ready()[0], True
        deadline = time.monotonic() + seconds
        items: list[Any] = []
        stop = False
        while not stop:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                item = self._pending.get(timeout=left)
            except queue.Empty:
                break
            if item is None:
                stop = True
            else:
                items.append(item)
        more, stopped = self._take_ready()
        return items + more, stop or stopped

    def _take_ready(self) -> tuple[list, bool]:
        items: list[Any] = []
        stop = False
        while True:
            try:
                item = self._pending.get_nowait()
            except queue.Empty:
                return items, stop
            if item is None:
                stop = True
            else:
                items.append(item)

    def _hold(self, items: list[Any]) -> None:
        if not items:
            return
        room = HELD_MOST - len(self.held)
        if room < len(items):
            self.lost += len(items) - max(room, 0)
            log.error("%s: %d items beyond the %d held while the database is away are lost",
                      self.name, len(items) - max(room, 0), HELD_MOST)
            items = items[:max(room, 0)]
        if self.spool is not None and self._spooled:  # on disk first: held means spooled too
            self._spooled = self.spool.append(items)
        self.held.extend(items)

    def _flush_held(self) -> bool:
        """Write the held items; True when the database took them (then the spool is emptied)."""
        written = 0
        while written < len(self.held):
            chunk = self.held[written:written + self.limit]
            done = self._write_items(chunk)
            written += done
            if done < len(chunk):
                del self.held[:written]
                if written:
                    self._rewrite_spool()
                log.warning("%s: database unavailable; %d items held", self.name, len(self.held))
                return False
        if written:
            log.warning("%s: the database took the %d held items", self.name, written)
        self.held = []
        self._spooled = True
        if self.spool is not None:
            self.spool.clear()
        return True

    def _rewrite_spool(self) -> None:
        if self.spool is not None:
            self.spool.clear()
            self._spooled = self.spool.append(self.held)

    def _give_up(self) -> None:
        """At stop with the database still away: what is spooled waits for the next start."""
        if self.spool is not None and not self._spooled:
            self._rewrite_spool()
        on_disk = self._spooled and self.spool is not None
        if on_disk:
            log.error("%s: stopping with the database unavailable; %d items left in %s for the next start",
                      self.name, len(self.held), self.spool.path if self.spool else "")
        else:
            self.lost += len(self.held)
            log.error("%s: stopping with the database unavailable and no room on disk; %d items lost",
                      self.name, len(self.held))

    def write_now(self, items: list[Any]) -> None:
        done = self._write_items(items)
        if done < len(items):
            log.warning("%s: database unavailable; holding %d items", self.name, len(items) - done)
            self._hold(items[done:])

    def _write_items(self, items: list[Any]) -> int:
        """Write `items`; how many were dealt with (written, or lost as bad rows): fewer than all when the
        database went away, and those after it are not written."""
        try:
            self.write(items)
            return len(items)
        except Unavailable:
            return 0
        except Exception:  # one bad item (a deleted agent, a foreign key, a value too long): item by item
            log.warning("%s: a batch of %d failed; writing them one by one", self.name, len(items))
        for n, item in enumerate(items):
            try:
                self.write([item])
            except Unavailable:
                return n
            except Exception as exc:
                self.lost += 1
                log.error("%s: could not write %s: %s", self.name, self.describe(item), exc)
        return len(items)

    def stop(self, timeout: float = 30) -> None:
        """Write what is queued (or spool it when the database is away), then stop."""
        if self._thread is not None:
            self._pending.put(None)
            self._thread.join(timeout)
            self._thread = None
