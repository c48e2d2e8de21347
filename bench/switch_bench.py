"""Benchmark: outbound calls per second through `tongdai serve`, against a bare sippy B2BUA.

SIPp plays an authenticated agent (INVITE, 407, INVITE with credentials, 200, ACK, 100 ms, BYE) at a
fixed rate for each step; a SIPp UAS plays the carrier behind the trunk. tongdai runs the demo tenant
plus 1,000 Viettel hotlines (the adaptive number picks among them per call), with rtpengine anchoring
every call. The same SIPp peers then run against bench/bare_b2bua.py, the baseline.

Run: .venv/bin/python bench/switch_bench.py [--rates 100,150,200,250] [--seconds 10] [--compare-write-batch]
With --compare-write-batch the same rates first run against a tongdai that writes each call-log and
agent-state row at once (TONGDAI_WRITE_BATCH_MS=0, as before issue #15), and its CPU per call is printed
beside the default's.
Target (issue #4): at least 200 calls/s with under 1 % failed, and at least 0.8x the bare baseline.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent / "tongdai"
TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def response_times(work: Path, scenario: str, keep_as: str) -> Callable[[float], float]:
    """The response times SIPp traced for `scenario` (its *_rtt.csv files, renamed `keep_as`-...):
    a function from a quantile to milliseconds."""
    times = []
    for path in sorted(work.glob(f"{scenario}_*_rtt.csv")):
        with path.open() as f:
            for row in csv.DictReader(f, delimiter=";"):
                try:
                    times.append(float(row["response_time_ms"]))
                except (KeyError, ValueError):  # a header or partial line
                    continue
        path.rename(work / f"{keep_as}-{path.name}")
    times.sort()
    return lambda q: times[min(len(times) - 1, int(q * len(times)))] if times else float("nan")


def serve_demo(work: Path, carrier_port: int, seed: Callable[[dict], None], **settings: str) -> dict:
    """`tongdai serve` on free loopback ports with the demo tenant plus what `seed(env)` adds, its
    trunk pointed at `carrier_port` (where the carrier SIPp sends from and listens); `settings`: more
    TONGDAI_* variables."""
    sip_port, http_port, ng_port = free_port(), free_port(), free_port()
    env = {**os.environ, "TONGDAI_DATA_DIR": str(work / "data"), "TONGDAI_SIP_ADDR": f"127.0.0.1:{sip_port}",
           "TONGDAI_HTTP_ADDR": f"127.0.0.1:{http_port}", "TONGDAI_RTPENGINE_NG": f"127.0.0.1:{ng_port}",
           "TONGDAI_RTP_PORTS": "20000-29999", "TONGDAI_LOG_LEVEL": "warning",  # below the ephemeral ports SIPp gets
           # one agent places every call of the benchmark: its toll-fraud caps are lifted
           "TONGDAI_MAX_CALLS_PER_AGENT": "0", "TONGDAI_MAX_CALL_RATE_PER_AGENT": "0",
           "TONGDAI_MAX_CALLS_PER_TENANT": "0", "TONGDAI_MAX_CALL_RATE_PER_TENANT": "0",
           "TONGDAI_MAX_CALLS_PER_TRUNK": "0", "TONGDAI_MAX_CALL_RATE_PER_TRUNK": "0",
           "TONGDAI_TRUNK_CHECK_SECONDS": "0", "TONGDAI_SIP_RATE_PER_SOURCE": "0", "TONGDAI_DEMO_CARRIER": "off",
           **settings}
    env.pop("TONGDAI_DATABASE_URL", None)
    keys = json.loads(subprocess.run([str(BIN), "demo"], env=env, capture_output=True, text=True,
                                     check=True).stdout)
    seed(env)
    server = subprocess.Popen([str(BIN), "serve"], env=env, stdout=open(work / "serve.log", "wb"),
                              stderr=subprocess.STDOUT)
    api = f"http://127.0.0.1:{http_port}/api/v1"
    for _ in range(100):
        try:
            httpx.get(api + "/health", timeout=1)
            break
        except httpx.TransportError:
            time.sleep(0.2)
    op = {"Authorization": f"Bearer {keys['operator_key']}"}
    trunk = httpx.get(api + "/trunks", headers=op).json()["items"][0]
    httpx.patch(f"{api}/trunks/{trunk['id']}", headers=op,
                json={"port": carrier_port, "source_addresses": [f"127.0.0.1:{carrier_port}"]})
    time.sleep(1)
    rtpengine_pid = int((work / "data" / "rtpengine" / "rtpengine.pid").read_text())
    return {"server": server, "env": env, "keys": keys, "api": api, "sip_port": sip_port,
            "rtpengine_pid": rtpengine_pid}


def stop_switch(server: subprocess.Popen, work: Path) -> None:
    """Stop `tongdai serve` and say if it logged errors meanwhile."""
    server.terminate()
    server.wait(timeout=20)
    errors = [line for line in (work / "serve.log").read_text(errors="replace").splitlines()
              if "ERROR" in line or "Traceback" in line]
    if errors:
        print(f"  tongdai logged {len(errors)} error line(s), e.g.: {errors[:3]}")


def seed_hotlines(env: dict, count: int) -> None:
    """1,000 more Viettel hotlines on the demo trunk, permitted to every group."""
    from tongdai.app.services import hotlines, operator
    from tongdai.store.db import make_engine
    from tongdai.store.uow import UnitOfWork
    engine = make_engine(f"sqlite:///{env['TONGDAI_DATA_DIR']}/tongdai.db")
    now = datetime.now(UTC)
    with UnitOfWork(engine) as uow:
        tenant = uow.tenants.where(None, sip_domain="demo.tongdai.local")[0]
        trunk = uow.trunks.all()[0]
        queue = uow.queues.all(tenant.id)[0]
        for i in range(count):
            number = f"+8498{5000000 + i:07d}"
            operator.add_inventory_number(uow, data={"number": number, "country": "VN", "line_type": "mobile",
                                                     "carrier": "viettel", "trunk_id": trunk.id})
            hotlines.create_hotline(uow, tenant_id=tenant.id, now=now, data={
                "number_type": "carrier", "country": "VN", "line_type": "mobile", "number": number,
                "name": f"Bench {i}", "queue_id": queue.id, "outbound_enabled": True})
    engine.dispose()


AN = ["-key", "user", "an", "-au", "an", "-ap", "demo-secret-1"]  # the demo agent places every call


def run_step(target_port: int, carrier_port: int, rate: int, seconds: int, work: Path, label: str,
             scenario: Path = HERE / "scenarios" / "agent.xml", agent: list[str] = AN) -> dict:
    """One step: `rate` calls a second for `seconds`, placed by `agent` (SIPp arguments naming the agent
    and its credentials) with `scenario`."""
    calls = rate * seconds
    uas = subprocess.Popen(["sipp", "-sf", str(HERE / "scenarios" / "carrier.xml"), "-i", "127.0.0.1",
                            "-p", str(carrier_port), "-nostdin", "-trace_err", "-error_file",
                            str(work / f"{label}-{rate}-carrier.err")],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=work)
    time.sleep(0.5)
    stat = work / f"{label}-{rate}.csv"
    args = ["sipp", f"127.0.0.1:{target_port}", "-sf", str(scenario), "-i", "127.0.0.1",
            "-p", str(free_port()), "-r", str(rate), "-m", str(calls), "-l", str(rate * 10), "-nostdin",
            "-key", "domain", "demo.tongdai.local", *agent, "-key", "dest", "0981234567", "-key", "caller", "",
            "-auth_uri", "0981234567@demo.tongdai.local",  # the digest uri is the Request-URI "-recv_timeout", "10000",
            "-trace_stat", "-stf", str(stat), "-fd", "1", "-trace_rtt", "-rtt_freq", "1",
            "-trace_err", "-error_file", str(work / f"{label}-{rate}-agent.err"),
            "-timeout", f"{seconds + 40}s"]
    try:
        subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=work,
                       timeout=seconds + 60)
    finally:  # the carrier stops with the step, even one that overran
        uas.terminate()
        uas.wait(timeout=10)
    with stat.open() as f:
        rows = list(csv.DictReader(f, delimiter=";"))
    last = rows[-1]
    ok, failed = int(last["SuccessfulCall(C)"]), int(last["FailedCall(C)"])
    pct = response_times(work, "agent", f"{label}-{rate}")
    return {"rate": rate, "calls": calls, "ok": ok, "failed": failed, "failed_pct": 100.0 * failed / max(1, calls),
            "p50_ms": pct(0.5), "p95_ms": pct(0.95)}


def scrape(metrics_url: str) -> dict[str, float]:
    """tongdai's /metrics (this host may scrape it), as {series: value}."""
    values = {}
    for line in httpx.get(metrics_url, timeout=10).text.splitlines():
        if line.startswith("tongdai_") and " " in line:
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
    return values


