"""Benchmark: the call widget's transport, SIP over WebSocket at `/sip`, beside plain UDP in the same run.

`tongdai serve` runs the demo tenant plus N agents. The script is every agent (asyncio; one WebSocket,
or one UDP socket, per agent, which resends a request over UDP as a phone would): first each registers
(REGISTER, 401, REGISTER with its digest, 200), over WebSocket and then over UDP; then the agents place
calls at a fixed rate for a few seconds (INVITE with a plain SDP, 407, INVITE with credentials, 200 from
the SIPp carrier behind the trunk, ACK, 200 ms, BYE), over WebSocket and then over UDP. Media is anchored
by rtpengine on every call (no RTP is sent: signalling is what differs between the transports).
Browsers speak DTLS-SRTP; this client offers plain RTP, which rtpengine passes through.

Run: .venv/bin/python bench/ws_bench.py [--agents 500] [--rate 100] [--seconds 10]
Target (issue #13): >= 500 agents registered over WebSocket and >= 100 calls/s through it.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import re
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import websockets

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))
from switch_bench import cpu_seconds, free_port, serve_demo, stop_switch  # noqa: E402

DOMAIN = "demo.tongdai.local"
PASSWORD = "bench-secret-1"
DEST = "0981234567"


def seed_agents(env: dict, count: int) -> None:
    from tongdai.app.services import agents
    from tongdai.store.db import make_engine
    from tongdai.store.uow import UnitOfWork
    engine = make_engine(f"sqlite:///{env['TONGDAI_DATA_DIR']}/tongdai.db")
    with UnitOfWork(engine) as uow:
        tenant = uow.tenants.where(None, sip_domain=DOMAIN)[0]
        groups = uow.groups.all(tenant.id)
        sales = [g for g in groups if g.name.lower().startswith("sales")] or groups
        for i in range(count):
            agents.create_agent(uow, tenant_id=tenant.id, data={
                "name": f"Bench {i}", "sip_username": f"bench{i}", "sip_password": PASSWORD,
                "extension": f"{5000 + i}", "groups": [sales[0].id]})
    engine.dispose()


def header(message: str, name: str) -> str:
    m = re.search(rf"^{name}:\s*(.*)$", message, re.IGNORECASE | re.MULTILINE)
    return m.group(1).strip() if m else ""


def digest(user: str, method: str, uri: str, challenge: str, proxy: bool) -> str:
    realm = re.search(r'realm="([^"]+)"', challenge).group(1)
    nonce = re.search(r'nonce="([^"]+)"', challenge).group(1)
    ha1 = hashlib.md5(f"{user}:{realm}:{PASSWORD}".encode()).hexdigest()
    ha2 = hashlib.md5(f"{method}:{uri}".encode()).hexdigest()
    response = hashlib.md5(f"{ha1}:{nonce}:{ha2}".encode()).hexdigest()
    name = "Proxy-Authorization" if proxy else "Authorization"
    return (f'{name}: Digest username="{user}",realm="{realm}",nonce="{nonce}",uri="{uri}",'
            f'response="{response}",algorithm=MD5\r\n')


class Agent:
    """One agent's SIP client over a WebSocket or a UDP socket; responses are matched by Call-ID and CSeq."""

    def __init__(self, user: str, transport: str):
        self.user = user
        self.transport = transport
        self.waiting: dict[tuple[str, str], asyncio.Queue] = {}
        self.host = f"{uuid.uuid4().hex[:12]}.invalid" if transport == "ws" else "127.0.0.1"
        self.port = 0
        self.ws = None
        self.udp = None
        self.target = None

    async def open(self, ws_url: str, sip_port: int) -> None:
        loop = asyncio.get_running_loop()
        if self.transport == "ws":
            self.ws = await websockets.connect(ws_url, subprotocols=["sip"], max_queue=None)
            loop.create_task(self._read_ws())
        else:
            self.target = ("127.0.0.1", sip_port)
            agent = self

            class Protocol(asyncio.DatagramProtocol):
                def datagram_received(self, data, addr):
                    agent._received(data.decode(errors="replace"))
            self.udp, _ = await loop.create_datagram_endpoint(Protocol, local_addr=("127.0.0.1", 0))
            self.port = self.udp.get_extra_info("sockname")[1]

    async def _read_ws(self) -> None:
        try:
            async for message in self.ws:
                self._received(message if isinstance(message, str) else message.decode())
        except websockets.ConnectionClosed:
            return

    def _received(self, message: str) -> None:
        if not message.startswith("SIP/2.0"):
            return  # a request to the agent (none in this benchmark)
        cseq = header(message, "CSeq").split()
        queue = self.waiting.get((header(message, "Call-ID"), cseq[0] if cseq else ""))
        if queue is not None:
            queue.put_nowait(message)

    def send(self, message: str) -> None:
        if self.ws is not None:
            asyncio.get_running_loop().create_task(self.ws.send(message))
        else:
            self.udp.sendto(message.encode(), self.target)

    def via(self) -> str:
        kind = "WSS" if self.transport == "ws" else "UDP"
        where = self.host if self.transport == "ws" else f"127.0.0.1:{self.port}"
        return f"Via: SIP/2.0/{kind} {where};rport;branch=z9hG4bK{uuid.uuid4().hex[:16]}\r\n"

    def contact(self) -> str:
        where = f"{self.host};transport=ws" if self.transport == "ws" else f"127.0.0.1:{self.port}"
        return f"Contact: <sip:{self.user}@{where}>\r\n"

    async def request(self, call_id: str, cseq: int, text: str, timeout: float = 10.0) -> str:
        """Send a request and wait for its final response; over UDP it is sent again after 0.5, 1, 2, 4 s
        while nothing has come back (SIP's timer A: a phone does the same), over WebSocket once."""
        key = (call_id, str(cseq))
        queue = self.waiting.setdefault(key, asyncio.Queue())
        self.send(text)
        deadline = time.perf_counter() + timeout
        interval, heard = 0.5, False
        try:
            while True:
                left = deadline - time.perf_counter()
                if left <= 0:
                    raise TimeoutError(text.split(" ", 1)[0])
                try:
                    message = await asyncio.wait_for(queue.get(), min(interval, left))
                except TimeoutError:
                    if self.transport == "udp" and not heard and interval <= 4:
                        self.send(text)
                    interval *= 2
                    continue
                heard = True
                if int(message.split()[1]) >= 200:
                    return message
        finally:
            self.waiting.pop(key, None)

    async def register(self) -> float:
        start = time.perf_counter()
        call_id, tag, uri = uuid.uuid4().hex, uuid.uuid4().hex[:8], f"sip:{DOMAIN}"

        def message(cseq: int, auth: str = "") -> str:
            return (f"REGISTER {uri} SIP/2.0\r\n{self.via()}Max-Forwards: 70\r\n"
                    f"From: <sip:{self.user}@{DOMAIN}>;tag={tag}\r\nTo: <sip:{self.user}@{DOMAIN}>\r\n"
                    f"Call-ID: {call_id}\r\nCSeq: {cseq} REGISTER\r\n{self.contact()}Expires: 600\r\n"
                    f"{auth}Content-Length: 0\r\n\r\n")
        challenge = await self.request(call_id, 1, message(1))
        auth = digest(self.user, "REGISTER", uri, header(challenge, "WWW-Authenticate"), proxy=False)
        final = await self.request(call_id, 2, message(2, auth))
        if not final.startswith("SIP/2.0 200"):
            raise RuntimeError(final.split("\r\n")[0])
        return time.perf_counter() - start

    async def call(self, media_port: int) -> float:
        """One outbound call; the time from the first INVITE to the 200 (the 407 round included)."""
        start = time.perf_counter()
        call_id, tag = uuid.uuid4().hex, uuid.uuid4().hex[:8]
        uri = f"sip:{DEST}@{DOMAIN}"
        sdp = (f"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
               f"m=audio {media_port} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
               "a=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n")

        def invite(cseq: int, via: str, auth: str = "") -> str:
            return (f"INVITE {uri} SIP/2.0\r\n{via}Max-Forwards: 70\r\n"
                    f"From: <sip:{self.user}@{DOMAIN}>;tag={tag}\r\nTo: <sip:{DEST}@{DOMAIN}>\r\n"
                    f"Call-ID: {call_id}\r\nCSeq: {cseq} INVITE\r\n{self.contact()}{auth}"
                    f"Content-Type: application/sdp\r\nContent-Length: {len(sdp)}\r\n\r\n{sdp}")

        def in_dialog(method: str, target: str, to: str, cseq: int, via: str | None = None) -> str:
            return (f"{method} {target} SIP/2.0\r\n{via or self.via()}Max-Forwards: 70\r\n"
                    f"From: <sip:{self.user}@{DOMAIN}>;tag={tag}\r\nTo: {to}\r\nCall-ID: {call_id}\r\n"
                    f"CSeq: {cseq} {method}\r\nContent-Length: 0\r\n\r\n")

        first_via = self.via()
        challenge = await self.request(call_id, 1, invite(1, first_via))
        self.send(in_dialog("ACK", uri, header(challenge, "To"), 1, via=first_via))
        if not challenge.startswith("SIP/2.0 407"):
            raise RuntimeError(challenge.split("\r\n")[0])
        auth = digest(self.user, "INVITE", uri, header(challenge, "Proxy-Authenticate"), proxy=True)
        answer = await self.request(call_id, 2, invite(2, self.via(), auth))
        if not answer.startswith("SIP/2.0 200"):
            raise RuntimeError(answer.split("\r\n")[0])
        setup = time.perf_counter() - start
        target = re.search(r"<([^>]+)>", header(answer, "Contact")).group(1)
        to = header(answer, "To")
        self.send(in_dialog("ACK", target, to, 2))
        await asyncio.sleep(0.2)
        bye = await self.request(call_id, 3, in_dialog("BYE", target, to, 3))
        if not bye.startswith("SIP/2.0 200"):
            raise RuntimeError("BYE: " + bye.split("\r\n")[0])
        return setup

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self.udp is not None:
            self.udp.close()


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else float("nan")


