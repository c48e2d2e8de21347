"""Benchmark: our classify + carrier against phonenumbers parse + validity + type + carrier.

Run: .venv/bin/python bench/numbers_bench.py [--count 100000]
Target (issue #3): at least 10x faster than phonenumbers on 100,000 mixed inputs.
"""

from __future__ import annotations

import argparse
import random
import time

import phonenumbers
from phonenumbers import carrier as pn_carrier

from tongdai.domain.numbering_plan import MOBILE_NETWORK_CODES, PROVINCE_AREA_CODES
from tongdai.domain.numbers import classify


def mixed_inputs(count: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    codes = sorted(MOBILE_NETWORK_CODES)
    areas = sorted(PROVINCE_AREA_CODES)
    out = []
    for _ in range(count):
        roll = rng.random()
        sub = f"{rng.randrange(10**7):07d}"
        if roll < 0.55:
            code = rng.choice(codes)
            form = rng.randrange(6)
            out.append([f"0{code}{sub}", f"+84{code}{sub}", f"0{code} {sub[:3]} {sub[3:]}", f"84{code}{sub}",
                        f"(+84) {code}-{sub[:3]}-{sub[3:]}", f"0{code}.{sub[:3]}.{sub[3:]}"][form])
        elif roll < 0.75:
            if rng.random() < 0.3:
                out.append(f"024 {rng.choice('2345678')}{sub}")
            else:
                out.append(f"0{rng.choice(areas)} {sub[:3]} {sub[3:]}")
        elif roll < 0.82:
            out.append(f"{rng.choice(['1800', '1900'])} {sub[:4] if rng.random() < 0.5 else sub[:6]}")
        elif roll < 0.90:
            out.append(rng.choice(["+1 415 555 ", "+44 20 7946 ", "+65 6123 ", "+86 138 0013 "]) + sub[:4])
        else:
            out.append(rng.choice([f"012{rng.randrange(10)}{sub}", f"080{sub}", f"0912 ext {sub[:2]}",
                                   f"++84{sub}", "abc", f"09{sub}", ""]))
    return out


def ours(numbers: list[str]) -> float:
    start = time.perf_counter()
    for n in numbers:
        classify(n)
    return time.perf_counter() - start


def theirs(numbers: list[str]) -> float:
    start = time.perf_counter()
    for n in numbers:
        try:
            p = phonenumbers.parse(n, "VN")
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(p):
            phonenumbers.number_type(p)
            pn_carrier.name_for_number(p, "en")
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=100_000)
    args = ap.parse_args()
    numbers = mixed_inputs(args.count)
    ours(numbers[:2000]), theirs(numbers[:2000])  # warm caches and lazy metadata loads on both sides
    t_ours = min(ours(numbers) for _ in range(3))
    t_theirs = min(theirs(numbers) for _ in range(3))
    per_ours, per_theirs = t_ours / len(numbers) * 1e6, t_theirs / len(numbers) * 1e6
    print(f"inputs: {len(numbers):,} mixed (mobile in 6 formats, fixed, 1800/1900, foreign, junk); best of 3")
    print(f"{'':28}{'total s':>10}{'µs/number':>12}")
    print(f"{'phonenumbers (baseline)':28}{t_theirs:>10.3f}{per_theirs:>12.2f}")
    print(f"{'tongdai classify':28}{t_ours:>10.3f}{per_ours:>12.2f}")
    ratio = t_theirs / t_ours
    print(f"speed-up: {ratio:.1f}x (target >= 10x: {'met' if ratio >= 10 else 'NOT met'})")


if __name__ == "__main__":
    main()