OUTBOUND = 'direction="outbound"'
MOVED = (("calls started", "tongdai_calls_started_total{" + OUTBOUND + "}"),
         ("completed", "tongdai_calls_ended_total{" + OUTBOUND + ',outcome="completed"}'),
         ("INVITEs received", 'tongdai_sip_requests_received_total{method="INVITE"}'))


def metrics_moved(before: dict[str, float], after: dict[str, float]) -> str:
    moved = [f"{what} {round(after.get(series, 0) - before.get(series, 0))}" for what, series in MOVED]
    active = round(after.get("tongdai_calls_active{" + OUTBOUND + "}", 0))
    return ", ".join(moved) + f", active now {active}"


def sweep(label: str, target_port: int, carrier_port: int, rates: list[int], seconds: int, work: Path,
          pids: list[int], metrics_url: str | None = None) -> list[dict]:
    results = []
    for rate in rates:
        before = [cpu_seconds(p) for p in pids]
        counted = scrape(metrics_url) if metrics_url else {}
        t0 = time.monotonic()
        result = run_step(target_port, carrier_port, rate, seconds, work, label)
        wall = time.monotonic() - t0
        used = [cpu_seconds(p) - b for p, b in zip(pids, before, strict=True)]
        result["cpu_pct"] = [round(100 * u / wall, 1) for u in used]
        result["ms_per_call"] = 1000 * used[0] / max(1, result["ok"])
        results.append(result)
        print(f"  {label:8} {rate:>4} calls/s: {result['ok']:>5} ok, {result['failed']:>4} failed "
              f"({result['failed_pct']:.2f} %), setup p50 {result['p50_ms']:.1f} ms p95 {result['p95_ms']:.1f} ms, "
              f"CPU {result['cpu_pct']} %", flush=True)
        if metrics_url:  # what /metrics counted meanwhile, beside SIPp's own counts
            time.sleep(1)
            print("           /metrics: " + metrics_moved(counted, scrape(metrics_url)), flush=True)
        time.sleep(2)
    return results


