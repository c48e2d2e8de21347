"""Benchmark: what tracking agents' states costs per outbound call, in one run of one `tongdai serve`.

Steps at the same rate against the same switch (set up as bench/switch_bench.py's: the demo tenant and
1,000 hotlines, rtpengine anchoring every call; plus `--agents` agents like the demo's): 

- **one agent** places every call (the switch benchmark's way): its calls overlap, so its state goes
  on_call once and stays there: the step has almost no state changes. This is the baseline.
- **many agents**, each call from the next one in turn: every call moves its agent offline -> on_call
  -> offline, two state changes, each persisted (current state + a history row) and, with a listener on
  the event stream, announced as `agent.status_changed`.

The difference in tongdai's CPU per call is what agent-state tracking costs a call. Each pair of steps
runs three ways: nobody listening; a supervisor's wallboard on the tenant's event stream (the
announcement is only built for a listener); and that plus every agent's own stream open, as each call
widget keeps one (`--agents` streams, each carrying only the events about its agent).

Run: .venv/bin/python bench/agent_state_bench.py [--rate 100] [--seconds 15] [--agents 300]
"""

from __future__ import annotations

import argparse
import selectors
import socket
import sqlite3
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from switch_bench import cpu_seconds, free_port, run_step, seed_hotlines, serve_demo, stop_switch  # noqa: E402

PASSWORD = "bench-secret-1"


def seed(env: dict, agents: int, hotlines: int, keys: list[str]) -> None:
    """The switch benchmark's 1,000 hotlines, and `agents` agents like the demo's `an` (its groups, its
    default caller: the adaptive number picking among those hotlines), with an agent API key each (in
    `keys`)."""
    from tongdai.app.services import agents as service
    from tongdai.store.db import make_engine
    from tongdai.store.uow import UnitOfWork
    seed_hotlines(env, hotlines)
    engine = make_engine(f"sqlite:///{env['TONGDAI_DATA_DIR']}/tongdai.db")
    now = datetime.now(UTC)
    with UnitOfWork(engine) as uow:
        tenant = uow.tenants.where(None, sip_domain="demo.tongdai.local")[0]
        an = uow.agents.where(tenant.id, sip_username="an")[0]
        for i in range(agents):
            agent = service.create_agent(uow, tenant_id=tenant.id, data={
                "name": f"Bench agent {i}", "sip_username": f"bench{i}", "sip_password": PASSWORD,
                "extension": f"{5000 + i}", "groups": list(an.groups), "default_caller_id": an.default_caller_id})
            keys.append(service.create_agent_key(uow, tenant_id=tenant.id, agent_id=agent.id, now=now))
    engine.dispose()


def many_agents_scenario(work: Path, count: int) -> tuple[Path, Path]:
    """agent.xml with the caller and its credentials taken from an injection file, one agent per call."""
    text = (HERE / "scenarios" / "agent.xml").read_text().replace("[user]", "[field0]").replace(
        "[authentication]", "[field1]")
    scenario = work / "agent_many.xml"
    scenario.write_text(text)
    users = work / "agents.csv"
    # SIPp expands an [authentication] keyword found in an injected field, not fields inside the keyword
    users.write_text("SEQUENTIAL\n" + "".join(f"bench{i};[authentication username=bench{i} password={PASSWORD}]\n"
                                              for i in range(count)))
    return scenario, users


def history_rows(work: Path) -> int:
    with sqlite3.connect(work / "data" / "tongdai.db") as db:
        return db.execute("select count(*) from agent_state_history").fetchone()[0]


class Listener:
    """A client on the event stream in its own thread, counting `agent.status_changed` events."""

    def __init__(self, api: str, key: str):
        self.seen = 0
        self.client = httpx.Client(headers={"Authorization": f"Bearer {key}"}, timeout=None)
        self.url = api + "/events"
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        time.sleep(0.5)

    def _run(self) -> None:
        try:
            with self.client.stream("GET", self.url) as r:
                for line in r.iter_lines():
                    self.seen += "agent.status_changed" in line
        except httpx.HTTPError:  # closed by close() below
            return

    def close(self) -> None:
        self.client.close()
        self.thread.join(timeout=5)


