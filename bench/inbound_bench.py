"""Benchmark: inbound calls per second through `tongdai serve`: carrier → hotline → queue → agent.

SIPp plays the carrier: a customer's INVITE to a hotline, ringback, answer, ACK, a short talk, BYE.
200 agents, all in one group of one `longest_idle` queue, are registered through a SIPp scenario
(REGISTER, 401, REGISTER with digest, from one port); then a SIPp UAS on that port answers every
agent's phone. The hotline's wrap-up is 1 s, so each agent takes a call, wraps up, and only then may
be offered another. rtpengine anchors every call.

After each step the call log and the agents' state history are read back from the database to count
misrouted calls: an agent offered a call while it had one (or was wrapping up), an offer to an agent
whose state was not `available`, or a call ringing two agents at once (a call may be offered to a
second agent after the first one's phone rang out or refused; that is counted, not misrouted).

The baseline, in the same run: the same SIPp peers through a bare sippy B2BUA that forwards each
INVITE straight to the agents' port (bench/bare_b2bua.py --inbound: no queue, states, media or log).

Run: .venv/bin/python bench/inbound_bench.py [--rates 100,150,200] [--seconds 10] [--agents 200]
Target (issue #5): at least 150 inbound calls/s with under 1 % failed and zero misrouted.
Capacity note: with 1 s wrap-up (ended by a 250 ms tick) and ~0.1 s per call, 200 agents serve at
most about 200 / 1.2 ≈ 165 calls/s; above that calls wait in the queue for a free agent.
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from switch_bench import HERE, cpu_seconds, free_port, response_times, serve_demo, stop_switch  # noqa: E402

HOTLINE = "+84981999999"
PASSWORD = "bench-secret-1"
WRAP_UP = 1  # seconds; --wrap-up changes it


def seed(env: dict, agents: int) -> None:
    """A Bench group with `agents` agents, a longest_idle queue over it, and a hotline to it."""
    from tongdai.app.services import agents as agent_service
    from tongdai.app.services import groups, hotlines, operator, queues
    from tongdai.store.db import make_engine
    from tongdai.store.uow import UnitOfWork
    engine = make_engine(f"sqlite:///{env['TONGDAI_DATA_DIR']}/tongdai.db")
    with UnitOfWork(engine) as uow:
        tenant = uow.tenants.where(None, sip_domain="demo.tongdai.local")[0]
        trunk = uow.trunks.all()[0]
        group = groups.create_group(uow, tenant_id=tenant.id, data={"name": "Bench"})
        queue = queues.create_queue(uow, tenant_id=tenant.id, data={
            "name": "Bench", "groups": [{"group_id": group.id, "priority": 1}], "strategy": "longest_idle",
            "ring_timeout_seconds": 5, "max_wait_seconds": 60, "max_wait_action": {"type": "hangup"}})
        for i in range(agents):
            agent_service.create_agent(uow, tenant_id=tenant.id, data={
                "name": f"Bench agent {i}", "sip_username": f"bench{i:03d}", "sip_password": PASSWORD,
                "extension": f"{3000 + i}", "groups": [group.id]})
        operator.add_inventory_number(uow, data={"number": HOTLINE, "country": "VN", "line_type": "mobile",
                                                 "carrier": "viettel", "trunk_id": trunk.id})
        hotlines.create_hotline(uow, tenant_id=tenant.id, now=datetime.now(UTC), data={
            "number_type": "carrier", "country": "VN", "line_type": "mobile", "number": HOTLINE,
            "name": "Bench inbound", "queue_id": queue.id, "wrap_up_seconds": WRAP_UP, "notify_answer_seconds": 0})
    engine.dispose()


def register_agents(sip_port: int, phones_port: int, agents: int, work: Path) -> None:
    """Every agent registers its phone (all on `phones_port`) through the SIPp scenario."""
    inf = work / "agents.csv"
    inf.write_text("SEQUENTIAL\n" + "".join(
        f"bench{i:03d};[authentication username=bench{i:03d} password={PASSWORD}]\n" for i in range(agents)))
    subprocess.run(["sipp", f"127.0.0.1:{sip_port}", "-sf", str(HERE / "scenarios" / "register_agents.xml"),
                    "-inf", str(inf), "-auth_uri", "demo.tongdai.local",  # the digest uri is the Request-URI
                    "-i", "127.0.0.1", "-p", str(phones_port), "-m", str(agents), "-r", "100",
                    "-nostdin", "-timeout", "30s", "-trace_err", "-error_file", str(work / "register.err")],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=work, check=True, timeout=60)


def run_step(target_port: int, phones_port: int, carrier_port: int, rate: int, seconds: int, work: Path,
             label: str) -> dict:
    calls = rate * seconds
    # every agent's phone does what the carrier's UAS of the outbound benchmark does: ring, answer, wait for BYE
    phones = subprocess.Popen(["sipp", "-sf", str(HERE / "scenarios" / "carrier.xml"), "-i", "127.0.0.1",
                               "-p", str(phones_port), "-nostdin", "-trace_err", "-error_file",
                               str(work / f"{label}-{rate}-phones.err")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=work)
    time.sleep(0.5)
    stat = work / f"{label}-{rate}.csv"
    started = datetime.now(UTC)
    args = ["sipp", f"127.0.0.1:{target_port}", "-sf", str(HERE / "scenarios" / "customer.xml"), "-i", "127.0.0.1",
            "-p", str(carrier_port), "-r", str(rate), "-m", str(calls), "-l", str(rate * 20), "-nostdin",
            "-key", "hotline", HOTLINE[1:], "-recv_timeout", "20000",
            "-trace_stat", "-stf", str(stat), "-fd", "1", "-trace_rtt", "-rtt_freq", "1",
            "-trace_err", "-error_file", str(work / f"{label}-{rate}-customer.err"), "-timeout", f"{seconds + 60}s"]
    t0 = time.monotonic()
    subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=work, timeout=seconds + 90)
    wall = time.monotonic() - t0
    time.sleep(WRAP_UP + 1.5)  # the last agents finish their wrap-up
    phones.terminate()
    phones.wait(timeout=10)
    with stat.open() as f:
        last = list(csv.DictReader(f, delimiter=";"))[-1]
    ok, failed = int(last["SuccessfulCall(C)"]), int(last["FailedCall(C)"])
    pct = response_times(work, "customer", f"{label}-{rate}")
    return {"rate": rate, "calls": calls, "ok": ok, "failed": failed, "failed_pct": 100.0 * failed / max(1, calls),
            "p50_ms": pct(0.5), "p95_ms": pct(0.95), "wall": wall, "since": started}


def misrouted(db: Path, since: datetime) -> dict:
    """Read the call log and the agents' state history back and count what must never happen."""
    from sqlalchemy import create_engine, select

    from tongdai.store import tables as t
    engine = create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        calls = [r._asdict() for r in conn.execute(select(t.calls).where(
            t.calls.c.direction == "inbound", t.calls.c.started_at >= since))]
        history = [r._asdict() for r in conn.execute(select(t.agent_state_history).where(
            t.agent_state_history.c.at >= since).order_by(t.agent_state_history.c.at, t.agent_state_history.c.id))]
    engine.dispose()
    # a call offered to several agents (after a ring-out or a refused leg) must never ring two at
    # once: each earlier agent's ringing ended (history) before the answering agent's phone rang
    ring_ended: dict[str, list] = {}
    for h in history:
        if h["old"] == "ringing" and h["new"] != "on_call":
            ring_ended.setdefault(h["agent_id"], []).append(h["at"])
    reoffered = two_at_once = 0
    for c in calls:
        offered = c["agents_offered"] or []
        if len(offered) < 2 or c["answered_at"] is None:
            continue
        reoffered += 1
        last_ring = c["answered_at"] - timedelta(seconds=c["ring_seconds"] or 0)
        for agent in offered[:-1]:
            if not any(c["queued_at"] <= at <= last_ring + timedelta(milliseconds=2)
                       for at in ring_ended.get(agent, ())):
                two_at_once += 1
                break
    # per agent: each offer comes after the previous answered call ended and its wrap-up was over
    by_agent: dict[str, list[dict]] = {}
    for c in calls:
        if c["answered_at"] is not None and c["agent_id"]:
            by_agent.setdefault(c["agent_id"], []).append(c)
    overlaps = 0
    short_wrap_ups = 0
    for rows in by_agent.values():
        rows.sort(key=lambda c: c["answered_at"])
        for prev, nxt in zip(rows, rows[1:], strict=False):
            offered_at = nxt["answered_at"] - timedelta(seconds=nxt["ring_seconds"] or 0)
            free_at = prev["ended_at"] + timedelta(seconds=prev["wrap_up_seconds"] or 0)
            if prev["ended_at"] is None or offered_at < free_at - timedelta(milliseconds=2):
                overlaps += 1
        short_wrap_ups += sum(1 for c in rows if c["wrap_up_seconds"] is None or c["wrap_up_seconds"] < WRAP_UP)
    bad_offers = sum(1 for h in history if h["new"] == "ringing" and h["old"] != "available")
    return {"inbound_rows": len(calls), "answered": sum(len(v) for v in by_agent.values()),
            "reoffered_after_a_ring_out": reoffered, "rang_two_agents_at_once": two_at_once,
            "offer_while_busy_or_wrapping_up": overlaps,
            "ringing_not_from_available": bad_offers, "wrap_up_shorter_than_set": short_wrap_ups,
            "agents_used": len(by_agent)}