def sweep_tongdai(label: str, work: Path, carrier_port: int, rates: list[int], args: argparse.Namespace,
                  **settings: str) -> tuple[list[dict], dict]:
    """A `tongdai serve` (the demo tenant and `--hotlines` hotlines, plus these TONGDAI_* `settings`) swept
    over `rates`, then stopped: its results and its environment."""
    switch = serve_demo(work, carrier_port, lambda env: seed_hotlines(env, args.hotlines), **settings)
    server, rtpengine_pid = switch["server"], switch["rtpengine_pid"]
    print(f"tongdai serve (pid {server.pid}) + rtpengine (pid {rtpengine_pid}); demo tenant + {args.hotlines} "
          f"hotlines{''.join(f', {k}={v}' for k, v in settings.items())}; {args.seconds} s per step; "
          "CPU % is [tongdai, rtpengine]")
    try:
        results = sweep(label, switch["sip_port"], carrier_port, rates, args.seconds, work,
                        [server.pid, rtpengine_pid], metrics_url=switch["api"].replace("/api/v1", "/metrics"))
    finally:
        stop_switch(server, work)
    return results, switch["env"]


def best(results: list[dict], p95_ms: float | None = None) -> dict | None:
    """The highest rate with under 1 % failed calls (and, if given, setup p95 under `p95_ms`)."""
    passing = [r for r in results if r["failed_pct"] < 1.0 and (p95_ms is None or r["p95_ms"] < p95_ms)]
    return max(passing, key=lambda r: r["rate"]) if passing else None


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rates", default="100,150,200,250")
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--hotlines", type=int, default=1000)
    ap.add_argument("--keep", help="keep logs and SIPp traces in this directory")
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--compare-write-batch", action="store_true",
                    help="first sweep a tongdai that writes each call-log and agent-state row at once "
                         "(TONGDAI_WRITE_BATCH_MS=0), the way it was until issue #15, beside the default")
    args = ap.parse_args()
    rates = [int(r) for r in args.rates.split(",")]
    if args.compare_write_batch:
        with tempfile.TemporaryDirectory() as tmp:
            at_once, _ = sweep_tongdai("at once", Path(tmp), free_port(), rates, args, TONGDAI_WRITE_BATCH_MS="0")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(args.keep or tmp)
        work.mkdir(parents=True, exist_ok=True)
        carrier_port = free_port()
        ours, env = sweep_tongdai("tongdai", work, carrier_port, rates, args)
        if args.compare_write_batch:
            for before, after in zip(at_once, ours, strict=True):
                print(f"tongdai CPU per call at {after['rate']} calls/s: rows written at once "
                      f"{before['ms_per_call']:.2f} ms, in batches (default) {after['ms_per_call']:.2f} ms "
                      f"({100 * (after['ms_per_call'] - before['ms_per_call']) / before['ms_per_call']:+.0f} %); "
                      f"setup p95 {before['p95_ms']:.0f} -> {after['p95_ms']:.0f} ms")
        if args.no_baseline:
            return
        bare_port = free_port()
        bare = subprocess.Popen([sys.executable, str(HERE / "bare_b2bua.py"), str(bare_port), str(carrier_port)],
                                env={**env, "SIPLOG_BEND": "none"}, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(1.5)
        print("bare sippy B2BUA (baseline); CPU % is [b2bua]")
        try:
            base = sweep("bare", bare_port, carrier_port, rates, args.seconds, work, [bare.pid])
        finally:
            bare.terminate()
            bare.wait(timeout=10)
    print()
    for title, limit in (("under 1 % failed (the issue's criterion)", None),
                         ("under 1 % failed and setup p95 under 1 s", 1000.0)):
        top, top_base = best(ours, limit), best(base, limit)
        line = (f"highest rate {title}: tongdai {top['rate'] if top else 'none'} calls/s, "
                f"bare sippy {top_base['rate'] if top_base else 'none'} calls/s")
        if top and top_base:
            ratio = top["rate"] / top_base["rate"]
            line += (f"; ratio {ratio:.2f}x; >= 200 calls/s {'met' if top['rate'] >= 200 else 'NOT met'}, "
                     f">= 0.8x {'met' if ratio >= 0.8 else 'NOT met'}")
        print(line)


if __name__ == "__main__":
    main()
