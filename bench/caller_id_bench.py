"""Benchmark: the caller-ID decision with 1,000 hotlines, 100 groups and 50 groups per agent.

Run: .venv/bin/python bench/caller_id_bench.py [--decisions 30000]
Target (issue #3): p50 <= 5 µs and p99 <= 20 µs per decision, destination classification included.
Baseline in the same run: the straightforward decision (scan every hotline, filter, take the oldest).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from tongdai.domain.caller_id import CallingAgent, Catalogue, HotlineUsage, choose_caller_id
from tongdai.domain.model import AdaptiveNumber, Hotline
from tongdai.domain.numbers import classify

CARRIER_PREFIX = {"viettel": "98", "vinaphone": "91", "mobifone": "90", "vietnamobile": "92", "gmobile": "99",
                  "itelecom": "87", "reddi": "55"}
WEIGHTS = [40, 25, 20, 6, 4, 3, 2]


def build(rng: random.Random):
    groups = [f"gr_{i:03d}" for i in range(100)]
    hotlines = []
    for i in range(1000):
        carrier = rng.choices(list(CARRIER_PREFIX), WEIGHTS)[0]
        allowed = "all" if rng.random() < 0.1 else tuple(rng.sample(groups, 5))
        hotlines.append(Hotline(id=f"hl_{i:05d}", tenant_id="tn_b", number_type="carrier", country="VN",
                                line_type="mobile", number=f"+84{CARRIER_PREFIX[carrier]}{i:07d}", name=f"L{i}",
                                outbound_enabled=rng.random() < 0.9, outbound_groups=allowed,
                                queue_id="qu_1", carrier=carrier))
    adaptive = [AdaptiveNumber(id="an_all", tenant_id="tn_b", name="Auto", fallback_hotline_id="hl_00000"),
                AdaptiveNumber(id="an_some", tenant_id="tn_b", name="Some",
                               members=tuple(h.id for h in rng.sample(hotlines, 50)))]
    agents = [CallingAgent(f"ag_{i}", frozenset(rng.sample(groups, 50)),
                           default_caller_id="an_all" if i % 2 else None) for i in range(200)]
    return hotlines, adaptive, agents


def requests(rng, hotlines, agents, n):
    out = []
    for _ in range(n):
        carrier = rng.choices(list(CARRIER_PREFIX), WEIGHTS)[0]
        destination = f"0{CARRIER_PREFIX[carrier]}{rng.randrange(10**7):07d}"
        roll = rng.random()
        via = rng.choice(hotlines).id if roll < 0.34 else ("an_all" if roll < 0.67 else
                                                           ("an_some" if roll < 0.8 else None))
        out.append((rng.choice(agents), destination, via))
    return out


def naive(hotlines, adaptive, last_used, agent, destination, via, rng):
    """What a first implementation would do: look at every hotline on every call."""
    dest = classify(destination)
    if not dest.valid:
        return None
    wanted = via or agent.default_caller_id
    adaptive_number = next((a for a in adaptive if a.id == wanted), None)
    if adaptive_number is None and wanted is not None:
        h = next((h for h in hotlines if h.id == wanted or h.number == wanted), None)
        ok = h and h.number_type == "carrier" and h.outbound_enabled and (
            h.outbound_groups == "all" or set(h.outbound_groups) & agent.groups)
        return h if ok else None
    members = set(adaptive_number.members) if adaptive_number and adaptive_number.members else None
    pool = [h for h in hotlines if h.number_type == "carrier" and h.outbound_enabled
            and (h.outbound_groups == "all" or set(h.outbound_groups) & agent.groups)
            and (members is None or h.id in members)]
    same = [h for h in pool if h.carrier == dest.carrier]
    if same:
        return min(same, key=lambda h: last_used.get(h.id, -1.0))
    return rng.choice(pool) if pool else None


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--decisions", type=int, default=30_000)
    args = ap.parse_args()
    rng = random.Random(11)
    hotlines, adaptive, agents = build(rng)
    work = requests(rng, hotlines, agents, args.decisions)
    catalogue = Catalogue(hotlines, adaptive)
    usage = HotlineUsage()
    usage.track_all(catalogue.outbound_hotlines())
    chooser = random.Random(5)
    last_used: dict[str, float] = {}

    # Two separate passes, so neither side pays for the other's garbage collections.
    ours, theirs = [], []
    clock = time.perf_counter_ns
    for agent, destination, via in work:
        t0 = clock()
        d = choose_caller_id(catalogue=catalogue, usage=usage, agent=agent, destination=destination,
                             requested=via, chooser=chooser)
        ours.append(clock() - t0)
        if d.hotline is not None:  # the switch would place the call and record the use
            usage.touch(d.hotline)
    for i, (agent, destination, via) in enumerate(work):
        t0 = clock()
        h = naive(hotlines, adaptive, last_used, agent, destination, via, chooser)
        theirs.append(clock() - t0)
        if h is not None:
            last_used[h.id] = float(i)
    print(f"1,000 hotlines, 100 groups, 50 groups per agent, {len(work):,} decisions "
          "(34% explicit hotline, 46% adaptive, 20% agent default); classification included")
    print(f"{'':32}{'p50 µs':>10}{'p99 µs':>10}{'mean µs':>10}")
    for name, xs in (("straightforward scan (baseline)", theirs), ("tongdai choose_caller_id", ours)):
        print(f"{name:32}{percentile(xs, .5) / 1000:>10.2f}{percentile(xs, .99) / 1000:>10.2f}"
              f"{statistics.fmean(xs) / 1000:>10.2f}")
    p50, p99 = percentile(ours, .5) / 1000, percentile(ours, .99) / 1000
    print(f"targets p50 <= 5 µs: {'met' if p50 <= 5 else 'NOT met'}; p99 <= 20 µs: {'met' if p99 <= 20 else 'NOT met'}")


if __name__ == "__main__":
    main()
