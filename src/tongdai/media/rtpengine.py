"""rtpengine: the supervised child process and the ng-protocol client (offer, answer, delete, query)."""

from __future__ import annotations

import logging
import os
import queue
import secrets
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import bencode
from .sdp import anonymised

log = logging.getLogger("tongdai.media")


class NgError(RuntimeError):
    """rtpengine refused a command, or did not answer."""


class NgClient:
    """A thread-safe client for rtpengine's ng control protocol over UDP (cookie, bencoded dict)."""

    def __init__(self, host: str, port: int, timeout: float = 1.0):
        self.address = (host, port)
        self.timeout = timeout
        self._lock = threading.Lock()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.settimeout(timeout)

    def command(self, name: str, **params) -> dict:
        cookie = secrets.token_hex(6).encode()
        message = cookie + b" " + bencode.encode({"command": name, **params})
        with self._lock:
            for _attempt in range(3):
                self._sock.sendto(message, self.address)
                deadline = time.monotonic() + self.timeout
                while True:
                    try:
                        data = self._sock.recv(65535)
                    except TimeoutError:
                        break
                    got_cookie, _, body = data.partition(b" ")
                    if got_cookie == cookie:
                        reply = bencode.decode(body)
                        if reply.get("result") == "error":
                            raise NgError(f"rtpengine {name}: {reply.get('error-reason', 'error')}")
                        return reply
                    if time.monotonic() > deadline:
                        break
        raise NgError(f"rtpengine did not answer {name} at {self.address[0]}:{self.address[1]}")

    def ping(self) -> bool:
        try:
            return self.command("ping").get("result") == "pong"
        except (NgError, OSError):
            return False

    def offer(self, call_id: str, from_tag: str, sdp: str, **flags) -> str:
        return self.command("offer", **{"call-id": call_id, "from-tag": from_tag, "sdp": sdp, **flags})["sdp"]

    def answer(self, call_id: str, from_tag: str, to_tag: str, sdp: str, **flags) -> str:
        return self.command("answer", **{"call-id": call_id, "from-tag": from_tag, "to-tag": to_tag, "sdp": sdp,
                                          **flags})["sdp"]

    def delete(self, call_id: str, from_tag: str | None = None) -> dict:
        params = {"call-id": call_id}
        if from_tag:
            params["from-tag"] = from_tag
        return self.command("delete", **params)

    def query(self, call_id: str) -> dict:
        return self.command("query", **{"call-id": call_id})

    def close(self) -> None:
        self._sock.close()


# How rtpengine rewrites every SDP of a call: it anchors the media on its own addresses.
# port-latching: rtpengine keeps the port it faces a party on when the other side changes (an IVR's
# caller stays on the same port when an agent is bridged in: no re-INVITE to the carrier)
SDP_FLAGS = {"flags": ["trust-address", "port-latching"], "replace": ["origin", "session-connection"],
             "ICE": "remove"}


def is_webrtc(sdp: str) -> bool:
    """A browser's SDP: DTLS-SRTP over ICE (`UDP/TLS/RTP/SAVPF`)."""
    return "UDP/TLS/RTP/SAVP" in sdp


def offer_flags(from_browser: bool, toward_browser: bool) -> dict:
    """rtpengine's flags for an offer, by who offers and who it goes to: a browser speaks ICE and
    DTLS-SRTP, a phone or carrier plain RTP (measured: shared/reference/feasibility…, section 1)."""
    base = {"flags": ["trust-address", "port-latching"], "replace": ["origin", "session-connection"]}
    if toward_browser and not from_browser:
        # a side rtpengine answered before as plain RTP must not be offered to a browser (it keeps its DTLS
        # role there: both ends then speak first); switch/answered.py bridges browsers through a call of their own
        return {**base, "ICE": "force", "transport-protocol": "UDP/TLS/RTP/SAVPF", "rtcp-mux": ["offer"],
                "SDES": ["off"], "flags": [*base["flags"], "generate-mid"]}
    if from_browser and not toward_browser:
        return {**base, "ICE": "remove", "DTLS": "off", "transport-protocol": "RTP/AVP", "rtcp-mux": ["demux"]}
    if from_browser and toward_browser:
        return base
    return SDP_FLAGS


