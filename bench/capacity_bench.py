"""Benchmark: how many calls one node holds up at once, with their media anchored in rtpengine (ports
allocated on both legs, as for any call; SIPp sends no RTP, so this measures signalling, state and
rtpengine's per-call cost, not packet forwarding: see docs/benchmarks.md for the forwarding figures).

SIPp agents call out at `--rate` calls/s and hold each call `--hold` s, so `rate × hold` calls are up at
once at the plateau; a SIPp carrier answers. tongdai runs the demo tenant with recording off and an RTP
range wide enough (4 ports a call). Every 2 s it samples /metrics' active calls, the CPU and RSS of
tongdai and rtpengine; it reports them idle (the baseline, same run) and at the plateau, per call, and
where calls start failing (SIPp's failed count, and why, from the call log's end reasons).

Run: .venv/bin/python bench/capacity_bench.py [--rate 50 --hold 70]
Target (issue #15): ≥ 3,000 calls up at once on this 2-core machine, or the measured ceiling and why.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from switch_bench import cpu_seconds, free_port, scrape, serve_demo, stop_switch  # noqa: E402


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def holding_agent(work: Path, hold_ms: int) -> Path:
    text = (HERE / "scenarios" / "agent.xml").read_text().replace(
        '<pause milliseconds="100"/>', f'<pause milliseconds="{hold_ms}"/>')
    path = work / "agent_holds.xml"
    path.write_text(text)
    return path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rate", type=int, default=50)
    ap.add_argument("--hold", type=int, default=70)
    ap.add_argument("--rtp-ports", default="20000-39999")
    args = ap.parse_args()
    calls = args.rate * (args.hold + 20)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        carrier_port = free_port()
        switch = serve_demo(work, carrier_port, lambda env: None, TONGDAI_RTP_PORTS=args.rtp_ports,
                            TONGDAI_MAX_CALLS_PER_AGENT="0")
        api, admin = switch["api"], {"Authorization": f"Bearer {switch['keys']['admin_key']}"}
        for h in httpx.get(api + "/hotlines", headers=admin, params={"limit": 100}).json()["items"]:
            httpx.patch(f"{api}/hotlines/{h['id']}", headers=admin, json={"record_calls": False})
        for a in httpx.get(api + "/adaptive-numbers", headers=admin).json()["items"]:
            httpx.patch(f"{api}/adaptive-numbers/{a['id']}", headers=admin, json={"record_calls": False})
        time.sleep(2)
        metrics_url = api.replace("/api/v1", "/metrics")
        pids = {"tongdai": switch["server"].pid, "rtpengine": switch["rtpengine_pid"]}
        idle = {name: rss_mb(pid) for name, pid in pids.items()}
        low, high = (int(x) for x in args.rtp_ports.split("-"))
        print(f"{calls} calls at {args.rate}/s held {args.hold} s (up to {args.rate * args.hold} at once); RTP ports "
              f"{low}-{high} ({(high - low + 1) // 4} calls' worth); idle RSS tongdai {idle['tongdai']:.0f} MB, "
              f"rtpengine {idle['rtpengine']:.0f} MB", flush=True)
        uas = subprocess.Popen(["sipp", "-sf", str(HERE / "scenarios" / "carrier.xml"), "-i", "127.0.0.1",
                                "-p", str(carrier_port), "-nostdin", "-max_socket", "60000"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=work)
        time.sleep(0.5)
        stat = work / "capacity.csv"
        agent = subprocess.Popen(
            ["sipp", f"127.0.0.1:{switch['sip_port']}", "-sf", str(holding_agent(work, args.hold * 1000)),
             "-i", "127.0.0.1", "-p", str(free_port()), "-r", str(args.rate), "-m", str(calls), "-l", str(calls),
             "-nostdin", "-key", "domain", "demo.tongdai.local", "-key", "user", "an", "-key", "dest", "0981234567",
             "-key", "caller", "", "-au", "an", "-ap", "demo-secret-1", "-auth_uri", "0981234567@demo.tongdai.local",
             "-trace_stat", "-stf", str(stat), "-fd", "2", "-timeout", f"{calls // args.rate + args.hold + 60}s"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=work)
        samples: list[dict] = []

        def sample() -> None:
            last = {name: cpu_seconds(pid) for name, pid in pids.items()}
            t = time.monotonic()
            while agent.poll() is None:
                time.sleep(2)
                now = time.monotonic()
                cpu = {name: cpu_seconds(pid) for name, pid in pids.items()}
                active = scrape(metrics_url).get('tongdai_calls_active{direction="outbound"}', 0)
                samples.append({"active": active, **{f"cpu_{n}": 100 * (cpu[n] - last[n]) / (now - t) for n in pids},
                                **{f"rss_{n}": rss_mb(pid) for n, pid in pids.items()}})
                last, t = cpu, now
        sampler = threading.Thread(target=sample)
        sampler.start()
        agent.wait()
        sampler.join()
        uas.terminate()
        uas.wait(timeout=10)
        rows = stat.read_text().strip().splitlines()
        head, last_row = rows[0].split(";"), rows[-1].split(";")
        result = dict(zip(head, last_row, strict=False))
        ok, failed = int(result["SuccessfulCall(C)"]), int(result["FailedCall(C)"])
        peak = max(samples, key=lambda s: s["active"])
        plateau = [s for s in samples if s["active"] >= 0.95 * peak["active"]]

        def mean(key: str) -> float:
            return sum(s[key] for s in plateau) / len(plateau)
        n = peak["active"]
        print(f"  calls: {ok} ok, {failed} failed; most up at once: {n:.0f} (/metrics' tongdai_calls_active)")
        for name in pids:
            extra = peak[f"rss_{name}"] - idle[name]
            print(f"  {name:9}: RSS {idle[name]:.0f} MB idle -> {peak[f'rss_{name}']:.0f} MB at the peak "
                  f"({1024 * extra / max(n, 1):.0f} KB per call); CPU {mean(f'cpu_{name}'):.1f} % on the plateau "
                  f"({args.rate} calls/s starting and ending)")
        reasons = httpx.get(api + "/calls", headers=admin, params={"limit": 1000, "end_reason": "refused"}).json()
        if failed:
            print(f"  refused calls in the call log: {reasons['total']} (first: "
                  f"{[c['caller_id_reasons'][-1:] for c in reasons['items'][:1]]})")
        stop_switch(switch["server"], work)


if __name__ == "__main__":
    main()
