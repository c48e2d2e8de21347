"""Benchmark: recordings. (1) Converting a pcap to the stereo MP3, in the worker process as `tongdai serve`
runs it: CPU seconds per hour of call (× real time per core) and the process's peak memory, for a
one-hour and a two-hour call; baseline in the same run: the same process only reading the pcap's packets
(no decoding, no MP3), and one that only imports the converter. (2) 200 calls up at once through
`tongdai serve` with media (SIPp plays G.711 one way, the carrier echoes it back), recorded by their
hotline: every answered call must give a ready recording (zero lost); baseline: the same load with
recording off, for the CPU it costs tongdai and rtpengine.

Run: .venv/bin/python bench/recording_bench.py [--hours 1,2] [--calls 400 --rate 20 --hold 10]
Targets (issue #14): ≥ 500× real time per core; ≤ 50 MB RSS for a 2-hour call; 0 lost recordings.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import multiprocessing
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from tests.media.pcaps import Leg, alaw, tone, write_pcap  # noqa: E402

from switch_bench import cpu_seconds, free_port, serve_demo, stop_switch  # noqa: E402


def _child(job: str, pcap: str, target: str, seconds: float) -> tuple[float, int, int]:
    """In a spawned process: (CPU seconds, peak RSS KiB, packets) of `job` on `pcap`."""
    from tongdai.media.recording_audio import convert, read_packets
    start = time.process_time()
    packets = 0
    if job == "convert":
        done = convert(Path(pcap), Path(target), customer_ports={31000}, start=1.8e9, end=1.8e9 + seconds)
        packets = done.packets
    elif job == "read":
        packets = sum(1 for _ in read_packets(Path(pcap)))
    return time.process_time() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, packets


def in_child(job: str, pcap: Path, target: Path, seconds: float) -> tuple[float, int, int]:
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(_child, job, str(pcap), str(target), seconds).result()


def conversion(hours: list[float], work: Path) -> None:
    print("Conversion (a spawned worker process, as `tongdai serve` runs it; two G.711 legs, 50 packets/s each)")
    floor = in_child("import", work / "none", work / "none", 0)
    print(f"  baseline: the worker with the converter imported, nothing converted: {floor[1] / 1024:.1f} MB RSS")
    for h in hours:
        seconds = h * 3600
        pcap = write_pcap(work / f"call-{h}h.pcap", [
            Leg(port=31000, audio=tone(440, 10.0), ssrc=1, repeat=int(seconds // 10)),
            Leg(port=31002, audio=tone(1000, 10.0, alaw), payload_type=8, start=0.01, ssrc=2,
                repeat=int(seconds // 10))], t0=1.8e9)
        read = in_child("read", pcap, work / "x", seconds)
        cpu, peak, packets = in_child("convert", pcap, work / f"call-{h}h.mp3", seconds)
        mp3 = (work / f"call-{h}h.mp3").stat().st_size
        print(f"  {h:g} h call ({pcap.stat().st_size / 1e6:.0f} MB pcap, {packets:,} packets):")
        print(f"    baseline, reading the packets only: {read[0]:.2f} s CPU, {read[1] / 1024:.1f} MB RSS")
        print(f"    converting to MP3: {cpu:.2f} s CPU = {seconds / cpu:,.0f}x real time per core, "
              f"peak RSS {peak / 1024:.1f} MB, file {mp3 / 1e6:.1f} MB ({mp3 / 1e6 / h:.1f} MB per hour)")
        pcap.unlink()


def talking_agent(work: Path, hold_ms: int) -> Path:
    """The switch benchmark's agent, holding each call `hold_ms` while it plays 7 s of PCMA speech."""
    text = (HERE / "scenarios" / "agent.xml").read_text()
    text = text.replace('<pause milliseconds="100"/>',
                        '<nop><action><exec play_pcap_audio="/usr/share/sip-tester/g711a.pcap"/></action></nop>\n'
                        f'  <pause milliseconds="{hold_ms}"/>')
    path = work / "agent_talks.xml"
    path.write_text(text)
    return path


