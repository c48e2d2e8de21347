"""What arrives on the SIP socket that cannot be used, and what could not be sent: counted, and logged
once per source per interval instead of a traceback per datagram (a flood of garbage must neither
silence the switch nor fill the disk)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger("tongdai.sip.wire")

LOG_INTERVAL = 60.0  # seconds between two log lines about the same source and kind


def valid_port(port: object) -> bool:
    return isinstance(port, int) and not isinstance(port, bool) and 0 < port < 65536


def valid_destination(address: object) -> bool:
    """A (host, port) tongdai may send to: a non-empty host and a port from 1 to 65535."""
    if not isinstance(address, tuple) or len(address) < 2:
        return False
    host, port = address[0], address[1]
    return isinstance(host, str) and bool(host) and valid_port(port)


SIP_METHODS = frozenset({"INVITE", "ACK", "BYE", "CANCEL", "REGISTER", "OPTIONS", "INFO", "UPDATE", "REFER",
                         "NOTIFY", "SUBSCRIBE", "MESSAGE", "PRACK", "PUBLISH"})


@dataclass
class WireStats:
    """Counters of the process's SIP socket (sippy runs one per process), safe from any thread."""

    malformed: int = 0  # datagrams that could not be parsed or carried unusable addresses
    unsendable: int = 0  # messages not sent: the destination was not a usable address
    send_errors: int = 0  # datagrams the sender failed on (it goes on with the next one)
    rate_limited: int = 0  # datagrams dropped unread: their source sent more than its rate allows
    datagrams: int = 0  # datagrams read from the UDP socket, limited or not (written by the receiver thread alone)
    sent: dict[str, int] = field(default_factory=dict)  # messages sent, by method (requests) or status
    clock: Callable[[], float] = time.monotonic
    _last_logged: dict[tuple[str, str], float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, kind: str, source: str, detail: str) -> None:
        """Count one event of `kind` (malformed, unsendable, send_errors) and log it unless the same
        kind from the same source was logged within the interval."""
        now = self.clock()
        with self._lock:
            setattr(self, kind, getattr(self, kind) + 1)
            key = (kind, source)
            last = self._last_logged.get(key)
            if last is not None and now - last < LOG_INTERVAL:
                return
            if len(self._last_logged) > 10_000:  # many sources: forget the old ones
                self._last_logged = {k: t for k, t in self._last_logged.items() if now - t < LOG_INTERVAL}
            self._last_logged[key] = now
        log.warning("SIP %s %s %s: %s (logged once per %.0f s per address; %d so far)", kind.replace("_", " "),
                    "to" if kind in ("unsendable", "send_errors") else "from", source, detail[:200], LOG_INTERVAL,
                    getattr(self, kind))

    def sent_message(self, data: bytes | str) -> None:
        """Count a message the switch sends: a response by its status, a request by its method."""
        head = (data[:24].decode("latin-1", "replace") if isinstance(data, bytes) else data[:24]).split(" ", 2)
        key = head[1] if head[0] == "SIP/2.0" and len(head) > 1 else head[0]
        if not (key.isdigit() and len(key) == 3) and key not in SIP_METHODS:
            key = "other"
        with self._lock:
            self.sent[key] = self.sent.get(key, 0) + 1

    def view(self) -> dict[str, int]:
        return {"malformed": self.malformed, "unsendable": self.unsendable, "send_errors": self.send_errors,
                "rate_limited": self.rate_limited, "datagrams": self.datagrams}


stats = WireStats()


class SourceLimiter:
    """A token bucket per source address, in front of the SIP parser (as Kamailio's pike): a source may
    send `rate` datagrams a second, in bursts of up to `burst`; beyond that its datagrams are dropped
    unread, so a flood costs almost nothing. The carriers' addresses (`exempt`) are never limited. Used
    by the receiver thread alone; `exempt` is replaced whole when the configuration changes."""

    MOST_SOURCES = 50_000  # buckets kept; idle ones are forgotten beyond it

    def __init__(self, rate: float = 0.0, burst: float = 0.0, clock: Callable[[], float] = time.monotonic):
        self.rate = rate
        self.burst = max(burst, rate, 1.0)
        self.clock = clock
        self.exempt: frozenset[str] = frozenset()
        self._buckets: dict[str, list[float]] = {}  # host -> [tokens, when last counted]

    def allow(self, host: str) -> bool:
        if self.rate <= 0 or host in self.exempt:
            return True
        now = self.clock()
        bucket = self._buckets.get(host)
        if bucket is None:
            if len(self._buckets) >= self.MOST_SOURCES:
                self._forget(now)
            self._buckets[host] = [self.burst - 1, now]
            return True
        tokens = min(self.burst, bucket[0] + (now - bucket[1]) * self.rate)
        bucket[1] = now
        if tokens >= 1:
            bucket[0] = tokens - 1
            return True
        bucket[0] = tokens
        return False

    def _forget(self, now: float) -> None:
        full = self.burst / self.rate  # a bucket idle this long is full again: as good as new
        self._buckets = {h: b for h, b in self._buckets.items() if now - b[1] < full}


limiter = SourceLimiter()  # configured by the engine at start; off (rate 0) until then
