"""Real processes on loopback for the switch tests: `tongdai serve` (HTTP + SIP + rtpengine) with the
demo tenant, SIPp peers, and helpers to read the call log."""

from __future__ import annotations

import json
import os
import signal
import socket
import string
import subprocess
import sys
import time
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent / "tongdai"
SCENARIOS = Path(__file__).parent / "scenarios"
DOMAIN = "demo.tongdai.local"
PASSWORD = "demo-secret-1"


def free_port(kind=socket.SOCK_DGRAM) -> int:
    """A port free for both UDP and TCP on loopback."""
    while True:
        with socket.socket(socket.AF_INET, kind) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t, \
                    socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                t.bind(("127.0.0.1", port))
                u.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue


class Server:
    """One `tongdai serve` process with its own ports and data directory."""

    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        self.carrier_port = free_port()
        rtp = 20000 + (os.getpid() % 500) * 40
        self.env = {**os.environ, "TONGDAI_DATA_DIR": str(data_dir),
                    "TONGDAI_RTP_PORTS": f"{rtp}-{rtp + 39}", "TONGDAI_LOG_LEVEL": "warning",
                    # the carriers here are SIPp scenarios that take INVITEs only; test_trunk_health checks trunks
                    "TONGDAI_TRUNK_CHECK_SECONDS": "0", "TONGDAI_DEMO_CARRIER": "off"}
        self.env.pop("TONGDAI_DATABASE_URL", None)
        self.choose_ports()
        self.proc: subprocess.Popen | None = None
        self.log_path = data_dir / "serve.log"
        self.demo()

    def choose_ports(self) -> None:
        """Free ports for SIP, HTTP and rtpengine's control socket, written into the server's settings."""
        self.sip_port, self.http_port, self.ng_port = free_port(), free_port(), free_port()
        self.env.update({"TONGDAI_SIP_ADDR": f"127.0.0.1:{self.sip_port}",
                         "TONGDAI_HTTP_ADDR": f"127.0.0.1:{self.http_port}",
                         "TONGDAI_RTPENGINE_NG": f"127.0.0.1:{self.ng_port}"})
        self.api = f"http://127.0.0.1:{self.http_port}/api/v1"

    def demo(self) -> None:
        """The demo tenant in this server's database, and its keys."""
        self.keys = json.loads(subprocess.run([str(BIN), "demo"], env=self.env, capture_output=True, text=True,
                                              check=True).stdout)
        self.admin = {"Authorization": f"Bearer {self.keys['admin_key']}"}
        self.operator = {"Authorization": f"Bearer {self.keys['operator_key']}"}

    def start(self, attempts: int = 3) -> Server:
        """Start `tongdai serve`. A port chosen free can be taken by another process's ephemeral socket
        before the server binds it; then the server says so and exits, and new ports are chosen."""
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([str(BIN), "serve"], env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                log = self.read_log()
                if attempts > 1 and "address already in use" in log[-2000:]:
                    self.log.close()
                    self.log_path.rename(self.log_path.with_suffix(f".port-clash-{attempts}.log"))
                    self.choose_ports()
                    return self.start(attempts - 1)
                raise RuntimeError(f"tongdai serve exited: {log[-2000:]}")
            try:
                if httpx.get(self.api + "/health", timeout=1).status_code == 200 and self.options_ok():
                    break
            except httpx.TransportError:  # not listening yet
                time.sleep(0.1)
            time.sleep(0.2)
        else:
            raise RuntimeError("tongdai serve did not come up")
        # point the demo trunk at this test's carrier (a SIPp UAS on its own port)
        trunk = self.get("/trunks", headers=self.operator)["items"][0]
        r = httpx.patch(f"{self.api}/trunks/{trunk['id']}", headers=self.operator, json={
            "port": self.carrier_port, "source_addresses": [f"127.0.0.1:{self.carrier_port}"]})
        assert r.status_code == 200, r.text
        time.sleep(0.3)  # the switch reloads its configuration in the background
        return self

    def options_ok(self) -> bool:
        msg = (f"OPTIONS sip:{DOMAIN} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK{time.time_ns()}\r\n"
               f"From: <sip:probe@{DOMAIN}>;tag=p\r\nTo: <sip:{DOMAIN}>\r\nCall-ID: probe{time.time_ns()}\r\n"
               "CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n")
        return sip_exchange(self.sip_port, msg).startswith("SIP/2.0 200")

    def get(self, path: str, headers=None, **params):
        r = httpx.get(self.api + path, headers=headers or self.admin, params=params, timeout=10)
        assert r.status_code == 200, r.text
        return r.json()

    def calls(self, **params) -> list[dict]:
        return self.get("/calls", **params)["items"]

    def wait_call(self, predicate, timeout: float = 10.0) -> dict:
        """The newest call row that satisfies `predicate`, waiting for the log writer."""
        deadline = time.monotonic() + timeout
        while True:
            rows = [c for c in self.calls(limit=20) if predicate(c)]
            if rows:
                return rows[0]
            if time.monotonic() > deadline:
                raise AssertionError(f"no matching call in {self.calls(limit=5)}")
            time.sleep(0.1)

    def read_log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, sig=signal.SIGINT) -> int:
        if self.proc is None:
            return 0
        self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self.proc = None
        self.log.close()
        return code


