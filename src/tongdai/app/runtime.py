"""The running switch: rtpengine, the SIP engine, the registrar and the switchboard, wired to the
database and the event stream. Started and stopped with the HTTP server by `tongdai serve`."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import queue
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import delete, insert, select

from ..media.rtpengine import MediaWorker, NgClient, RtpengineOptions, RtpengineSupervisor
from ..sip.engine import Bridge, SipEngine
from ..sip.registrar import Binding, Registrar
from ..store import tables as t
from ..store.uow import UnitOfWork
from ..switch.directory import Directory
from ..switch.presence import Presence
from ..switch.switchboard import Switchboard
from .ids import new_id
from .batches import next_batch
from .call_log import CallLog
from .events import EventBus
from .services.caller_id import CallerIdUsage
from .services.directory import load_directory

log = logging.getLogger("tongdai")


def _addr(value: str, default_port: int) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    return (host or "127.0.0.1"), int(port or default_port)


@dataclass
class SwitchSettings:
    sip_host: str = "127.0.0.1"
    sip_port: int = 5060
    ng_host: str = "127.0.0.1"
    ng_port: int = 22223
    spawn_rtpengine: bool = True
    rtp_port_min: int = 30000
    rtp_port_max: int = 39999
    data_dir: Path = Path("var")

    @classmethod
    def from_env(cls) -> "SwitchSettings":
        sip_host, sip_port = _addr(os.environ.get("TONGDAI_SIP_ADDR", "127.0.0.1:5060"), 5060)
        rtpengine = os.environ.get("TONGDAI_RTPENGINE", "spawn")
        spawn = rtpengine == "spawn"
        ng_host, ng_port = _addr(os.environ.get("TONGDAI_RTPENGINE_NG", "127.0.0.1:22223") if spawn else rtpengine, 2223)
        low, _, high = os.environ.get("TONGDAI_RTP_PORTS", "30000-39999").partition("-")
        return cls(sip_host, sip_port, ng_host, ng_port, spawn, int(low), int(high),
                   Path(os.environ.get("TONGDAI_DATA_DIR", "var")))


class Runtime:
    def __init__(self, engine, settings: SwitchSettings, bus: EventBus, usage: CallerIdUsage):
        self.db = engine
        self.settings = settings
        self.bus = bus
        self.usage = usage
        self.call_log = CallLog(engine, bus)  # its bridge is set when the loop is known
        self.directory = Directory()
        self._io = ThreadPoolExecutor(max_workers=1, thread_name_prefix="switch-io")
        self._dirty = asyncio.Event()
        self._states: queue.SimpleQueue = queue.SimpleQueue()
        self._state_writer = threading.Thread(target=self._write_states, name="agent-states", daemon=True)
        self._state_writer.start()
        self._reloader: asyncio.Task | None = None
        self.rtpengine: RtpengineSupervisor | None = None
        self.sip: SipEngine | None = None
        self.media: MediaWorker | None = None
        self.registrar: Registrar | None = None

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        bridge = Bridge(loop)
        self.call_log.to_async = bridge.to_async
        s = self.settings
        self.directory = await loop.run_in_executor(self._io, self._load)
        closed = await loop.run_in_executor(self._io, self.call_log.close_interrupted, datetime.now(timezone.utc))
        if closed:
            log.warning("closed %d call(s) left open by a previous run as interrupted", closed)
        if s.spawn_rtpengine:
            self.rtpengine = RtpengineSupervisor(RtpengineOptions(
                ng_host=s.ng_host, ng_port=s.ng_port, port_min=s.rtp_port_min, port_max=s.rtp_port_max,
                work_dir=s.data_dir / "rtpengine", interface=s.sip_host))
            await loop.run_in_executor(self._io, self.rtpengine.start)
        self.media = MediaWorker(NgClient(s.ng_host, s.ng_port), deliver=Bridge.to_sip)
        self.presence = Presence(self.directory, on_change=lambda tenant_id, agent_id, change, at: self._state_changed(
            bridge, tenant_id, agent_id, change, at))
        for agent_id, reason in await loop.run_in_executor(self._io, self._away_agents):
            self.presence.distributor.restore_away(agent_id, reason)

        def bindings_changed(agent_id: str, bindings: list) -> None:  # SIP thread
            bridge.to_async(self._persist, agent_id, bindings)
            self.presence.registered(agent_id, bool(bindings))

        self.registrar = Registrar(lambda: self.directory, on_change=bindings_changed)
        self.registrar.restore(await loop.run_in_executor(self._io, self._bindings))
        self.sip = SipEngine(s.sip_host, s.sip_port, on_request=lambda req, t_: self.switchboard.on_request(req, t_))
        self.switchboard = Switchboard(directory=lambda: self.directory, registrar=self.registrar, media=self.media,
                                       usage=self.usage, global_config=self.sip.global_config,
                                       publish=self.call_log.handle, presence=self.presence,
                                       publish_event=lambda tenant, kind, data: bridge.to_async(
                                           self.bus.publish, tenant, kind, data),
                                       rng=random.Random())
        try:
            await loop.run_in_executor(self._io, self.sip.start)
        except Exception:
            await self.stop()
            raise
        Bridge.to_sip(self._start_presence)
        self._reloader = asyncio.create_task(self._reload_loop())
        # sippy makes many small objects per call; with the default thresholds the cyclic collector
        # runs so often, and over so much, that its pauses outlast SIP's 500 ms retransmission timer
        # under load. Move what start-up made out of its way and let young objects pile up longer.
        gc.freeze()
        gc.set_threshold(50_000, 50, 100)

    def _start_presence(self) -> None:
        """In the SIP thread: agents with live bindings are registered; then a tick every 250 ms runs
        timers (ring timeouts, wrap-up ends, alerts, max wait: each within a quarter second of its
        deadline), and once a second notices bindings that expired."""
        from sippy.Time.Timeout import Timeout

        count = [0]

        def tick() -> None:
            if count[0] % 4 == 0:
                for agent_id, agent in self.presence.distributor.agents.items():
                    live = bool(self.registrar.contacts(agent_id))
                    if agent.registered != live:
                        self.presence.registered(agent_id, live)
            count[0] += 1
            self.presence.tick()

        tick()
        self._ticker = Timeout(tick, 0.25, -1)

    def _state_changed(self, bridge: Bridge, tenant_id: str, agent_id: str, change, at: datetime) -> None:
        """SIP thread: persist the new state and its history row, and publish the event."""
        self._states.put((tenant_id, agent_id, change, at))
        if self.bus.has_subscribers(tenant_id):
            bridge.to_async(self.bus.publish, tenant_id, "agent.status_changed", {
                "agent_id": agent_id, "old": change.old, "new": change.new, "reason": change.reason,
                "at": at.isoformat()})

    def _write_states(self) -> None:
        """The state writer thread: one transaction per batch of changes (the latest state per agent,
        every history row), so busy agents do not cost one transaction per change."""
        while True:
            changes, stop = next_batch(self._states, 1000)
            if changes:
                latest = {agent_id: (tenant_id, change, at) for tenant_id, agent_id, change, at in changes}
                try:
                    with UnitOfWork(self.db) as uow:
                        uow.conn.execute(delete(t.agent_states).where(t.agent_states.c.agent_id.in_(list(latest))))
                        uow.conn.execute(insert(t.agent_states), [
                            {"agent_id": a, "tenant_id": tn, "state": c.new, "reason": c.reason, "since": at}
                            for a, (tn, c, at) in latest.items()])
                        uow.conn.execute(insert(t.agent_state_history), [
                            {"id": new_id("state_change"), "agent_id": a, "tenant_id": tn, "old": c.old,
                             "new": c.new, "reason": c.reason, "at": at} for tn, a, c, at in changes])
                except Exception:  # e.g. an agent deleted meanwhile
                    log.warning("could not persist %d agent state change(s)", len(changes), exc_info=True)
            if stop:
                return
            time.sleep(0.25)  # let changes gather: a few transactions a second, however busy the agents

    def _away_agents(self) -> list[tuple[str, str | None]]:
        with UnitOfWork(self.db) as uow:
            rows = uow.conn.execute(select(t.agent_states).where(t.agent_states.c.state == "away"))
            return [(r.agent_id, r.reason) for r in rows]

    def _load(self) -> Directory:
        with UnitOfWork(self.db) as uow:
            return load_directory(uow)

    def config_changed(self) -> None:
        """Called after the configuration changed: the directory is rebuilt in the background."""
        self._dirty.set()

    async def _reload_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._dirty.wait()
            self._dirty.clear()
            try:
                self.directory = await loop.run_in_executor(self._io, self._load)
                Bridge.to_sip(self.presence.reconfigure, self.directory)
            except Exception:
                log.exception("could not reload the configuration")

    def _bindings(self) -> list[Binding]:
        with UnitOfWork(self.db) as uow:
            rows = uow.conn.execute(select(t.registrations)).mappings().all()
        return [Binding(r["agent_id"], r["tenant_id"], r["contact"], r["host"], r["port"], r["expires_at"],
                        r["user_agent"]) for r in rows]

    def _persist(self, agent_id: str, bindings: list[Binding]) -> None:
        self._io.submit(self._write_bindings, agent_id, list(bindings))

    def _write_bindings(self, agent_id: str, bindings: list[Binding]) -> None:
        try:
            with UnitOfWork(self.db) as uow:
                uow.conn.execute(delete(t.registrations).where(t.registrations.c.agent_id == agent_id))
                if bindings:
                    uow.conn.execute(insert(t.registrations), [
                        {"agent_id": b.agent_id, "tenant_id": b.tenant_id, "contact": b.contact, "host": b.host,
                         "port": b.port, "expires_at": b.expires_at, "user_agent": b.user_agent[:200]}
                        for b in bindings])
        except Exception:
            log.exception("could not persist the registrations of %s", agent_id)

    async def stop(self) -> None:
        if self._reloader is not None:
            self._reloader.cancel()
        loop = asyncio.get_running_loop()
        if self.sip is not None:
            if getattr(self, "_ticker", None) is not None:
                Bridge.to_sip(self._ticker.cancel)
            await loop.run_in_executor(None, self.sip.stop)
        if self.media is not None:
            self.media.stop()
        if self.rtpengine is not None:
            await loop.run_in_executor(None, self.rtpengine.stop)
        self.call_log.close()
        self._states.put(None)
        self._state_writer.join(timeout=30)
        self._io.shutdown(wait=True)
