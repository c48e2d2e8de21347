"""Recordings people can use: the worker that turns each recorded call's pcap into an MP3 once the call
ended (in a child process: the work is CPU-bound and stays off the SIP thread and the request path),
and the retention sweeper. Both run in one background thread; the recordings table says where each
recording stands (store/recordings.py)."""

from __future__ import annotations

import concurrent.futures
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ..store.files import RecordingFiles
from ..store.recordings import INTERRUPTED
from ..store.uow import Unavailable, UnitOfWork
from . import notifier
from .notifier import Notification

log = logging.getLogger("tongdai.recordings")

SETTLE_SECONDS = 60.0  # a call's pcap not closed by rtpengine after this long is converted as it is
MISSING_SECONDS = 300.0  # a pcap still absent after this long: the recording failed


@dataclass(frozen=True)
class Converter:
    """How a pcap becomes a file, handed in by serve.py (media/recording_audio.py): `convert(pcap, target,
    customer_ports, start, end) -> (conversion, peak KiB)` runs in the worker process (a module-level
    function), `playing_ms(path)` says how long the file plays (its check). A bad pcap raises ValueError."""

    convert: Callable[[str, str, list[int], float, float | None], tuple[Any, int]]
    playing_ms: Callable[[Path], int]


def _background() -> None:
    """The conversion process yields the CPU to the switch: recordings can wait, calls cannot."""
    os.nice(10)


@dataclass
class RecordingOptions:
    pcaps: Path  # rtpengine's recording directory (`pcaps/`, `metadata/` under it)
    work: Path  # where a file is made before it is stored
    keep_pcaps: bool = False
    default_retention_days: float = 90.0
    interval: float = 2.0  # seconds between looks at the table when not woken
    sweep_every: float = 3600.0