async def registrations(agents: list[Agent], ws_url: str, sip_port: int) -> dict:
    await asyncio.gather(*(a.open(ws_url, sip_port) for a in agents))
    start = time.perf_counter()
    results = await asyncio.gather(*(a.register() for a in agents), return_exceptions=True)
    elapsed = time.perf_counter() - start
    times = [r for r in results if isinstance(r, float)]
    failures = [r for r in results if not isinstance(r, float)]
    return {"ok": len(times), "failed": len(failures), "rate": len(times) / elapsed, "p50": pct(times, 0.5),
            "p95": pct(times, 0.95), "example": repr(failures[0]) if failures else ""}


async def calls(agents: list[Agent], rate: int, seconds: int, pids: dict[str, int]) -> dict:
    cpu0 = {k: cpu_seconds(p) for k, p in pids.items()}
    tasks = []
    start = time.perf_counter()
    for n in range(rate * seconds):
        await asyncio.sleep(max(0.0, start + n / rate - time.perf_counter()))
        tasks.append(asyncio.ensure_future(agents[n % len(agents)].call(40000 + 2 * (n % 5000))))
    placed = time.perf_counter() - start
    results = await asyncio.gather(*tasks, return_exceptions=True)
    elapsed = time.perf_counter() - start
    setups = [r for r in results if isinstance(r, float)]
    failures = [r for r in results if not isinstance(r, float)]
    cpu = {k: (cpu_seconds(p) - cpu0[k]) / elapsed * 100 for k, p in pids.items()}
    return {"ok": len(setups), "failed": len(failures), "offered_rate": len(results) / placed,
            "p50": pct(setups, 0.5), "p95": pct(setups, 0.95), "cpu": cpu,
            "example": repr(failures[0]) if failures else ""}


