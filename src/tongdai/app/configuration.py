"""Keeps what runs in this process in step with the configuration in the database.

A change committed here (the unit of work's `on_commit`) is applied at once: the switch's snapshot
is rebuilt off the SIP thread and swapped in by the switch; the webhook table is read again. A change
committed by another process (the CLI, a second API worker) raises the configuration version, which
is polled every `poll_seconds`; then both are read again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ..domain.directory import Directory
from ..store.uow import UnitOfWork
from .services.directory import load_directory

log = logging.getLogger("tongdai.config")

def load_snapshot(engine: Any) -> tuple[int, Directory]:
    """The configuration snapshot, and the version it was read at (one transaction)."""
    with UnitOfWork(engine) as uow:
        return uow.config_version.current(), load_directory(uow)


def audio_bytes(engine: Any, tenant_id: str, audio_id: str) -> bytes | None:
    """An uploaded prompt's audio, for the switch's prompt files."""
    with UnitOfWork(engine) as uow:
        row = uow.audio.get(audio_id, tenant_id)
    return bytes(row["data"]) if row is not None else None


class ConfigurationWatcher:
    def __init__(self, engine: Any, *, version: int, apply: Callable[[Directory], None] | None,
                 reload_webhooks: Callable[[], None] | None, forget_keys: Callable[[], None] | None = None,
                 poll_seconds: float = 1.0):
        self.engine = engine
        self.version = version  # of the snapshot the switch runs on
        self.apply = apply  # hands a new snapshot to the switch (which swaps it in its own thread)
        self.reload_webhooks = reload_webhooks
        self.forget_keys = forget_keys  # a key revoked by another process fails here at once too
        self.poll_seconds = poll_seconds
        self._io = ThreadPoolExecutor(max_workers=1, thread_name_prefix="config-loader")
        self._local = 0  # changes committed in this process since the last look
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._dirty: asyncio.Event | None = None
        self._task: asyncio.Task | None = None

    def _load(self) -> Directory:
        self.version, directory = load_snapshot(self.engine)
        return directory

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._dirty = asyncio.Event()
        self._task = asyncio.create_task(self._watch())

    def committed(self, tables: frozenset[str]) -> None:
        """From the thread that committed a change in this process."""
        if "webhooks" in tables and self.reload_webhooks is not None:
            self.reload_webhooks()  # before the request answers: a new webhook hears the next event
        with self._lock:
            self._local += 1  # each committed change raised the version by one
        if self._loop is not None and self._dirty is not None:
            try:
                self._loop.call_soon_threadsafe(self._dirty.set)
            except RuntimeError:  # the loop is closing
                return

    def _current_version(self) -> int:
        with UnitOfWork(self.engine) as uow:
            return uow.config_version.current()

    async def _watch(self) -> None:
        assert self._loop is not None and self._dirty is not None
        while True:
            with contextlib.suppress(TimeoutError):  # no change here: look at the version anyway
                await asyncio.wait_for(self._dirty.wait(), self.poll_seconds)
            self._dirty.clear()
            with self._lock:
                local, self._local = self._local, 0
            try:
                version = await self._loop.run_in_executor(self._io, self._current_version)
                if version == self.version:
                    continue
                elsewhere = version > self.version + local  # more changes than this process committed
                if self.apply is not None:
                    self.apply(await self._loop.run_in_executor(self._io, self._load))
                else:
                    self.version = version
                if elsewhere:
                    log.info("configuration changed by another process (version %d)", version)
                    if self.forget_keys is not None:
                        self.forget_keys()
                    if self.reload_webhooks is not None:
                        await self._loop.run_in_executor(self._io, self.reload_webhooks)
            except Exception:
                log.exception("could not reload the configuration")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._io.shutdown(wait=True)