def main() -> None:
    global WRAP_UP
    ap = argparse.ArgumentParser()
    ap.add_argument("--rates", default="100,150,200")
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--agents", type=int, default=200)
    ap.add_argument("--wrap-up", type=int, default=WRAP_UP,
                    help="the hotline's wrap-up seconds (0 takes the agents out of the limit)")
    ap.add_argument("--keep", help="keep logs and SIPp traces in this directory")
    ap.add_argument("--no-baseline", action="store_true")
    args = ap.parse_args()
    WRAP_UP = args.wrap_up
    rates = [int(r) for r in args.rates.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(args.keep or tmp)
        work.mkdir(parents=True, exist_ok=True)
        carrier_port, phones_port = free_port(), free_port()
        switch = serve_demo(work, carrier_port, lambda env: seed(env, args.agents))
        server, env, api, sip_port, rtpengine_pid = (switch["server"], switch["env"], switch["api"],
                                                     switch["sip_port"], switch["rtpengine_pid"])
        admin = {"Authorization": f"Bearer {switch['keys']['admin_key']}"}
        register_agents(sip_port, phones_port, args.agents, work)
        queue = next(q for q in httpx.get(api + "/queues", headers=admin, params={"name": "Bench"}).json()["items"])
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            live = httpx.get(f"{api}/queues/{queue['id']}/live", headers=admin).json()
            available = sum(1 for a in live["agents"] if a["state"] == "available")
            if available == args.agents:
                break
            time.sleep(0.2)
        print(f"tongdai serve (pid {server.pid}) + rtpengine (pid {rtpengine_pid}); {available} of {args.agents} "
              f"agents registered and available; longest_idle; wrap-up {WRAP_UP} s; {args.seconds} s per step; "
              "CPU % is [tongdai, rtpengine]", flush=True)
        ours = []
        try:
            for rate in rates:
                before = [cpu_seconds(p) for p in (server.pid, rtpengine_pid)]
                t0 = time.monotonic()
                r = run_step(sip_port, phones_port, carrier_port, rate, args.seconds, work, "tongdai")
                wall = time.monotonic() - t0
                r["cpu_pct"] = [round(100 * (cpu_seconds(p) - b) / wall, 1)
                                for p, b in zip((server.pid, rtpengine_pid), before, strict=True)]
                time.sleep(1)  # the call-log writer catches up
                r["check"] = misrouted(work / "data" / "tongdai.db", r["since"])
                r["misrouted"] = sum(v for k, v in r["check"].items()
                                     if k not in ("inbound_rows", "answered", "agents_used",
                                                  "reoffered_after_a_ring_out"))
                ours.append(r)
                print(f"  tongdai {rate:>4} calls/s: {r['ok']:>5} ok, {r['failed']:>4} failed "
                      f"({r['failed_pct']:.2f} %), answer p50 {r['p50_ms']:.0f} ms p95 {r['p95_ms']:.0f} ms, "
                      f"CPU {r['cpu_pct']} %; misrouted {r['misrouted']} {r['check']}", flush=True)
                time.sleep(1)
        finally:
            stop_switch(server, work)
        base = []
        if not args.no_baseline:
            bare_port = free_port()
            bare = subprocess.Popen([sys.executable, str(HERE / "bare_b2bua.py"), str(bare_port), str(phones_port),
                                     "--inbound"], env={**env, "SIPLOG_BEND": "none"},
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(1.5)
            print("bare sippy B2BUA forwarding to the agents' port (baseline: no queue, states, media, log)")
            try:
                for rate in rates:
                    before = cpu_seconds(bare.pid)
                    r = run_step(bare_port, phones_port, carrier_port, rate, args.seconds, work, "bare")
                    r["cpu_pct"] = round(100 * (cpu_seconds(bare.pid) - before) / r["wall"], 1)
                    base.append(r)
                    print(f"  bare    {rate:>4} calls/s: {r['ok']:>5} ok, {r['failed']:>4} failed "
                          f"({r['failed_pct']:.2f} %), answer p50 {r['p50_ms']:.0f} ms p95 {r['p95_ms']:.0f} ms, "
                          f"CPU {r['cpu_pct']} %", flush=True)
            finally:
                bare.terminate()
                bare.wait(timeout=10)
    print()
    passing = [r for r in ours if r["failed_pct"] < 1.0 and r["misrouted"] == 0]
    top = max(passing, key=lambda r: r["rate"]) if passing else None
    top_base = max((r for r in base if r["failed_pct"] < 1.0), key=lambda r: r["rate"], default=None)
    print(f"highest inbound rate with under 1 % failed and zero misrouted: tongdai "
          f"{top['rate'] if top else 'none'} calls/s (target 150: {'met' if top and top['rate'] >= 150 else 'NOT met'})"
          + (f"; bare sippy forwarding {top_base['rate']} calls/s" if top_base else ""))
    calm = [r for r in passing if r["p95_ms"] < 1000]
    top_calm = max(calm, key=lambda r: r["rate"]) if calm else None
    print(f"highest of those with answer p95 under 1 s (callers not waiting for free agents): "
          f"{top_calm['rate'] if top_calm else 'none'} calls/s; above ~{int(args.agents / (WRAP_UP + 0.25))} calls/s "
          f"the {args.agents} agents (each busy ~{WRAP_UP + 0.25:.2f} s per call) are the limit and callers queue")
    print("agent selection inside the domain (5,000 agents, 500 waiting calls): .venv/bin/python bench/acd_bench.py")


if __name__ == "__main__":
    main()
