"""A liveness self-check of the SIP engine: an OPTIONS to tongdai's own SIP address every few seconds,
from a socket of its own. When the engine stops answering (a dead thread, a stuck loop), `/health`
says so, and after `failures_before_dead` probes in a row `on_dead` is called (the composition root
restarts the process)."""

from __future__ import annotations

import logging
import secrets
import socket
import threading
import time
from collections.abc import Callable

log = logging.getLogger("tongdai.sip")


class SipProbe:
    def __init__(self, host: str, port: int, *, on_dead: Callable[[], None], interval: float = 5.0,
                 timeout: float = 2.0, failures_before_dead: int = 3):
        self.target = (host, port)
        self.on_dead = on_dead
        self.interval, self.timeout, self.failures_before_dead = interval, timeout, failures_before_dead
        self.answering: bool | None = None  # None until the first probe
        self.last_answer: float | None = None  # monotonic time of the last answer
        self.failures = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="sip-probe", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.timeout + 1)
            self._thread = None

    def view(self) -> dict[str, object]:
        ago = None if self.last_answer is None else round(time.monotonic() - self.last_answer, 1)
        return {"answering": self.answering, "seconds_since_answer": ago, "failed_probes": self.failures}

    def probe_once(self) -> bool:
        """One OPTIONS, True when a 200 came back in time."""
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind((self.target[0], 0))
            s.settimeout(self.timeout)
            me = s.getsockname()
            tag = secrets.token_hex(6)
            s.sendto((f"OPTIONS sip:{self.target[0]}:{self.target[1]} SIP/2.0\r\n"
                      f"Via: SIP/2.0/UDP {me[0]}:{me[1]};branch=z9hG4bKprobe{tag}\r\n"
                      f"From: <sip:probe@{me[0]}>;tag={tag}\r\nTo: <sip:{self.target[0]}>\r\n"
                      f"Call-ID: probe-{tag}\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
                      ).encode(), self.target)
            deadline = time.monotonic() + self.timeout
            while time.monotonic() < deadline:
                try:
                    data = s.recv(65535)
                except (TimeoutError, OSError):
                    return False
                if data.startswith(b"SIP/2.0 200") and f"probe-{tag}".encode() in data:
                    return True
            return False

    def _run(self) -> None:
        while not self._stop.is_set():
            ok = self.probe_once()
            if ok:
                self.answering, self.last_answer, self.failures = True, time.monotonic(), 0
            else:
                self.failures += 1
                self.answering = False
                log.error("the SIP engine did not answer its liveness probe (%d in a row)", self.failures)
                if self.failures == self.failures_before_dead:
                    self.on_dead()
            self._stop.wait(self.interval)