def load(switch: dict, carrier_port: int, work: Path, label: str, calls: int, rate: int, hold_ms: int) -> dict:
    uas = subprocess.Popen(["sipp", "-sf", str(HERE / "scenarios" / "carrier.xml"), "-i", "127.0.0.1",
                            "-p", str(carrier_port), "-nostdin", "-rtp_echo", "-mp", str(free_port())],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=work)
    time.sleep(0.5)
    pids = [switch["server"].pid, switch["rtpengine_pid"]]
    before = [cpu_seconds(p) for p in pids]
    t0 = time.monotonic()
    stat = work / f"{label}.csv"
    subprocess.run(["sipp", f"127.0.0.1:{switch['sip_port']}", "-sf", str(talking_agent(work, hold_ms)),
                    "-i", "127.0.0.1", "-p", str(free_port()), "-mp", str(free_port()), "-r", str(rate),
                    "-m", str(calls), "-l", str(rate * (hold_ms // 1000 + 5)), "-nostdin",
                    "-key", "domain", "demo.tongdai.local", "-key", "user", "an", "-key", "dest", "0981234567",
                    "-key", "caller", "", "-au", "an", "-ap", "demo-secret-1",
                    "-auth_uri", "0981234567@demo.tongdai.local", "-trace_stat", "-stf", str(stat), "-fd", "1",
                    "-timeout", f"{calls // rate + hold_ms // 1000 + 60}s"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=work,
                   timeout=calls // rate + hold_ms // 1000 + 90)
    wall = time.monotonic() - t0
    cpu = [round(100 * (cpu_seconds(p) - b) / wall, 1) for p, b in zip(pids, before, strict=True)]
    uas.terminate()
    uas.wait(timeout=10)
    last = stat.read_text().strip().splitlines()[-1].split(";")
    head = stat.read_text().splitlines()[0].split(";")
    row = dict(zip(head, last, strict=False))
    return {"ok": int(row["SuccessfulCall(C)"]), "failed": int(row["FailedCall(C)"]), "cpu": cpu, "wall": wall}


def set_recording(api: str, admin: dict, on: bool) -> None:
    for h in httpx.get(api + "/hotlines", headers=admin, params={"limit": 100}).json()["items"]:
        httpx.patch(f"{api}/hotlines/{h['id']}", headers=admin, json={"record_calls": on})
    time.sleep(1.5)  # the switch takes the new configuration


def through_the_switch(calls: int, rate: int, hold: int, work: Path) -> None:
    print(f"\n{calls} calls at {rate}/s held {hold} s ({rate * hold} up at once) through `tongdai serve`, media both "
          "ways; CPU % is [tongdai, rtpengine]")
    carrier_port = free_port()
    switch = serve_demo(work, carrier_port, lambda env: None)
    api, admin = switch["api"], {"Authorization": f"Bearer {switch['keys']['admin_key']}"}
    try:
        set_recording(api, admin, False)
        base = load(switch, carrier_port, work, "plain", calls, rate, hold * 1000)
        print(f"  baseline, not recorded: {base['ok']} ok, {base['failed']} failed, CPU {base['cpu']} %")
        set_recording(api, admin, True)
        since = time.time()
        rec = load(switch, carrier_port, work, "recorded", calls, rate, hold * 1000)
        print(f"  recorded:               {rec['ok']} ok, {rec['failed']} failed, CPU {rec['cpu']} %")
        ended = time.monotonic()
        recorded: list[dict] = []
        while time.monotonic() - ended < 300:
            recorded = []
            offset = 0
            while True:
                page = httpx.get(api + "/recordings", headers=admin, params={"limit": 1000, "offset": offset}).json()
                recorded += page["items"]
                offset += 1000
                if offset >= page["total"]:
                    break
            if recorded and all(r["status"] in ("ready", "failed") for r in recorded) and len(recorded) >= rec["ok"]:
                break
            time.sleep(1)
        drained = time.monotonic() - ended
        answered = [c for c in httpx.get(api + "/calls", headers=admin, params={
            "limit": 1000, "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(since - 1))}).json()["items"]
            if c["answered_at"] and c["direction"] == "outbound"]
        ready = [r for r in recorded if r["status"] == "ready"]
        lost = len(answered) - len(ready)
        sizes = sum(r["size"] or 0 for r in ready)
        talk = sum(r["duration_ms"] or 0 for r in ready) / 1000
        print(f"  answered calls {len(answered)}, recordings ready {len(ready)}, failed "
              f"{sum(r['status'] == 'failed' for r in recorded)}, lost {lost}; all converted "
              f"{drained:.0f} s after the last call; {sizes / max(talk, 1) * 3600 / 1e6:.1f} MB per hour of call")
    finally:
        stop_switch(switch["server"], work)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--hours", default="1,2")
    ap.add_argument("--calls", type=int, default=400)
    ap.add_argument("--rate", type=int, default=20)
    ap.add_argument("--hold", type=int, default=10)
    ap.add_argument("--skip-switch", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        conversion([float(h) for h in args.hours.split(",")], work)
        if not args.skip_switch:
            through_the_switch(args.calls, args.rate, args.hold, work)


if __name__ == "__main__":
    main()
