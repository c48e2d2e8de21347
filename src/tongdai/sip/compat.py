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
7. A port outside 1-65535 taken from the wire (a Via, a Contact, a Record-Route) made
   `socket.sendto` raise in the one sender thread, which died: the switch never sent anything again.
   Every destination is checked where messages are queued for sending; an unusable one is dropped
   and counted.
8. The sender thread stops at the first unexpected error: it goes on with the next datagram.
9. The receiver reads at most 8,192 bytes of a datagram, so a legitimate INVITE with a large SDP
   failed as truncated: read up to 65,535.
10. Every unparsable datagram was written to stdout with a traceback and its content, and sippy's
    parsers print a line for each truncated body or odd URI (a flood of garbage filled the disk):
    count them, and log once per source per interval (`sip.wire`).
11. Every request sippy makes carried `User-Agent: Sippy` (a fingerprint of the software, sent to
    carriers) and every INVITE an `Expires: 300` nobody asked for (the carrier may give up on the call
    after it): left out unless a value is given.
12. An UPDATE inside a call got no answer at all (the phone retransmits, then may end the call): one
    without a body (a session refresh) gets 200; one with SDP gets 488 (change media with a re-INVITE).
    A REFER got 202 and was then acted on: it gets `403 transfer_not_allowed` and the call goes on
    (a transfer made by the phone would dial past every tongdai check).
13. When a peer never answers an INVITE, sippy reports its own `408 Request Timeout`, which reads the
    same as a callee's 408 (no answer): its reason phrase becomes `NO_RESPONSE`, so the switch can
    report the carrier as unreachable.
