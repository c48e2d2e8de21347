"""Every workaround for sippy 2.5.0 in one place, each applied by `apply()` and tested on its own.

1. `;transport=UDP` in upper case (legal: parameters are case-insensitive; SIPp sends it) makes
   in-dialog requests fail with "newTransaction() to unsupported transport: UDP": lower-case it.
2. Three UDP sender threads can reorder a 180 and a 200 sent back to back: use one worker.
3. A second process can bind the same port silently (SO_REUSEPORT): hold an exclusive lock per
   address and refuse to start when another process holds it (`PortLock`).
4. `SipConf.my_address` defaults to the host name's address and the bind to every interface: set
   both explicitly (`configure_address`).
5. Every SIP message is logged unless SIPLOG_BEND says otherwise: log only when tracing is asked for
   (the `TONGDAI_SIP_TRACE` setting).
6. After a 401/407 from a carrier, the re-INVITE with credentials left before the ACK of the
   challenge (the UA answers inside the response callback, the transaction layer ACKs after it).
   Strict peers abort the call: send the re-INVITE on the next loop turn, after the ACK.
"""

from __future__ import annotations

import fcntl
import os
import socket
import tempfile
from pathlib import Path

_applied = False


def quiet_logging(trace: bool = False) -> None:
    """Fix 5: sippy reads SIPLOG_BEND when its logger is created; default to no message log."""
    if trace:
        os.environ["SIPLOG_BEND"] = "stderr"
    else:
        os.environ.setdefault("SIPLOG_BEND", "none")


def apply(trace: bool = False) -> None:
    """Apply fixes 1, 2, 5 and 6 (process-wide, idempotent). Call before creating any sippy object."""
    global _applied
    if _applied:
        return
    quiet_logging(trace)
    from sippy.SipURL import SipURL
    from sippy.Udp_server import Udp_server_opts

    original = SipURL.setParams

    def set_params(self, params):  # fix 1
        original(self, params)
        if isinstance(self.transport, str):
            self.transport = self.transport.lower()

    SipURL.setParams = set_params
    Udp_server_opts.nworkers = 1  # fix 2
    _defer_reinvite_after_challenge()  # fix 6
    _applied = True


def _defer_reinvite_after_challenge() -> None:
    from sippy.Core.EventDispatcher import ED2
    from sippy.UA import UA

    def process_challenge(self, resp, cseq, ch_hfname, auth_hfname, extra_headers):
        if self.username is None or self.password is None or self.reqs[cseq].countHFs(auth_hfname) != 0:
            return False
        for challenge in resp.getHFBodys(ch_hfname):
            if self.auth_enalgs is not None and challenge.algorithm not in self.auth_enalgs:
                continue
            supported, qop = challenge.supportedAlgorithm()
            if supported:
                break
        else:
            return False
        req = self.genRequest("INVITE", self.lSDP, (challenge, qop), extra_headers=extra_headers)
        del self.reqs[cseq]

        def send():
            if self.state is not None and not self.state.dead:
                self.newUacTransaction(req, req_extra_headers=extra_headers)

        ED2.callFromThread(send)
        return True

    UA.processChallenge = process_challenge


def configure_address(host: str, port: int) -> dict:
    """Fix 4: the global_config entries and SipConf values for an explicit address."""
    from sippy.SipConf import SipConf

    SipConf.my_address = host
    SipConf.my_port = port
    return {"_sip_address": host, "_sip_port": port}


class PortInUse(RuntimeError):
    """Another process already serves SIP on this address."""


class PortLock:
    """Fix 3: one tongdai SIP engine per address. A lock file plus a probe bind without
    SO_REUSEPORT, so any other program already on the port is noticed too."""

    def __init__(self, host: str, port: int, lock_dir: str | None = None):
        self.host, self.port = host, port
        directory = Path(lock_dir or tempfile.gettempdir())
        self.path = directory / f"tongdai-sip-{host.replace(':', '_')}-{port}.lock"
        self._fd: int | None = None

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise PortInUse(f"another tongdai already serves SIP on {self.host}:{self.port}") from None
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            probe.bind((self.host, self.port))
        except OSError as exc:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
            raise PortInUse(f"UDP {self.host}:{self.port} is already in use: {exc.strerror}") from None
        finally:
            probe.close()
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