async def main_async(args: argparse.Namespace, served: dict, work: Path) -> None:
    ws_url = f"ws://127.0.0.1:{served['http_port']}/sip"
    pids = {"tongdai": served["server"].pid, "rtpengine": served["rtpengine_pid"]}
    report = {}
    for transport in ("ws", "udp"):
        agents = [Agent(f"bench{i}", transport) for i in range(args.agents)]
        report[transport] = {"register": await registrations(agents, ws_url, served["sip_port"])}
        uas = subprocess.Popen(["sipp", "-sf", str(HERE / "scenarios" / "carrier.xml"), "-i", "127.0.0.1",
                                "-p", str(served["carrier_port"]), "-nostdin"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=work)
        await asyncio.sleep(0.5)
        report[transport]["calls"] = await calls(agents, args.rate, args.seconds, pids)
        uas.terminate()
        uas.wait(timeout=10)
        await asyncio.gather(*(a.close() for a in agents))
        await asyncio.sleep(1.0)
    print(f"\n{args.agents} agents; calls at {args.rate}/s for {args.seconds} s; 2 cores\n")
    print(f"{'':34}{'WebSocket':>24}{'UDP (baseline)':>24}")
    for label, key, fmt in (("registered", ("register", "ok"), "{:d}"),
                            ("registration failures", ("register", "failed"), "{:d}"),
                            ("registrations/s (all at once)", ("register", "rate"), "{:.0f}"),
                            ("REGISTER+digest p50 / p95 ms", None, None),
                            ("calls completed", ("calls", "ok"), "{:d}"),
                            ("calls failed", ("calls", "failed"), "{:d}"),
                            ("calls placed per second", ("calls", "offered_rate"), "{:.0f}"),
                            ("call setup p50 / p95 ms", None, None),
                            ("CPU % tongdai / rtpengine", None, None)):
        cells = []
        for transport in ("ws", "udp"):
            r = report[transport]
            if label.startswith("REGISTER"):
                cells.append(f"{r['register']['p50']:.0f} / {r['register']['p95']:.0f}")
            elif label.startswith("call setup"):
                cells.append(f"{r['calls']['p50']:.0f} / {r['calls']['p95']:.0f}")
            elif label.startswith("CPU"):
                cells.append(f"{r['calls']['cpu']['tongdai']:.0f} / {r['calls']['cpu']['rtpengine']:.0f}")
            else:
                cells.append(fmt.format(r[key[0]][key[1]]))
        print(f"{label:34}{cells[0]:>24}{cells[1]:>24}")
    for transport in ("ws", "udp"):
        for step in ("register", "calls"):
            if report[transport][step]["example"]:
                print(f"  {transport} {step} failure, e.g.: {report[transport][step]['example']}")
    ws = report["ws"]
    met = ws["register"]["ok"] >= 500 and ws["calls"]["offered_rate"] >= 100 and \
        ws["calls"]["failed"] <= 0.01 * (ws["calls"]["ok"] + ws["calls"]["failed"])
    print(f"\ntarget (>= 500 registered over WebSocket, >= 100 calls/s through it, < 1 % failed): "
          f"{'met' if met else 'NOT met'}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--agents", type=int, default=500)
    ap.add_argument("--rate", type=int, default=100)
    ap.add_argument("--seconds", type=int, default=10)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        carrier_port = free_port()
        served = serve_demo(work, carrier_port, lambda env: seed_agents(env, args.agents))
        served["carrier_port"] = carrier_port
        served["http_port"] = int(served["env"]["TONGDAI_HTTP_ADDR"].rsplit(":", 1)[1])
        try:
            asyncio.run(main_async(args, served, work))
        finally:
            stop_switch(served["server"], work)


if __name__ == "__main__":
    main()