def answer_flags(from_browser: bool, toward_browser: bool) -> dict:
    """rtpengine's flags for an answer; `toward_browser`: the offer came from a browser (removing ICE
    from that answer would strip every candidate the browser needs)."""
    base = {"flags": ["trust-address", "port-latching"], "replace": ["origin", "session-connection"]}
    if from_browser and not toward_browser:
        return {**base, "ICE": "remove", "DTLS": "off", "rtcp-mux": ["demux"]}
    if toward_browser:
        return base
    return SDP_FLAGS

Deliver = Callable[..., None]


class MediaWorker:
    """Runs ng commands off the SIP thread, one at a time, and hands each answer back through
    `deliver` (the bridge into the SIP thread), so signalling never waits for rtpengine. Its
    methods are the only way the switch talks to rtpengine."""

    def __init__(self, client: NgClient, deliver: Deliver):
        self.client = client
        self.deliver = deliver
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._browsers: dict[str, set[str]] = {}  # call -> the tags of its legs that speak WebRTC

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="rtpengine-ng", daemon=True)
        self._thread.start()

    # -- the commands -------------------------------------------------------------------------------

    def offer(self, call_id: str, from_tag: str, sdp: str, on_sdp: Callable[[str], None],
              on_error: Callable[[Exception], None], toward_browser: bool = False, to_tag: str | None = None
              ) -> None:
        """rtpengine's SDP for the offer of the leg `from_tag` (`on_sdp`), or `on_error` if it fails;
        `toward_browser`: the offer goes to a browser's WebSocket (the offerer's kind is read off its SDP).
        A re-INVITE inside a call names the leg it goes to (`to_tag`): whether that is a browser is known."""
        from_browser = is_webrtc(sdp)
        browsers = self._browsers.setdefault(call_id, set())
        (browsers.add if from_browser else browsers.discard)(from_tag)
        params = {"call-id": call_id, "from-tag": from_tag, "sdp": sdp}
        if to_tag is not None:
            params["to-tag"] = to_tag
            toward_browser = toward_browser or to_tag in browsers
        self._submit("offer", {**params, **offer_flags(from_browser, toward_browser)},
                     lambda reply: on_sdp(anonymised(reply["sdp"], call_id, from_tag)), on_error)

    def answer(self, call_id: str, from_tag: str, to_tag: str, sdp: str, on_sdp: Callable[[str], None],
               on_error: Callable[[Exception], None]) -> None:
        """rtpengine's SDP for the answer of the leg `to_tag` to the offer of `from_tag`."""
        browsers = self._browsers.setdefault(call_id, set())
        toward_browser = from_tag in browsers
        (browsers.add if is_webrtc(sdp) else browsers.discard)(to_tag)
        self._submit("answer", {"call-id": call_id, "from-tag": from_tag, "to-tag": to_tag, "sdp": sdp,
                                **answer_flags(is_webrtc(sdp), toward_browser)},
                     lambda reply: on_sdp(anonymised(reply["sdp"], call_id, to_tag)), on_error)

    def record(self, call_id: str, customer_tag: str, on_started: Callable[[tuple[int, ...]], None]) -> None:
        """Write the call's RTP (both directions) to a pcap in rtpengine's recording directory; then ask
        which of rtpengine's ports the leg `customer_tag` sends to (`on_started`; empty if rtpengine
        does not say): its packets are the customer's channel of the recording."""
        def ports(reply: dict) -> None:
            on_started(tuple(sorted({int(stream["local port"])
                                     for media in reply.get("tags", {}).get(customer_tag, {}).get("medias", [])
                                     for stream in media.get("streams", []) if stream.get("local port")})))

        def query(_reply: dict) -> None:
            self._submit("query", {"call-id": call_id}, ports, lambda _exc: on_started(()))
        self._submit("start recording", {"call-id": call_id}, query, None)

    def play(self, call_id: str, from_tag: str, file: str, on_started: Callable[[int], None],
             on_error: Callable[[Exception], None], repeat: int = 1) -> None:
        """Play an audio file (WAV or MP3, a path rtpengine can read) to the leg `from_tag` faces,
        `repeat` times; `on_started` gets the file's duration in milliseconds."""
        self._submit("play media", {"call-id": call_id, "from-tag": from_tag, "file": file, "repeat-times": repeat},
                     lambda reply: on_started(int(reply.get("duration", 0))), on_error)

    def stop_playing(self, call_id: str, from_tag: str) -> None:
        """Stop what `play` plays on that leg (a caller's key press cuts a prompt short)."""
        self._submit("stop media", {"call-id": call_id, "from-tag": from_tag}, None, None)

    def delete(self, call_id: str) -> None:
        """The call is over: rtpengine frees its ports (and closes its recording)."""
        self._browsers.pop(call_id, None)
        self._submit("delete", {"call-id": call_id}, None, None)

    # -- the worker ---------------------------------------------------------------------------------

    def _submit(self, name: str, params: dict, on_reply: Callable[[dict], None] | None,
                on_error: Callable[[Exception], None] | None) -> None:
        self._queue.put((name, params, on_reply, on_error))

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            name, params, on_reply, on_error = item
            try:
                reply = self.client.command(name, **params)
            except (NgError, OSError) as exc:
                if name == "query" and "Unknown call-id" in str(exc):  # the call ended meanwhile: nothing lost
                    log.info("rtpengine %s: call %s ended before it was asked", name, params.get("call-id"))
                else:
                    log.error("rtpengine %s failed: %s", name, exc)
                if on_error is not None:
                    self.deliver(on_error, exc)
                continue
            if on_reply is not None:
                self.deliver(on_reply, reply)

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=5)
            self._thread = None


