"""The keys callers press, as rtpengine reports them: one JSON datagram per digit (RFC 4733 or detected
in-band) on the address given to rtpengine as `--dtmf-log-dest`. A thread reads them and hands
`(call_id, source_tag, key)` on; anything else arriving there is counted and dropped. The address must
stay on loopback: the datagrams are not authenticated."""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Callable

log = logging.getLogger("tongdai.media")

KEYS = {**{n: str(n) for n in range(10)}, 10: "*", 11: "#"}


def key_of(datagram: bytes) -> tuple[str, str, str] | None:
    """(call_id, source_tag, key) from one of rtpengine's DTMF reports, or None."""
    try:
        report = json.loads(datagram)
        if report.get("type", "DTMF") != "DTMF":
            return None
        key = KEYS.get(int(report["event"]))
        call_id, tag = str(report["callid"]), str(report.get("source_tag", ""))
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    return (call_id, tag, key) if key is not None else None


class DtmfListener:
    def __init__(self, host: str, port: int, on_key: Callable[[str, str, str], None]):
        self.on_key = on_key
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, port))
        self.address = self.sock.getsockname()
        self.ignored = 0
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="dtmf", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.sock.close()  # recvfrom fails: the thread ends
        if self._thread is not None:
            self._thread.join(2)
            self._thread = None

    def _run(self) -> None:
        while True:
            try:
                data, _ = self.sock.recvfrom(4096)
            except OSError:
                return
            found = key_of(data)
            if found is None:
                self.ignored += 1
                continue
            try:
                self.on_key(*found)
            except Exception:  # never lose the listener to one report
                log.exception("a DTMF report could not be handed on")
