"""The SIP engine: sippy's event loop in a dedicated thread, and the bridge to asyncio.

sippy objects (transactions, UAs, timers) live in the engine thread only. Work crosses over in two
directions, each through one method of `Bridge`: `to_async()` hands an event to the asyncio loop, and
`to_sip()` hands a command to the engine thread.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from typing import Any

from . import compat, wire

log = logging.getLogger("tongdai.sip")


class Bridge:
    """The only crossing between the SIP thread and asyncio."""

    def __init__(self, loop: asyncio.AbstractEventLoop | None):
        self.loop = loop

    def to_async(self, fn: Callable[..., Any], *args: Any) -> None:
        """From the SIP thread: run `fn(*args)` on the asyncio loop (never blocks the SIP thread)."""
        if self.loop is None or self.loop.is_closed():
            return
        try:
            self.loop.call_soon_threadsafe(fn, *args)
        except RuntimeError:  # the loop is closing: the event is dropped, as at a crash
            return

    @staticmethod
    def to_sip(fn: Callable[..., Any], *args: Any) -> None:
        """From any thread: run `fn(*args)` in the SIP thread."""
        from sippy.Core.EventDispatcher import ED2
        ED2.callFromThread(fn, *args)

    @classmethod
    def ask_sip(cls, fn: Callable[..., Any], *args: Any, timeout: float = 5.0) -> Any:
        """From a thread other than the SIP thread: run `fn(*args)` there and wait for its result."""
        from concurrent.futures import Future
        future: Future = Future()

        def run() -> None:
            try:
                future.set_result(fn(*args))
            except BaseException as exc:  # handed back to the caller
                future.set_exception(exc)

        cls.to_sip(run)
        return future.result(timeout)


class SipEngine:
    """Owns the UDP socket (through sippy's transaction manager) and dispatches requests."""

    def __init__(self, host: str, port: int, *, global_config: dict[str, Any],
                 on_request: Callable[[Any, Any], tuple | None], trace: bool = False, rate_per_source: int = 0):
        self.host, self.port = host, port
        self.rate_per_source = rate_per_source
        self.on_request = on_request
        self.global_config = global_config  # shared with the call objects; addresses set at start
        self.trace = trace
        self._lock = compat.PortLock(host, port)
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self) -> None:
        compat.apply(trace=self.trace)
        wire.limiter.rate, wire.limiter.burst = self.rate_per_source, 2 * self.rate_per_source
        self._lock.acquire()
        self._thread = threading.Thread(target=self._run, name="sip-engine", daemon=True)
        self._thread.start()
        self._ready.wait(10)
        if self._error is not None:
            self._lock.release()
            raise RuntimeError(f"SIP engine failed to start: {self._error}") from self._error
        log.info("SIP on udp:%s:%d", self.host, self.port)

    def _run(self) -> None:
        from sippy.Core.EventDispatcher import ED2
        from sippy.SipLogger import SipLogger
        from sippy.SipTransactionManager import SipTransactionManager
        try:
            ED2.my_ident = threading.get_ident()
            self.global_config.update(compat.configure_address(self.host, self.port))
            self.global_config["_sip_logger"] = SipLogger("tongdai")
            self.global_config["_sip_tm"] = SipTransactionManager(self.global_config, self._dispatch)
        except BaseException as exc:  # reported to start()
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        ED2.loop()

    def _dispatch(self, req, sip_t):
        try:
            return self.on_request(req, sip_t)
        except Exception:  # a bug or a malformed request must never take the engine down
            log.exception("error handling %s", req.getMethod())
            return (req.genResponse(500, "Server Internal Error"), None, None)

    @staticmethod
    def exempt(hosts: frozenset[str]) -> None:
        """Source addresses the per-source rate limit never applies to (the trunks'); from any thread."""
        wire.limiter.exempt = hosts

    def stop(self) -> None:
        if self._thread is None:
            return
        from sippy.Core.EventDispatcher import ED2
        ED2.callFromThread(ED2.breakLoop)
        self._thread.join(5)
        self._thread = None
        self._lock.release()
        log.info("SIP engine stopped")