class AgentStreams:
    """Every agent's own event stream open, as each agent's call widget keeps one: `GET /events` with the
    agent's key (only the events about that agent), read by one thread."""

    def __init__(self, api: str, keys: list[str]):
        host, port = api.split("//", 1)[1].split("/", 1)[0].split(":")
        self.events = 0
        self.selector = selectors.DefaultSelector()
        for key in keys:
            sock = socket.create_connection((host, int(port)))
            sock.sendall(f"GET /api/v1/events HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {key}\r\n\r\n"
                         .encode())
            sock.setblocking(False)
            self.selector.register(sock, selectors.EVENT_READ)
        self.connected: set[int] = set()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 300  # each key is checked once (argon2), then remembered
        while len(self.connected) < len(keys) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(self.connected) == len(keys), f"{len(self.connected)} of {len(keys)} streams connected"
        time.sleep(1.0)

    def _run(self) -> None:
        while not self.stop.is_set():
            for selected, _ in self.selector.select(0.2):
                data = selected.fileobj.recv(65536)  # type: ignore[union-attr]
                if b": connected" in data:
                    self.connected.add(selected.fd)
                self.events += data.count(b"\nevent: ") + data.startswith(b"event: ")

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
        for selected in list(self.selector.get_map().values()):
            selected.fileobj.close()  # type: ignore[union-attr]
        self.selector.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rate", type=int, default=100)
    ap.add_argument("--seconds", type=int, default=15)
    ap.add_argument("--rounds", type=int, default=2, help="each step this many times, interleaved")
    ap.add_argument("--agents", type=int, default=300)
    ap.add_argument("--hotlines", type=int, default=1000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        carrier_port = free_port()
        keys: list[str] = []
        switch = serve_demo(work, carrier_port, lambda env: seed(env, args.agents, args.hotlines, keys))
        server, sip_port = switch["server"], switch["sip_port"]
        scenario, users = many_agents_scenario(work, args.agents)
        many = {"scenario": scenario, "agent": ["-inf", str(users)]}
        print(f"tongdai serve (pid {server.pid}); {args.rate} calls/s for {args.seconds} s per step; "
              f"{args.agents} agents; {args.rounds} rounds")
        steps = [("one agent", {}, False), ("many agents", many, False),
                 ("one agent + event listener", {}, True), ("many agents + event listener", many, True),
                 ("one agent + agents' streams", {}, "agents"), ("many agents + agents' streams", many, "agents")]
        results: dict[str, list[float]] = {label: [] for label, _, _ in steps}
        try:
            for round_ in range(args.rounds):
                for label, how, events in steps:
                    streams = AgentStreams(switch["api"], keys) if events == "agents" else None
                    listener = Listener(switch["api"], switch["keys"]["admin_key"]) if events else None
                    rows = history_rows(work)
                    before, t0 = cpu_seconds(server.pid), time.monotonic()
                    r = run_step(sip_port, carrier_port, args.rate, args.seconds, work,
                                 f"{label.replace(' ', '-')}-{round_}", **how)
                    used, wall = cpu_seconds(server.pid) - before, time.monotonic() - t0
                    time.sleep(1.5)  # the state writer's last batch
                    if listener:
                        listener.close()
                    if streams:
                        streams.close()
                    per_call = 1000 * used / max(1, r["ok"])
                    results[label].append(per_call)
                    print(f"  {label:29} {r['ok']:>5} ok, {r['failed']:>3} failed, setup p50 {r['p50_ms']:.0f} ms "
                          f"p95 {r['p95_ms']:.0f} ms; tongdai CPU {100 * used / wall:.1f} %, {per_call:.2f} ms per "
                          f"call; state changes persisted {history_rows(work) - rows}"
                          + (f", announced {listener.seen}" if listener else "")
                          + (f"; {len(keys)} agents' streams got {streams.events} events" if streams else ""),
                          flush=True)
                    time.sleep(2)
        finally:
            stop_switch(server, work)
    for suffix in ("", " + event listener", " + agents' streams"):
        one, tracked = results["one agent" + suffix], results["many agents" + suffix]
        base, cost = sum(one) / len(one), sum(tracked) / len(tracked)
        print(f"agent-state tracking{suffix}: {base:.2f} -> {cost:.2f} ms CPU per call, {cost - base:+.2f} ms "
              f"({100 * (cost - base) / base:+.1f} %); runs: one agent {[round(x, 2) for x in one]}, "
              f"many agents {[round(x, 2) for x in tracked]}")


if __name__ == "__main__":
    main()