"""

from __future__ import annotations

import errno
import fcntl
import os
import socket
import tempfile
import time
from pathlib import Path
from typing import Any

from . import wire

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
    _checked_destinations()  # fix 7
    _sender_that_survives()  # fix 8
    _receiver_that_reads_whole_datagrams()  # fix 9
    _malformed_counted_not_dumped()  # fix 10
    _no_fingerprint_no_stray_expires()  # fix 11
    _mid_call_update_and_refer()  # fix 12
    _silence_told_apart()  # fix 13
    _applied = True


NO_RESPONSE = "No Response"  # fix 13: the reason phrase of sippy's own 408 when a peer stays silent


def _silence_told_apart() -> None:
    import sippy.SipTransactionManager as stm

    original = stm.SipTransactionManager.timerB

    def timer_b(self, t):
        if getattr(t, "r408", None) is not None:
            t.r408.setSCode(408, NO_RESPONSE)
        original(self, t)

    stm.SipTransactionManager.timerB = timer_b


def _mid_call_update_and_refer() -> None:
    from sippy.UaStateConnected import UaStateConnected

    from .headers import refusal

    def update(state, req):
        tm = state.ua.global_config["_sip_tm"]
        if req.getBody() is None:
            tm.sendResponse(req.genResponse(200, "OK"))
        else:
            tm.sendResponse(refusal(req, 488, "Not Acceptable Here", "update_with_sdp",
                                    "change the media of a call with a re-INVITE"))
        return None

    def refer(state, req):
        state.ua.global_config["_sip_tm"].sendResponse(refusal(
            req, 403, "Forbidden", "transfer_not_allowed", "tongdai does not let phones transfer calls"))
        return None

    UaStateConnected.recv_request_handlers = {**UaStateConnected.recv_request_handlers,
                                              "UPDATE": update, "REFER": refer}


def _no_fingerprint_no_stray_expires() -> None:
    from sippy.SipRequest import SipRequest

    original = SipRequest.__init__

    def init(self, buf=None, method=None, ruri=None, sipver="SIP/2.0", to=None, fr0m=None, via=None, cseq=None,
             callid=None, maxforwards=None, body=None, contact=None, routes=(), target=None,
             user_agent=None, expires=None):
        original(self, buf=buf, method=method, ruri=ruri, sipver=sipver, to=to, fr0m=fr0m, via=via, cseq=cseq,
                 callid=callid, maxforwards=maxforwards, body=body, contact=contact, routes=routes, target=target,
                 user_agent=user_agent, expires=expires)
        if buf is not None:  # parsed from the wire: as it came
            return
        if user_agent is None:
            self.delHFs("user-agent")
        if expires is None:
            self.delHFs("expires")

    SipRequest.__init__ = init


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


def _checked_destinations() -> None:
    from sippy.Network_server import Network_server

    original = Network_server.send_to

    def send_to(self, data, address, delayed=False):
        if not wire.valid_destination(address):
            host = address[0] if isinstance(address, tuple) and address else address
            wire.stats.count("unsendable", str(host)[:60], f"{address!r} has no usable host and port 1-65535")
            return
        wire.stats.sent_message(data)
        original(self, data, address, delayed)

    Network_server.send_to = send_to


def _sender_that_survives() -> None:
    from sippy.Udp_server import AsyncSender

    def run(self):
        while True:
            item = self.userv.sendqueue.get()
            if item is None:  # shutdown: relay it to the other senders
                self.userv.sendqueue.put(None)
                break
            data, address = item
            try:
                _send_one(self.userv, data, address)
            except BrokenPipeError:
                break
            except Exception as exc:  # one datagram's failure never stops the sender
                wire.stats.count("send_errors", str(address[0])[:60], f"{type(exc).__name__}: {exc}")
        self.userv = None

    AsyncSender.run = run


_TRY_AGAIN = (errno.EWOULDBLOCK, errno.ENOBUFS, errno.EAGAIN)  # the socket buffer is full: retry shortly


def _send_one(userv, data: bytes, address: tuple) -> None:
    resolved: Any = socket.getaddrinfo(address[0], None, userv.uopts.family)[0][4]
    target = (resolved[0], address[1]) if userv.uopts.family == socket.AF_INET else \
        (resolved[0], address[1], resolved[2], resolved[3])
    for _ in range(20):
        try:
            if userv.skt.sendto(data, target) == len(data):
                return
        except OSError as exc:
            if isinstance(exc, BrokenPipeError) or exc.errno not in _TRY_AGAIN:
                raise
        time.sleep(0.01)


def _receiver_that_reads_whole_datagrams() -> None:
    from sippy.Core.EventDispatcher import ED2
    from sippy.Network_server import Remote_address
    from sippy.Time.MonoTime import MonoTime
    from sippy.Udp_server import AsyncReceiver

    def run(self):
        empty = 100
        while True:
            try:
                data, address = self.userv.skt.recvfrom(65535)
            except OSError as exc:
                if exc.errno in (errno.ECONNRESET, errno.ENOTCONN, errno.ESHUTDOWN, errno.EBADF):
                    break
                if exc.errno != errno.EINTR:
                    time.sleep(0.01)
                continue
            if not data and address is None:  # the socket was closed under us
                empty -= 1
                if empty == 0:
                    break
                continue
            empty = 100
            wire.stats.datagrams += 1
            if not wire.limiter.allow(address[0]):
                wire.stats.count("rate_limited", address[0], f"over {wire.limiter.rate:.0f} datagrams/s")
                continue
            rtime = MonoTime()
            if self.userv.uopts.family == socket.AF_INET6:
                address = (f"[{address[0]}]", address[1])
            if self.userv.uopts.direct_dispatch:
                self.userv.handle_read(data, address, rtime)
            else:
                ED2.callFromThread(self.userv.handle_read, data, Remote_address(address, self.userv.transport),
                                   rtime)
        self.userv = None

    AsyncReceiver.run = run


def _malformed_counted_not_dumped() -> None:
    import sippy.SipTransactionManager as stm

    def report(msg, f=None, extra=None):  # sippy's dump_exception(msg, f, extra) inside the transaction layer
        source = msg.rsplit(" from ", 1)[-1] if " from " in msg else "?"  # udp:host:port
        wire.stats.count("malformed", source.split(":")[1] if source.count(":") >= 2 else source, msg)

    stm.dump_exception = report
    import sippy.SipMsg
    import sippy.SipRequest
    import sippy.SipURL

    def noted(*args, **_kwargs):  # the parsers' own print() calls: a module-level name shadows the builtin
        wire.stats.count("malformed", "sip parser", " ".join(str(a) for a in args))

    for module in (sippy.SipMsg, sippy.SipRequest, sippy.SipURL, stm):
        module.print = noted
    original = stm.SipTransactionManager.handleIncoming

    def handle_incoming(self, data_in, ra, server, rtime):
        try:
            original(self, data_in, ra, server, rtime)
        except Exception as exc:  # undecodable bytes, a header sippy cannot use: count, never a traceback
            host = ra.address[0] if hasattr(ra, "address") else str(ra)
            wire.stats.count("malformed", host, f"{type(exc).__name__}: {exc}")

    stm.SipTransactionManager.handleIncoming = handle_incoming


def configure_address(host: str, port: int) -> dict:
    """Fix 4: the global_config entries and SipConf values for an explicit address."""
    from sippy.SipConf import SipConf

    SipConf.my_address = host
    SipConf.my_port = port
    return {"_sip_address": host, "_sip_port": port}


class PortInUse(RuntimeError):
    """Another process already serves SIP on this address."""


class PortLock:
    """Fix 3: one tongdai SIP engine per address (and one spawned rtpengine per ng address: `what`).
    A lock file plus a probe bind without SO_REUSEPORT, so any other program already on the port is
    noticed too."""

    def __init__(self, host: str, port: int, lock_dir: str | None = None, what: str = "sip", probe: bool = True):
        self.host, self.port, self.what, self.probe = host, port, what, probe
        directory = Path(lock_dir or tempfile.gettempdir())
        self.path = directory / f"tongdai-{what}-{host.replace(':', '_')}-{port}.lock"
        self._fd: int | None = None

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise PortInUse(f"another tongdai already uses {self.what} on {self.host}:{self.port}") from None
        if self.probe:
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
