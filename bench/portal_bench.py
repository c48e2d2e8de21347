"""Benchmark: portal page renders with 10,000 hotlines and 1,000,000 call rows on SQLite.

The portal is served by uvicorn on loopback (tongdai's own app) and read over HTTP with a signed-in
session, each page N times; the figures are the render times the client sees (p50, p95). The baseline, in
the same run: the same pages over the demo tenant alone (5 hotlines, no calls). The report queries are
also timed alone, read from the rollups (Hà Nội's whole-hour offset) and, as their baseline in the same
run, from the call log itself (India's offset, +05:30, is not whole hours: nothing can be read from UTC
hours). The rollups of the seeded million calls are counted once before the pages are read, and timed.

Run: .venv/bin/python bench/portal_bench.py [--hotlines 10000] [--calls 1000000] [--rounds 40]
Target (issue #12): page render p95 <= 100 ms with 10,000 hotlines and 1M call rows (paged).
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
from tongdai.api.app import create_app  # noqa: E402
from tongdai.api.local import LocalServer  # noqa: E402
from tongdai.app import views  # noqa: E402
from tongdai.app.context import Context  # noqa: E402
from tongdai.app.report_rollup import ReportRollup  # noqa: E402
from tongdai.demo import PORTAL_PASSWORD, load_demo  # noqa: E402
from tongdai.domain.model import Hotline  # noqa: E402
from tongdai.store.db import make_engine, upgrade  # noqa: E402
from tongdai.store.uow import UnitOfWork  # noqa: E402

NOW = datetime(2026, 11, 27, 5, 0, tzinfo=UTC)
PAGES = ["/", "/hotlines", "/hotlines?offset=5000", "/hotlines?name=Line%2077", "/calls", "/calls?offset=5000",
         "/calls?direction=inbound&end_reason=abandoned", "/agents", "/queues", "/reports", "/reports?by=hotline",
         "/wallboard"]


def seed(engine, data: Path, hotlines: int, calls: int) -> dict:
    keys = load_demo(engine, data / "demo-keys.json")
    tenant = keys["tenant_id"]
    rng = random.Random(7)
    with UnitOfWork(engine) as uow:
        queues = [q.id for q in uow.queues.all(tenant)]
        agents = [a.id for a in uow.agents.all(tenant)]
        for n in range(hotlines):
            uow.hotlines.add(Hotline(id=f"hl_bench{n:09d}", tenant_id=tenant, number_type="virtual", country="VN",
                                     line_type="local", number=f"+8428{30000000 + n}", name=f"Line {n}",
                                     queue_id=queues[n % len(queues)]), created_at=NOW)
        line_ids = [f"hl_bench{n:09d}" for n in range(min(hotlines, 500))]
    batch = []
    for n in range(calls):
        started = NOW - timedelta(seconds=rng.randint(0, 60 * 86400))
        inbound = n % 3 != 0
        answered = rng.random() < 0.8
        batch.append({
            "id": f"ca_bench{n:011d}", "tenant_id": tenant, "direction": "inbound" if inbound else "outbound",
            "caller_id_reasons": [], "recorded": False, "agents_offered": [], "ivr_path": [], "ivr_keys": [],
            "started_at": started, "customer_number": f"+8498{rng.randint(1000000, 9999999)}",
            "hotline_id": line_ids[n % len(line_ids)] if line_ids else None,
            "queue_id": queues[n % len(queues)] if inbound else None,
            "agent_id": agents[n % len(agents)] if answered else None,
            "answered_at": started + timedelta(seconds=rng.randint(2, 60)) if answered else None,
            "ended_at": started + timedelta(seconds=rng.randint(60, 600)),
            "talk_seconds": float(rng.randint(20, 500)) if answered else None,
            "queue_seconds": float(rng.randint(1, 90)) if inbound else None,
            "wrap_up_seconds": float(rng.randint(0, 30)) if inbound and answered else None,
            "end_reason": "completed" if answered else "abandoned"})
        if len(batch) == 20_000:
            with UnitOfWork(engine) as uow:
                uow.calls.insert(batch)
            batch = []
    if batch:
        with UnitOfWork(engine) as uow:
            uow.calls.insert(batch)
    return keys


def signed_in(url: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=30)
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/sign-in").text).group(1)
    client.post("/sign-in", data={"email": "admin@demo.tongdai.local", "password": PORTAL_PASSWORD, "csrf": token,
                                  "next": "/"})
    return client


def measure(client: httpx.Client, rounds: int) -> dict[str, tuple[float, float]]:
    out = {}
    for path in PAGES:
        client.get(path)  # warm
        times = []
        for _ in range(rounds):
            t0 = time.perf_counter()
            r = client.get(path)
            times.append((time.perf_counter() - t0) * 1000)
            assert r.status_code == 200, (path, r.status_code)
        times.sort()
        out[path] = (statistics.median(times), times[int(0.95 * (len(times) - 1))])
    return out


def run(label: str, hotlines: int, calls: int, rounds: int, work: Path) -> tuple[dict, dict, object]:
    data = work / label
    data.mkdir()
    engine = make_engine(f"sqlite:///{data / 'tongdai.db'}")
    upgrade(engine)
    t0 = time.monotonic()
    keys = seed(engine, data, hotlines, calls)
    print(f"{label}: {hotlines} hotlines and {calls} calls seeded in {time.monotonic() - t0:.0f} s", flush=True)
    t0 = time.monotonic()
    hours = ReportRollup(engine).once()
    print(f"{label}: report rollups of {hours} hours counted in {time.monotonic() - t0:.1f} s", flush=True)
    server = LocalServer(create_app(Context(engine)))
    try:
        figures = measure(signed_in(server.url), rounds)
    finally:
        server.stop()
    return figures, keys, engine


def report_timing(engine, tenant: str) -> list[tuple[str, float, float]]:
    """(label, rolled-up ms, from-the-call-log ms), medians of 5; the ranges are whole days in both zones."""
    out = []
    for label, days, by, bucket in (("one week per queue by day", 7, "queue", "day"),
                                    ("one week per hotline by day", 7, "hotline", "day"),
                                    ("one month per agent by hour", 30, "agent", "hour"),
                                    ("two months per hotline by day", 60, "hotline", "day")):
        medians = []
        for zone in ("Asia/Ho_Chi_Minh", "Asia/Kolkata"):
            offset = timedelta(hours=7) if zone == "Asia/Ho_Chi_Minh" else timedelta(hours=5, minutes=30)
            until = datetime.combine((NOW + offset).date(), datetime.min.time(), UTC) - offset
            times = []
            for _ in range(5):
                t0 = time.perf_counter()
                with UnitOfWork(engine) as uow:
                    views.report(uow, tenant_id=tenant, by=by, bucket=bucket, since=until - timedelta(days=days),
                                 until=until, time_zone=zone)
                times.append((time.perf_counter() - t0) * 1000)
            medians.append(statistics.median(times))
        out.append((label, medians[0], medians[1]))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--hotlines", type=int, default=10_000)
    ap.add_argument("--calls", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=40)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        base, _keys, _e = run("baseline (demo only)", 0, 0, args.rounds, work)
        big, keys, engine = run("loaded", args.hotlines, args.calls, args.rounds, work)
        print(f"\n{'page':48} {'baseline p50/p95 ms':>22} {'loaded p50/p95 ms':>22}")
        worst = 0.0
        for path in PAGES:
            b, g = base[path], big[path]
            if not path.startswith("/reports"):
                worst = max(worst, g[1])
            print(f"{path:48} {b[0]:>10.1f} / {b[1]:<9.1f} {g[0]:>10.1f} / {g[1]:<9.1f}")
        print(f"\nworst paged page p95 with {args.hotlines} hotlines and {args.calls} calls: {worst:.1f} ms "
              f"(target 100 ms: {'met' if worst <= 100 else 'NOT met'})")
        for path in PAGES:
            if path.startswith("/reports"):
                print(f"{path} (a week of calls in figures, not paged) p95: {big[path][1]:.1f} ms")
        print(f"\nreport queries alone (median of 5)   {'rollups':>12} {'call log (baseline)':>22}")
        for label, rolled, raw in report_timing(engine, keys["tenant_id"]):
            print(f"  {label:34} {rolled:9.1f} ms {raw:19.1f} ms")


if __name__ == "__main__":
    main()