def stop_cleanly(server: Server) -> None:
    """Stop the server and check that tongdai's own code logged no error meanwhile (sippy prints a
    traceback for each malformed datagram it drops; tongdai's errors go through its loggers)."""
    assert server.stop() == 0
    log = server.read_log()
    for marker in ("ERROR tongdai", "error handling", "Exception in ASGI"):
        assert marker not in log, log[-3000:]


def sip_exchange(port: int, message: str, timeout: float = 2.0, source_port: int = 0) -> str:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.bind(("127.0.0.1", source_port))
        message = message.replace("127.0.0.1:9;", f"127.0.0.1:{s.getsockname()[1]};")
        s.sendto(message.encode(), ("127.0.0.1", port))
        try:
            return s.recv(65535).decode(errors="replace")
        except TimeoutError:
            return ""


class Sipp:
    """A SIPp process running one scenario from tests/sip/scenarios."""

    running: list[Sipp] = []  # every SIPp started, so a test's leftovers can be stopped after it

    def __init__(self, scenario: str, *, port: int, target: int | None = None, keys: dict | None = None,
                 calls: int = 1, extra: list[str] = (), workdir: Path, **template: str):
        self.workdir = workdir
        self.name = f"{scenario}-{port}"
        text = string.Template((SCENARIOS / f"{scenario}.xml").read_text()).safe_substitute(template)
        path = workdir / f"{self.name}.xml"
        path.write_text(text)
        args = ["sipp"]
        if target:
            args.append(f"127.0.0.1:{target}")
        args += ["-sf", str(path), "-i", "127.0.0.1", "-p", str(port), "-m", str(calls),
                 "-nostdin", "-timeout", "20s", "-trace_err", "-error_file", str(workdir / f"{self.name}.err"),
                 "-trace_msg", "-message_file", str(workdir / f"{self.name}.msg")]
        for k, v in (keys or {}).items():
            args += ["-key", k, str(v)]
        if "-au" in extra and keys and "domain" in keys:
            # the digest uri is the Request-URI (RFC 3261; tongdai checks it): SIPp's default is its peer's address
            uri = keys["domain"] if scenario == "register" else f"{keys.get('dest', '')}@{keys['domain']}"
            args += ["-auth_uri", uri]
        args += list(extra)
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=workdir)
        Sipp.running.append(self)

    def wait(self, timeout: float = 30) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return -9

    def messages(self) -> str:
        path = self.workdir / f"{self.name}.msg"
        return path.read_text(errors="replace") if path.exists() else ""

    def errors(self) -> str:
        path = self.workdir / f"{self.name}.err"
        return path.read_text(errors="replace") if path.exists() else ""


def agent(scenario: str, server: Server, workdir: Path, *, user: str = "an", password: str = PASSWORD,
          keys: dict | None = None, **template: str) -> Sipp:
    keys = {"domain": DOMAIN, "user": user, "caller": "", "dest": "0981234567", **(keys or {})}
    return Sipp(scenario, port=free_port(), target=server.sip_port, workdir=workdir, keys=keys,
                extra=["-au", user, "-ap", password], **template)


def carrier(server: Server, workdir: Path, flow: str) -> Sipp:
    return Sipp("carrier", port=server.carrier_port, workdir=workdir, flow=flow)


def agent_id(server: Server, username: str) -> str:
    return server.get("/agents", sip_username=username)["items"][0]["id"]


def ok(sipp: Sipp, what: str = "SIPp") -> None:
    """The SIPp process ended its scenario without a failed call."""
    code = sipp.wait()
    assert code == 0, f"{what} exited {code}: {sipp.errors()[-2000:]}"


def wait_state(server: Server, agent: str, state: str, timeout: float = 5.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        status = server.get(f"/agents/{agent}/status")
        if status["state"] == state or time.monotonic() > deadline:
            assert status["state"] == state, status
            return status
        time.sleep(0.1)


def register_phone(server: Server, tmp_path, user: str, state: str = "available") -> int:
    """Register the agent's phone on a free port; then wait until the agent is in `state` (a call waiting
    in its queue makes it ringing at once)."""
    port = free_port()
    ok(Sipp("register", port=port, target=server.sip_port, workdir=tmp_path, final="200",
            keys={"domain": DOMAIN, "user": user}, extra=["-au", user, "-ap", "demo-secret-1"]))
    wait_state(server, agent_id(server, user), state)
    return port


def rtp_packets_per_leg(ng_port: int, running: subprocess.Popen, timeout: float = 15) -> dict[str, int]:
    """While `running` runs: the most RTP packets rtpengine has received on each leg (by tag)."""
    from tongdai.media.rtpengine import NgClient
    ng = NgClient("127.0.0.1", ng_port)
    seen: dict[str, int] = {}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and running.poll() is None:
        for call_id in ng.command("list").get("calls", []):
            for tag, info in ng.query(call_id).get("tags", {}).items():
                packets = sum(int(stream.get("stats", {}).get("packets", 0))
                              for media in info.get("medias", []) for stream in media.get("streams", []))
                seen[tag] = max(seen.get(tag, 0), packets)
        time.sleep(0.2)
    return seen