def _die_with_parent() -> None:
    """In the child, before exec: the kernel sends SIGTERM to rtpengine if tongdai dies, even by
    SIGKILL, so no rtpengine outlives the process that supervises it."""
    import ctypes
    import resource
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, 15)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a crash at shutdown leaves no core dump


@dataclass
class RtpengineOptions:
    interface: str = "127.0.0.1"
    ng_host: str = "127.0.0.1"
    ng_port: int = 22222
    port_min: int = 30000
    port_max: int = 39999
    work_dir: Path = Path("var/rtpengine")
    binary: str = "rtpengine"
    dtmf_log_dest: str | None = None  # host:port where rtpengine reports the keys callers press


class RtpengineSupervisor:
    """Starts rtpengine with explicit flags (never the packaged config), restarts it if it dies,
    and stops it with tongdai."""

    def __init__(self, options: RtpengineOptions, on_restart: Callable[[], None] | None = None):
        self.options = options
        self.on_restart = on_restart  # rtpengine was started again: the calls it carried lost their media
        self.process: subprocess.Popen | None = None
        self._stopping = threading.Event()
        self._watcher: threading.Thread | None = None

    def command_line(self) -> list[str]:
        o = self.options
        binary = shutil.which(o.binary) or o.binary
        return [binary, "--config-file=none", "--table=-1", f"--interface={o.interface}",
                f"--listen-ng={o.ng_host}:{o.ng_port}", "--foreground", "--log-stderr",
                f"--port-min={o.port_min}", f"--port-max={o.port_max}", "--log-level=5",
                f"--pidfile={o.work_dir / 'rtpengine.pid'}", f"--recording-dir={o.work_dir / 'recordings'}",
                "--recording-method=pcap", "--delete-delay=0",
                *([f"--dtmf-log-dest={o.dtmf_log_dest}"] if o.dtmf_log_dest else [])]

    def start(self, timeout: float = 10.0) -> None:
        self.options.work_dir = self.options.work_dir.resolve()  # rtpengine runs in it: paths must be absolute
        self.options.work_dir.mkdir(parents=True, exist_ok=True)
        (self.options.work_dir / "recordings").mkdir(exist_ok=True)
        self._stop_stale()
        process = self._spawn()
        client = NgClient(self.options.ng_host, self.options.ng_port, timeout=0.3)
        deadline = time.monotonic() + timeout
        try:
            while not client.ping():
                if process.poll() is not None:
                    raise RuntimeError(f"rtpengine exited with {process.returncode}; see "
                                       f"{self.options.work_dir / 'rtpengine.log'}")
                if time.monotonic() > deadline:
                    raise RuntimeError("rtpengine did not answer ping in time")
                time.sleep(0.1)
        finally:
            client.close()
        self._watcher = threading.Thread(target=self._watch, name="rtpengine-supervisor", daemon=True)
        self._watcher.start()
        log.info("rtpengine pid %d, ng on %s:%d, RTP ports %d-%d", process.pid, self.options.ng_host,
                 self.options.ng_port, self.options.port_min, self.options.port_max)

    def _stop_stale(self) -> None:
        """An rtpengine left running by a tongdai that crashed holds our ports: stop it first."""
        pidfile = self.options.work_dir / "rtpengine.pid"
        try:
            pid = int(pidfile.read_text().strip())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError):
            return
        if cmdline and Path(cmdline[0].decode(errors="replace")).name.startswith("rtpengine") and \
                f"--pidfile={pidfile}".encode() in cmdline:
            log.warning("stopping rtpengine pid %d left by a previous run", pid)
            os.kill(pid, 15)
            for _ in range(50):
                if not Path(f"/proc/{pid}").exists():
                    break
                time.sleep(0.1)

    def _spawn(self) -> subprocess.Popen:
        with open(self.options.work_dir / "rtpengine.log", "ab") as logfile:
            self.process = subprocess.Popen(self.command_line(), stdout=logfile, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True,
                                            preexec_fn=_die_with_parent, cwd=self.options.work_dir)
        return self.process

    def _watch(self) -> None:
        while not self._stopping.is_set():
            process = self.process
            if process is not None and process.poll() is not None and not self._stopping.is_set():
                log.error("rtpengine exited with %s; restarting", process.returncode)
                time.sleep(0.5)
                self._spawn()
                if self.on_restart is not None:
                    self.on_restart()
            self._stopping.wait(0.5)

    def stop(self) -> None:
        self._stopping.set()
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        log.info("rtpengine stopped")