class Recordings:
    def __init__(self, engine: Any, files: RecordingFiles, options: RecordingOptions, converter: Converter,
                 notify: Callable[[Notification], None] = lambda n: None,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self.engine = engine
        self.files = files
        self.options = options
        self.converter = converter
        self.notify = notify
        self.clock = clock
        self.peak_kib = 0  # the conversion process's peak resident memory
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None
        self._last_sweep = 0.0

    # -- the thread -------------------------------------------------------------------------------

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="recordings", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """A call ended with a recording: look now rather than at the next interval."""
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.convert_pending()
                if time.monotonic() - self._last_sweep >= self.options.sweep_every:
                    self.sweep()
                    self._last_sweep = time.monotonic()
            except Unavailable as exc:
                log.warning("recordings wait for the database: %s", exc)
            except Exception:  # noqa: BLE001 - the worker must outlive any one bad recording
                log.exception("recordings worker error")
            self._wake.wait(self.options.interval)
            self._wake.clear()

    # -- conversion -------------------------------------------------------------------------------

    def convert_pending(self) -> int:
        """Convert every pending recording whose pcap is ready; how many were finished (ready or failed)."""
        finished = 0
        with UnitOfWork(self.engine) as uow:
            pending = uow.recordings.pending(limit=50)
        if not pending:
            return 0
        pcaps = self.pcaps_by_call()  # the directory read once per round, not once per recording
        for row in pending:
            if self._stop.is_set():
                break
            finished += self.convert_one(row, pcaps)
        return finished

    def pcaps_by_call(self) -> dict[str, Path]:
        """rtpengine names a call's pcap after its Call-ID, URL-encoded, and a random suffix."""
        found: dict[str, Path] = {}
        directory = self.options.pcaps / "pcaps"
        if not directory.is_dir():  # rtpengine has recorded nothing yet
            return found
        with os.scandir(directory) as entries:
            for entry in entries:
                if entry.name.endswith(".pcap") and "-" in entry.name:
                    found.setdefault(entry.name[:-5].rsplit("-", 1)[0], Path(entry.path))
        return found

    def _metadata(self, pcap: Path) -> Path:
        return self.options.pcaps / "metadata" / f"rtpengine-meta-{pcap.stem}.txt"

    def _closed(self, pcap: Path) -> bool:
        """rtpengine writes the call's end time in its metadata file when it closes the pcap."""
        try:
            return "call end time" in self._metadata(pcap).read_text(errors="replace")
        except OSError:
            return False

    def convert_one(self, row: dict[str, Any], pcaps: dict[str, Path] | None = None) -> int:
        age = (self.clock() - (row["ended_at"] or row["started_at"])).total_seconds()
        pcap = (pcaps if pcaps is not None else self.pcaps_by_call()).get(quote(row["media_call_id"], safe=""))
        if pcap is None:
            if age < MISSING_SECONDS:
                return 0
            return self._failed(row, "rtpengine wrote no pcap for this call (its recording directory: "
                                     f"{self.options.pcaps / 'pcaps'})")
        if not self._closed(pcap) and age < SETTLE_SECONDS and row["reason"] != INTERRUPTED:
            return 0  # rtpengine still writes it (a crash's pcap is converted at once: nobody writes it now)
        target = self.options.work / f"{row['id']}.mp3"
        start = row["started_at"].timestamp()
        end = row["ended_at"].timestamp() if row["ended_at"] is not None else None
        try:
            self.options.work.mkdir(parents=True, exist_ok=True)
            done, peak = self._pool_for().submit(self.converter.convert, str(pcap), str(target),
                                                 list(row["customer_ports"] or []), start, end).result()
            self.peak_kib = max(self.peak_kib, peak)
            heard = self.converter.playing_ms(target)
            if abs(heard - done.duration_ms) > 1000:
                raise ValueError(f"the file plays {heard} ms, the call lasted {done.duration_ms} ms")
            key = f"{row['tenant_id']}/{row['started_at']:%Y/%m/%d}/{row['id']}.mp3"
            size = self.files.put(target, key)
        except (OSError, ValueError, concurrent.futures.process.BrokenProcessPool) as exc:
            target.unlink(missing_ok=True)
            return self._failed(row, _why(exc))
        now = self.clock()
        with UnitOfWork(self.engine) as uow:
            days = uow.recordings.retention_days(row["tenant_id"])
            expires = None if (days if days is not None else self.options.default_retention_days) <= 0 else \
                now + timedelta(days=days if days is not None else self.options.default_retention_days)
            uow.recordings.ready(row["id"], storage_key=key, duration_ms=done.duration_ms, size=size, format="mp3",
                                 channels=2, created_at=now, expires_at=expires)
            ready = uow.recordings.get(row["id"], row["tenant_id"])
        if done.undecoded:
            log.warning("recording %s: %s packet(s) of codecs not converted (left silent)", row["id"],
                        ", ".join(f"{n} of payload type {pt}" for pt, n in sorted(done.undecoded.items())))
        log.info("recording %s of call %s ready: %d ms, %d bytes", row["id"], row["call_id"], done.duration_ms, size)
        if not self.options.keep_pcaps:
            pcap.unlink(missing_ok=True)
            self._metadata(pcap).unlink(missing_ok=True)
        if ready is not None:
            self.notify(notifier.recording_ready(ready))
        return 1

    def _failed(self, row: dict[str, Any], reason: str) -> int:
        log.error("recording %s of call %s failed: %s", row["id"], row["call_id"], reason)
        with UnitOfWork(self.engine) as uow:
            uow.recordings.failed(row["id"], reason)
        return 1

    def _pool_for(self) -> concurrent.futures.ProcessPoolExecutor:
        if self._pool is None:  # spawned, not forked: the child is small and shares nothing with the switch
            self._pool = concurrent.futures.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"),
                                                                initializer=_background)
        return self._pool

    # -- retention --------------------------------------------------------------------------------

    def sweep(self) -> int:
        """Delete the files past their tenant's retention (not those on legal hold); their rows say so."""
        now = self.clock()
        with UnitOfWork(self.engine) as uow:
            expired = uow.recordings.expired(now)
        for row in expired:
            try:
                if row["storage_key"]:
                    self.files.delete(row["storage_key"])
            except OSError as exc:
                log.error("recording %s: its file could not be deleted: %s", row["id"], exc)
                continue
            with UnitOfWork(self.engine) as uow:
                uow.recordings.deleted(row["id"], now, "retention")
        if expired:
            log.info("deleted %d recording(s) past their retention", len(expired))
        return len(expired)


def _why(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.errno == 28:
        return f"the disk is full: {exc}"
    if isinstance(exc, PermissionError):
        return f"the recordings directory is not writable: {exc}"
    if isinstance(exc, concurrent.futures.process.BrokenProcessPool):
        return "the conversion process died"
    return str(exc) or type(exc).__name__
