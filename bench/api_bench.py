"""Benchmark: the hotline API on SQLite over real HTTP (`tongdai serve` in a subprocess).

Run: .venv/bin/python bench/api_bench.py [--hotlines 10000] [--creates 1000]
Measures: GET /hotlines?limit=100 over a tenant with 10,000 hotlines (random pages), and 1,000 POST
/hotlines of carrier numbers taken from the inventory. Baseline in the same run: GET /health on the
same server (HTTP + framework floor, no database). Target (issue #2): list p95 under 50 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

from tongdai.app.services import groups, hotlines, operator, queues
from tongdai.store.db import make_engine, upgrade
from tongdai.store.uow import UnitOfWork


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seed(url: str, n_hotlines: int, n_stock: int) -> tuple[str, str, str]:
    """A tenant with n virtual hotlines, and n_stock free mobile numbers in the inventory."""
    engine = make_engine(url)
    upgrade(engine)
    now = datetime.now(UTC)
    with UnitOfWork(engine) as uow:
        trunk = operator.create_trunk(uow, data={"name": "T", "host": "127.0.0.1"})
        tenant, key = operator.create_tenant(uow, name="Bench", sip_domain=None, now=now)
        g = groups.create_group(uow, tenant_id=tenant.id, data={"name": "Sales"})
        q = queues.create_queue(uow, tenant_id=tenant.id, data={"name": "Q", "groups": [{"group_id": g.id}]})
        for i in range(n_hotlines):
            hotlines.create_hotline(uow, tenant_id=tenant.id, now=now, data={
                "number_type": "virtual", "country": "VN", "line_type": "local", "number": f"+84283{i:07d}",
                "name": f"Line {i:05d}", "queue_id": q.id, "wrap_up_seconds": 30})
        for i in range(n_stock):
            operator.add_inventory_number(uow, data={"number": f"+8498{i:07d}", "country": "VN",
                                                     "line_type": "mobile", "carrier": None, "trunk_id": trunk.id})
    engine.dispose()
    return key, q.id, g.id


def timed(client: httpx.Client, method: str, url: str, **kw) -> tuple[float, httpx.Response]:
    t0 = time.perf_counter()
    r = client.request(method, url, **kw)
    return (time.perf_counter() - t0) * 1000, r


def summary(name: str, xs: list[float]) -> str:
    xs = sorted(xs)
    p = lambda q: xs[min(len(xs) - 1, int(q * len(xs)))]  # noqa: E731
    return f"{name:44}{len(xs):>7}{p(.5):>9.2f}{p(.95):>9.2f}{p(.99):>9.2f}{statistics.fmean(xs):>9.2f}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--hotlines", type=int, default=10_000)
    ap.add_argument("--creates", type=int, default=1_000)
    ap.add_argument("--lists", type=int, default=500)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        t0 = time.perf_counter()
        key, queue_id, group_id = seed(url, args.hotlines, args.creates)
        print(f"seeded {args.hotlines:,} hotlines and {args.creates:,} inventory numbers in "
              f"{time.perf_counter() - t0:.1f} s")
        port = free_port()
        env = {**os.environ, "TONGDAI_DATABASE_URL": url, "TONGDAI_HTTP_ADDR": f"127.0.0.1:{port}",
               "TONGDAI_LOG_LEVEL": "warning"}
        server = subprocess.Popen([str(Path(sys.executable).parent / "tongdai"), "serve"], env=env)
        try:
            base = f"http://127.0.0.1:{port}/api/v1"
            with httpx.Client(headers={"Authorization": f"Bearer {key}"}, timeout=30) as client:
                for _ in range(100):
                    try:
                        client.get(base + "/health")
                        break
                    except httpx.TransportError:
                        time.sleep(0.1)
                rng = random.Random(3)
                for _ in range(20):  # warm-up: connections, caches, the verified-key cache
                    client.get(base + "/hotlines", params={"limit": 100})
                health = [timed(client, "GET", base + "/health")[0] for _ in range(args.lists)]
                first, pages = [], []
                for _ in range(args.lists):
                    ms, r = timed(client, "GET", base + "/hotlines", params={"limit": 100})
                    assert r.status_code == 200 and len(r.json()["items"]) == 100, r.text
                    first.append(ms)
                    offset = rng.randrange(0, args.hotlines - 100)
                    ms, r = timed(client, "GET", base + "/hotlines", params={"limit": 100, "offset": offset})
                    assert r.status_code == 200 and r.json()["total"] >= args.hotlines
                    pages.append(ms)
                creates = []
                for i in range(args.creates):
                    ms, r = timed(client, "POST", base + "/hotlines", json={
                        "number_type": "carrier", "line_type": "mobile", "name": f"New {i}", "queue_id": queue_id,
                        "outbound_enabled": True, "outbound_groups": [group_id]})
                    assert r.status_code == 201, r.text
                    creates.append(ms)
        finally:
            server.terminate()
            server.wait(timeout=10)
    print(f"{'request (ms)':44}{'n':>7}{'p50':>9}{'p95':>9}{'p99':>9}{'mean':>9}")
    print(summary("GET /health (baseline: HTTP + framework)", health))
    print(summary("GET /hotlines?limit=100 (first page)", first))
    print(summary("GET /hotlines?limit=100&offset=random", pages))
    print(summary("POST /hotlines (carrier, from inventory)", creates))
    p95 = sorted(first + pages)[int(0.95 * len(first + pages))]
    print(f"list p95 {p95:.1f} ms; target < 50 ms: {'met' if p95 < 50 else 'NOT met'}")


if __name__ == "__main__":
    main()