class RtpengineWatch:
    """Asks rtpengine its uptime every `interval` seconds, on a socket of its own. An uptime well below
    what the last answer and the time since predict means rtpengine restarted (spawned by tongdai or
    run as its own service) and forgot every call it had: `on_restart(uptime)`. A silent rtpengine is /health's
    business, not this watch's."""

    def __init__(self, host: str, port: int, on_restart: Callable[[float], None], interval: float = 2.0,
                 clock: Callable[[], float] = time.monotonic):
        self.host, self.port, self.on_restart, self.interval, self.clock = host, port, on_restart, interval, clock
        self.last: tuple[float, float] | None = None  # (uptime it gave, when)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="rtpengine-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(self.interval + 2)
            self._thread = None

    def seen(self, uptime: float) -> bool:
        """Take one answer; True when it says rtpengine started again since the last one."""
        now = self.clock()
        restarted = self.last is not None and uptime < self.last[0] + (now - self.last[1]) - 2
        self.last = (uptime, now)
        return restarted

    def _run(self) -> None:
        client = NgClient(self.host, self.port, timeout=1.0)
        try:
            while not self._stop.is_set():
                try:
                    uptime = float(client.command("statistics")["statistics"]["totalstatistics"]["uptime"])
                except (NgError, OSError, KeyError, TypeError, ValueError):
                    uptime = None
                if uptime is not None and self.seen(uptime):
                    log.error("rtpengine at %s:%d restarted (uptime %.0f s)", self.host, self.port, uptime)
                    self.on_restart(uptime)
                self._stop.wait(self.interval)
        finally:
            client.close()
