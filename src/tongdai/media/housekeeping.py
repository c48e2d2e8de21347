"""rtpengine's files kept in bounds: recordings older than the retention are deleted (files only:
rtpengine made its folders at start and writes into them), and rtpengine's log is rotated (copied to
`.1`, then emptied: rtpengine keeps writing to the same file, which was opened for appending) when it
grows past a size."""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from pathlib import Path

log = logging.getLogger("tongdai.media")


def prune_recordings(directory: Path, older_than_seconds: float, now: float | None = None) -> int:
    """Delete recordings last written more than `older_than_seconds` ago; how many were deleted."""
    now = time.time() if now is None else now
    deleted = 0
    if not directory.is_dir():
        return 0
    for path in directory.rglob("*"):
        try:
            if path.is_file() and now - path.stat().st_mtime > older_than_seconds:
                path.unlink()
                deleted += 1
        except OSError as exc:  # written or removed meanwhile: the next round will see it
            log.warning("recording %s not pruned: %s", path, exc)
    return deleted


def rotate_log(path: Path, max_bytes: int) -> bool:
    """Copy the log to `<name>.1` (replacing the previous one) and empty it, once it is over `max_bytes`."""
    try:
        if path.stat().st_size <= max_bytes:
            return False
        shutil.copyfile(path, path.with_name(path.name + ".1"))
        os.truncate(path, 0)
        return True
    except OSError as exc:
        log.warning("%s not rotated: %s", path, exc)
        return False


class Housekeeping:
    """A thread that prunes recordings and rotates rtpengine's log every `interval` seconds."""

    def __init__(self, work_dir: Path, *, retention_days: float, log_max_bytes: int = 50 * 1024 * 1024,
                 interval: float = 3600.0):
        self.work_dir = work_dir
        self.retention_days = retention_days
        self.log_max_bytes = log_max_bytes
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="media-housekeeping", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def once(self) -> None:
        if self.retention_days > 0:
            deleted = prune_recordings(self.work_dir / "recordings", self.retention_days * 86400)
            if deleted:
                log.info("deleted %d recording file(s) older than %g days", deleted, self.retention_days)
        if rotate_log(self.work_dir / "rtpengine.log", self.log_max_bytes):
            log.info("rotated %s", self.work_dir / "rtpengine.log")

    def _run(self) -> None:
        while not self._stop.is_set():
            self.once()
            self._stop.wait(self.interval)
