"""Benchmark: concurrent IVR calls through `tongdai serve` and rtpengine, every caller hearing its prompts
and pressing keys; beside it, in the same run, plain inbound calls (hotline → queue → agent) for the CPU
per call.

The carrier and its customers are this script: one asyncio SIP user agent on the trunk's port places every
call (INVITE with SDP, ACK, 200 to tongdai's BYE), and each call has its own RTP socket that hears the
prompts (PCMU packets carrying sound are counted) and sends the keys as RFC 4733 events. The IVR tree:
the root menu maps 1-9 to nodes `n1`…`n9`, each of which hangs up on any key. Each caller waits for the
root prompt, presses a random key d1, hears node n{d1}'s prompt, presses a random d2, and tongdai hangs
up. Key → action is measured on that last key: from the first RTP packet of the event leaving the caller
to tongdai's BYE arriving (rtpengine's DTMF report, the walk, the BYE). Afterwards the call log is read
back: a call whose row does not show exactly the keys pressed and the node they lead to is a lost or
misrouted digit.

The plain inbound calls are SIPp's (bench/inbound_bench.py's step: INVITE, ringback, an agent's phone
answers, 100 ms, BYE), as many as IVR calls, at the same rate.

Run: .venv/bin/python bench/ivr_bench.py [--calls 300] [--rate 150] [--agents 200]
Target (issue #11): at least 300 concurrent IVR calls on this 2-core machine, zero lost or misrouted
digits, key → action p95 <= 150 ms; CPU per IVR call stated beside a plain inbound call.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import re
import socket
import struct
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from inbound_bench import register_agents, run_step  # noqa: E402
from inbound_bench import seed as seed_inbound  # noqa: E402
from switch_bench import cpu_seconds, free_port, serve_demo, stop_switch  # noqa: E402

IVR_HOTLINE = "+84981888888"
LISTEN_ROOT = 3.0  # seconds a caller listens to the root prompt before its first key
LISTEN_NODE = 0.6  # and to the node's prompt before its second


def seed(env: dict, agents: int) -> None:
    """The plain inbound set-up (bench/inbound_bench.py) plus an IVR hotline with a two-level menu."""
    from tongdai.app.services import hotlines, ivr, operator
    from tongdai.store.db import make_engine
    from tongdai.store.uow import UnitOfWork
    seed_inbound(env, agents)
    engine = make_engine(f"sqlite:///{env['TONGDAI_DATA_DIR']}/tongdai.db")
    with UnitOfWork(engine) as uow:
        tenant = uow.tenants.where(None, sip_domain="demo.tongdai.local")[0]
        trunk = uow.trunks.all()[0]
        queue = uow.queues.all(tenant.id)[0]
        nodes = [{"id": "menu", "timeout_seconds": 15, "prompt": {"type": "tts", "language": "vi", "text": (
            "Xin chào quý khách. Bấm phím một đến chín để chọn phòng ban quý khách cần gặp.")},
            "branches": {str(k): {"type": "node", "node_id": f"n{k}"} for k in range(1, 10)}}]
        nodes += [{"id": f"n{k}", "timeout_seconds": 15, "prompt": {"type": "tts", "language": "vi", "text": (
            f"Quý khách đã chọn phòng số {k}. Bấm phím bất kỳ để kết thúc cuộc gọi.")},
            "branches": {str(d): {"type": "hangup"} for d in range(10)}} for k in range(1, 10)]
        tree = ivr.create_ivr_tree(uow, tenant_id=tenant.id, data={"name": "Bench IVR", "root_node_id": "menu",
                                                                    "nodes": nodes})
        operator.add_inventory_number(uow, data={"number": IVR_HOTLINE, "country": "VN", "line_type": "mobile",
                                                 "carrier": "viettel", "trunk_id": trunk.id})
        hotlines.create_hotline(uow, tenant_id=tenant.id, now=datetime.now(UTC), data={
            "number_type": "carrier", "country": "VN", "line_type": "mobile", "number": IVR_HOTLINE,
            "name": "Bench IVR", "queue_id": queue.id, "ivr_enabled": True, "ivr_tree_id": tree.id})
    engine.dispose()


# -- the carrier: one SIP socket, one RTP socket per call ---------------------------------------------

class Carrier(asyncio.DatagramProtocol):
    def __init__(self, port: int, switch_port: int):
        self.port, self.switch = port, ("127.0.0.1", switch_port)
        self.calls: dict[str, Call] = {}
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport

    def send(self, text: str, to: tuple[str, int] | None = None) -> None:
        assert self.transport is not None
        self.transport.sendto(text.encode(), to or self.switch)

    def datagram_received(self, data: bytes, addr) -> None:
        text = data.decode(errors="replace")
        head, _, body = text.partition("\r\n\r\n")
        lines = head.split("\r\n")
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers.setdefault(name.strip().lower(), value.strip())
        call = self.calls.get(headers.get("call-id", ""))
        if call is None:
            return
        if lines[0].startswith("SIP/2.0"):
            call.response(int(lines[0].split()[1]), headers, body)
        elif lines[0].startswith("BYE"):
            call.bye_at = call.bye_at or time.monotonic()
            vias = "".join(f"{line}\r\n" for line in lines[1:] if line.lower().startswith("via:"))
            self.send(f"SIP/2.0 200 OK\r\n{vias}From: {headers['from']}\r\nTo: {headers['to']}\r\n"
                      f"Call-ID: {headers['call-id']}\r\nCSeq: {headers['cseq']}\r\nContent-Length: 0\r\n\r\n", addr)
            call.ended.set()
        elif lines[0].startswith(("OPTIONS", "UPDATE")):
            vias = "".join(f"{line}\r\n" for line in lines[1:] if line.lower().startswith("via:"))
            self.send(f"SIP/2.0 200 OK\r\n{vias}From: {headers['from']}\r\nTo: {headers['to']}\r\n"
                      f"Call-ID: {headers['call-id']}\r\nCSeq: {headers['cseq']}\r\nContent-Length: 0\r\n\r\n", addr)


class Call:
    def __init__(self, carrier: Carrier, n: int, rng: random.Random):
        self.carrier, self.n = carrier, n
        self.customer = f"0987{n:06d}"
        self.call_id = f"ivr-bench-{n}-{os.getpid()}"
        self.tag = f"t{n}"
        self.keys = (str(rng.randint(1, 9)), str(rng.randint(0, 9)))
        self.rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.rtp.bind(("127.0.0.1", 0))
        self.rtp.setblocking(False)
        self.answered = asyncio.Event()
        self.ended = asyncio.Event()
        self.to_tag = self.remote = self.media = None
        self.heard = [0, 0]  # packets carrying sound: of the root prompt, of the node's
        self.key_at: float | None = None
        self.bye_at: float | None = None
        self.up_at: float | None = None
        self.failure: str | None = None
        self.seq, self.ts = rng.randint(0, 30000), rng.randint(0, 1 << 30)
        self.ssrc = rng.randint(1, 1 << 31)

    def invite(self) -> None:
        c = self.carrier
        sdp = (f"v=0\r\no=- {self.n} 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
               f"m=audio {self.rtp.getsockname()[1]} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
               "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n")
        c.send(f"INVITE sip:{IVR_HOTLINE[1:]}@127.0.0.1:{c.switch[1]} SIP/2.0\r\n"
               f"Via: SIP/2.0/UDP 127.0.0.1:{c.port};branch=z9hG4bK{self.call_id}i;rport\r\n"
               f"From: <sip:{self.customer}@carrier.example>;tag={self.tag}\r\n"
               f"To: <sip:{IVR_HOTLINE[1:]}@127.0.0.1>\r\nCall-ID: {self.call_id}\r\nCSeq: 1 INVITE\r\n"
               f"Contact: <sip:{self.customer}@127.0.0.1:{c.port}>\r\nMax-Forwards: 70\r\n"
               f"Content-Type: application/sdp\r\nContent-Length: {len(sdp)}\r\n\r\n{sdp}")

    def response(self, status: int, headers: dict[str, str], body: str) -> None:
        if status < 200:
            return
        if status >= 300:
            self.failure = self.failure or f"INVITE answered {status}"
            self.ended.set()
            return
        tag = re.search(r"tag=([^;>\s]+)", headers.get("to", ""))
        self.to_tag = tag.group(1) if tag else ""
        contact = re.search(r"<sip:[^@>]*@?([\d.]+):(\d+)", headers.get("contact", ""))
        self.remote = (contact.group(1), int(contact.group(2))) if contact else self.carrier.switch
        media = re.search(r"c=IN IP4 (\S+).*?m=audio (\d+)", body, re.S)
        if media:
            self.media = (media.group(1), int(media.group(2)))
        c = self.carrier
        c.send(f"ACK sip:{IVR_HOTLINE[1:]}@{self.remote[0]}:{self.remote[1]} SIP/2.0\r\n"
               f"Via: SIP/2.0/UDP 127.0.0.1:{c.port};branch=z9hG4bK{self.call_id}a;rport\r\n"
               f"From: <sip:{self.customer}@carrier.example>;tag={self.tag}\r\n"
               f"To: <sip:{IVR_HOTLINE[1:]}@127.0.0.1>;tag={self.to_tag}\r\nCall-ID: {self.call_id}\r\n"
               f"CSeq: 1 ACK\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n", self.remote)
        if not self.answered.is_set():
            self.up_at = time.monotonic()
            self.answered.set()

    async def hear(self, which: int, packets: int, timeout: float) -> None:
        """Read the RTP socket until `packets` packets carrying sound arrived (or `timeout`)."""
        loop = asyncio.get_running_loop()
        done = loop.create_future()

        def readable() -> None:
            while True:
                try:
                    data = self.rtp.recv(2048)
                except BlockingIOError:
                    return
                if len(data) > 12 and data[1] & 0x7F == 0 and len(set(data[12:])) > 8:
                    self.heard[which] += 1
                    if self.heard[which] >= packets and not done.done():
                        done.set_result(None)

        loop.add_reader(self.rtp.fileno(), readable)
        try:
            with contextlib.suppress(TimeoutError):  # a caller that heard too little is counted afterwards
                await asyncio.wait_for(done, timeout)
        finally:
            loop.remove_reader(self.rtp.fileno())

    async def press(self, key: str) -> float:
        """An RFC 4733 event: start, continuation, end (sent three times); returns when it began."""
        assert self.media is not None
        event = "0123456789*#".index(key)
        self.ts += 8000
        began = time.monotonic()
        for n, (duration, end) in enumerate(((160, False), (320, False), (480, True), (480, True), (480, True))):
            self.seq = (self.seq + 1) & 0xFFFF
            header = struct.pack("!BBHII", 0x80, (0x80 if n == 0 else 0) | 101, self.seq, self.ts, self.ssrc)
            payload = struct.pack("!BBH", event, (0x80 if end else 0) | 10, duration)
            self.rtp.sendto(header + payload, self.media)
            if n < 2:
                await asyncio.sleep(0.02)
        return began

    async def run(self) -> None:
        for _attempt in range(4):  # the INVITE again if nothing answers in a second (UDP)
            self.invite()
            try:
                await asyncio.wait_for(self.answered.wait(), 1.0)
                break
            except TimeoutError:
                if self.ended.is_set():
                    return
        else:
            self.failure = "not answered"
            return
        started = time.monotonic()
        await self.hear(0, 20, 5.0)
        await asyncio.sleep(max(0.0, LISTEN_ROOT - (time.monotonic() - started)))
        await self.press(self.keys[0])
        started = time.monotonic()
        await self.hear(1, 10, 5.0)
        await asyncio.sleep(max(0.0, LISTEN_NODE - (time.monotonic() - started)))
        self.key_at = await self.press(self.keys[1])
        try:
            await asyncio.wait_for(self.ended.wait(), 5.0)
        except TimeoutError:
            self.failure = "no BYE within 5 s of the last key"
        self.rtp.close()


async def drive(sip_port: int, carrier_port: int, calls: int, rate: float) -> tuple[list[Call], int]:
    loop = asyncio.get_running_loop()
    carrier = Carrier(carrier_port, sip_port)
    await loop.create_datagram_endpoint(lambda: carrier, local_addr=("127.0.0.1", carrier_port))
    rng = random.Random(11)
    every: list[Call] = []
    tasks = []
    peak = 0

    async def watch() -> None:
        nonlocal peak
        while True:
            up = sum(1 for c in every if c.up_at is not None and not c.ended.is_set())
            peak = max(peak, up)
            await asyncio.sleep(0.05)

    watcher = asyncio.create_task(watch())
    t0 = time.monotonic()
    for n in range(calls):
        await asyncio.sleep(max(0.0, t0 + n / rate - time.monotonic()))
        call = Call(carrier, n, rng)
        carrier.calls[call.call_id] = call
        every.append(call)
        tasks.append(asyncio.create_task(call.run()))
    await asyncio.gather(*tasks)
    watcher.cancel()
    assert carrier.transport is not None
    carrier.transport.close()
    return every, peak


def rows_by_customer(db: Path, since: datetime) -> dict[str, dict]:
    from sqlalchemy import create_engine, select

    from tongdai.store import tables as t
    engine = create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        rows = [r._asdict() for r in conn.execute(select(t.calls).where(
            t.calls.c.direction == "inbound", t.calls.c.started_at >= since))]
    engine.dispose()
    return {r["customer_number"]: r for r in rows}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=300)
    ap.add_argument("--rate", type=float, default=150, help="new calls per second")
    ap.add_argument("--agents", type=int, default=200, help="agents answering the plain inbound calls")
    ap.add_argument("--keep", help="keep logs in this directory")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(args.keep or tmp)
        work.mkdir(parents=True, exist_ok=True)
        carrier_port, phones_port = free_port(), free_port()
        switch = serve_demo(work, carrier_port, lambda env: seed(env, args.agents))
        server, sip_port, rtpengine_pid = switch["server"], switch["sip_port"], switch["rtpengine_pid"]
        pids = (server.pid, rtpengine_pid)
        try:
            time.sleep(2)  # the prompts are spoken into files when the switch takes the configuration
            print(f"tongdai serve (pid {server.pid}) + rtpengine (pid {rtpengine_pid}); {args.calls} IVR calls "
                  f"at {args.rate:g}/s, each: root prompt {LISTEN_ROOT} s, key, node prompt {LISTEN_NODE} s, key, "
                  "hang-up", flush=True)
            since = datetime.now(UTC)
            before = [cpu_seconds(p) for p in pids]
            t0 = time.monotonic()
            calls, peak = asyncio.run(drive(sip_port, carrier_port, args.calls, args.rate))
            wall = time.monotonic() - t0
            ivr_cpu = [cpu_seconds(p) - b for p, b in zip(pids, before, strict=True)]
            time.sleep(1.5)  # the call-log writer catches up
            rows = rows_by_customer(work / "data" / "tongdai.db", since)
            lost = misrouted = 0
            problems: list[str] = []
            for c in calls:
                row = rows.get("+84" + c.customer[1:])
                if c.failure or row is None:
                    lost += 1
                    problems.append(f"{c.customer}: {c.failure or 'no call row'}")
                    continue
                keys, path = list(row["ivr_keys"] or []), list(row["ivr_path"] or [])
                if keys != list(c.keys) or path != ["menu", f"n{c.keys[0]}"] or row["end_reason"] != "ivr_hangup":
                    if len(keys) < 2:
                        lost += 1
                    else:
                        misrouted += 1
                    problems.append(f"{c.customer}: pressed {c.keys}, logged keys {keys} path {path} "
                                    f"{row['end_reason']}")
            latencies = sorted((c.bye_at - c.key_at) * 1000 for c in calls
                               if c.key_at is not None and c.bye_at is not None and c.bye_at > c.key_at)
            heard_root = sum(1 for c in calls if c.heard[0] >= 20)
            heard_node = sum(1 for c in calls if c.heard[1] >= 10)

            def q(p: float) -> float:
                return latencies[min(len(latencies) - 1, int(p * len(latencies)))] if latencies else float("nan")

            print(f"  IVR: {len(calls)} calls, peak {peak} up at once, {heard_root} heard the menu and {heard_node} "
                  f"their node's prompt; lost digits {lost}, misrouted {misrouted}; key -> action (BYE) p50 "
                  f"{q(0.5):.0f} ms, p95 {q(0.95):.0f} ms, max {q(1.0):.0f} ms; {wall:.1f} s", flush=True)
            for line in problems[:10]:
                print("    " + line)
            print(f"  CPU per IVR call: tongdai {1000 * ivr_cpu[0] / len(calls):.1f} ms, rtpengine "
                  f"{1000 * ivr_cpu[1] / len(calls):.1f} ms (each call ~{LISTEN_ROOT + LISTEN_NODE + 0.5:.1f} s of "
                  "prompts played)", flush=True)

            # the baseline, in the same run: plain inbound calls, hotline -> queue -> agent
            register_agents(sip_port, phones_port, args.agents, work)
            time.sleep(2)
            seconds = max(1, round(args.calls / args.rate))
            before = [cpu_seconds(p) for p in pids]
            plain = run_step(sip_port, phones_port, carrier_port, round(args.rate), seconds, work, "plain")
            plain_cpu = [cpu_seconds(p) - b for p, b in zip(pids, before, strict=True)]
            n = plain["calls"]
            print(f"  plain inbound (hotline -> queue -> agent, 100 ms talk): {n} calls, {plain['ok']} ok, "
                  f"{plain['failed']} failed; CPU per call: tongdai {1000 * plain_cpu[0] / n:.1f} ms, rtpengine "
                  f"{1000 * plain_cpu[1] / n:.1f} ms", flush=True)
        finally:
            stop_switch(server, work)
    met = peak >= 300 and lost == 0 and misrouted == 0 and q(0.95) <= 150
    print(f"\ntarget (>= 300 concurrent, zero lost or misrouted digits, key -> action p95 <= 150 ms): "
          f"{'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
