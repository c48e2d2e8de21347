"""The composition root: the one place that builds tongdai's threads, workers and adapters and hands them
to each other. `tongdai serve` runs what `build()` returns: the HTTP API and, unless the settings say
`TONGDAI_SIP=off`, the switch (SIP engine, rtpengine, call log, state writers, configuration watcher),
started and stopped with the HTTP server."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import random
import signal
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI

from .api.app import create_app
from .app.batches import Spool
from .app.call_log import CallLog
from .app.configuration import ConfigurationWatcher, audio_bytes, load_snapshot
from .app.context import Context
from .app.events import EventBus
from .app.health import Health
from .app.live import LiveSwitch
from .app.live_records import AgentStateWriter, RegistrationWriter, restore
from .app.metrics import Metrics
from .app.notifier import Notification, agent_status_changed
from .app.recordings import Converter, RecordingOptions, Recordings
from .app.report_rollup import ReportRollup
from .app.security import VerifiedKeyCache
from .app.services.caller_id import CallerIdUsage
from .app.webhooks import WebhookDispatcher, WebhookTargets
from .app.widget import WidgetCredentials
from .demo import DEMO_TRUNK_NAME
from .domain.acd import StatusChanged
from .domain.calls import RECORDING_NOTICE
from .domain.directory import Directory
from .domain.errors import RuleViolation, Violation
from .domain.ivr import GOODBYE
from .domain.limits import Caps
from .domain.model import Prompt
from .media.dtmf import DtmfListener
from .media.housekeeping import Housekeeping
from .media.prompts import PromptError, PromptFiles, audio_for_upload
from .media.recording_audio import convert_measured, mp3_duration_ms
from .media.rtpengine import MediaWorker, NgClient, RtpengineOptions, RtpengineSupervisor, RtpengineWatch
from .settings import Settings
from .sip import wire
from .sip.compat import PortLock
from .sip.demo_carrier import DemoCarrier
from .sip.engine import Bridge, SipEngine
from .sip.probe import SipProbe
from .sip.registrar import Binding
from .sip.websocket import SipWebSocket
from .store.db import make_engine, upgrade
from .store.files import LocalFiles
from .store.uow import UnitOfWork
from .switch.answered import CallAudio
from .switch.switch import Switch

log = logging.getLogger("tongdai")


class SwitchRuntime:
    """The switch and the workers around it, wired once; `start()` starts every thread, in order."""

    def __init__(self, engine: Any, settings: Settings, bus: EventBus, usage: CallerIdUsage, directory: Directory,
                 browser_secret: bytes, metrics: Metrics):
        self.engine = engine
        self.metrics = metrics
        self.demo_carrier: DemoCarrier | None = None
        self.settings = settings
        self.bus = bus
        self.bridge: Bridge | None = None  # to the asyncio loop, once it runs
        limit = settings.spool_max_mb * 1024 * 1024
        self.recording_files = LocalFiles(settings.recordings_dir or settings.data_dir / "recordings")
        self.recordings = Recordings(engine, self.recording_files, RecordingOptions(
            pcaps=settings.recording_pcap_dir or settings.data_dir / "rtpengine" / "recordings",
            work=(settings.recordings_dir or settings.data_dir / "recordings") / ".work",
            keep_pcaps=settings.keep_pcaps, default_retention_days=settings.recording_retention_days),
            Converter(convert_measured, mp3_duration_ms), notify=self._notify)
        gather = settings.write_batch_ms / 1000
        self.call_log = CallLog(engine, bus, to_async=self._to_async, gather=gather,
                                spool=Spool(settings.spool / "call-log.jsonl", limit),
                                recordings_written=self.recordings.wake, on_event=metrics.call_event)
        self.states = AgentStateWriter(engine, gather=gather, spool=Spool(settings.spool / "agent-states.jsonl", limit))
        self.registrations = RegistrationWriter(engine, spool=Spool(settings.spool / "registrations.jsonl", limit))
        host, port = settings.sip_address
        ng_host, ng_port = settings.ng_address
        low, high = settings.rtp_range
        self.prompt_files = PromptFiles(settings.data_dir / "prompts")
        dtmf_host, dtmf_port = settings.dtmf_address or (ng_host, 0)
        self.dtmf = DtmfListener(dtmf_host, dtmf_port, on_key=self._key)  # bound now: rtpengine is told its port
        self.rtpengine = RtpengineSupervisor(RtpengineOptions(
            ng_host=ng_host, ng_port=ng_port, port_min=low, port_max=high,
            work_dir=settings.data_dir / "rtpengine", interface=host,
            dtmf_log_dest="{}:{}".format(*self.dtmf.address)),
            on_restart=self._media_lost) if settings.spawn_rtpengine else None
        self.rtpengine_watch = RtpengineWatch(ng_host, ng_port, on_restart=self._media_lost)
        self.housekeeping = Housekeeping(settings.data_dir / "rtpengine",
                                         retention_days=settings.recording_retention_days)
        self.media = MediaWorker(NgClient(ng_host, ng_port), deliver=Bridge.to_sip)
        # the lock file alone: a stale rtpengine of a crashed run may still hold the port until
        # the supervisor stops it
        self.ng_lock = PortLock(ng_host, ng_port, what="rtpengine-ng", probe=False)
        global_config: dict[str, Any] = {"_session_expires": settings.session_expires_seconds or None}
        self.switch = Switch(directory=directory, global_config=global_config, media=self.media, usage=usage,
                             publish=self.call_log.handle, notify=self._notify,
                             persist_bindings=self._persist_bindings, on_state_change=self._state_changed,
                             rng=random.Random(), caps=Caps(
                                 concurrent={"agent": settings.max_calls_per_agent,
                                             "tenant": settings.max_calls_per_tenant,
                                             "trunk": settings.max_calls_per_trunk},
                                 per_minute={"agent": settings.max_call_rate_per_agent,
                                             "tenant": settings.max_call_rate_per_tenant,
                                             "trunk": settings.max_call_rate_per_trunk}),
                             trunk_check_seconds=settings.trunk_check_seconds, browser_secret=browser_secret)
        self.switch.registrar.count_change = lambda change: metrics.registration_changes.labels(change).inc()
        self.sip = SipEngine(host, port, global_config=global_config, on_request=self._on_request,
                             trace=settings.sip_trace, rate_per_source=settings.sip_rate_per_source)
        self.sip.exempt(directory.carrier_hosts())
        self.websocket = SipWebSocket(global_config, on_closed=self.switch.websocket_closed)
        self.probe = SipProbe(host, port, on_dead=restart_process)
        self.live = LiveSwitch(self.switch, ask=Bridge.ask_sip)
        self.health = Health(engine, sip=self.probe.view, wire=wire.stats.view, media=self._rtpengine_answers,
                             writers=(self.call_log.writer, self.states.writer, self.registrations.writer))

    # -- the SIP thread's hand-offs ------------------------------------------------------------------

    def _to_async(self, fn: Any, *args: Any) -> None:
        if self.bridge is not None:
            self.bridge.to_async(fn, *args)

    def _on_request(self, req: Any, sip_t: Any) -> Any:
        method = req.getMethod()
        self.metrics.sip_requests.labels(method if method in wire.SIP_METHODS else "other").inc()
        return self.switch.on_request(req, sip_t)

    def _notify(self, n: Notification) -> None:
        self._to_async(self.bus.publish, n.tenant_id, n.type, n.data)

    def _state_changed(self, tenant_id: str, agent_id: str, change: StatusChanged, at: datetime) -> None:
        self.states.changed(tenant_id, agent_id, change, at)
        if self.bus.has_subscribers(tenant_id):
            self._notify(agent_status_changed(tenant_id, agent_id, change.old, change.new, change.reason, at))

    def _persist_bindings(self, agent_id: str, bindings: list[Binding]) -> None:
        self.registrations.changed(agent_id, [
            {"agent_id": b.agent_id, "tenant_id": b.tenant_id, "contact": b.contact, "host": b.host,
             "port": b.port, "expires_at": b.expires_at, "user_agent": b.user_agent[:200]} for b in bindings])

    def _key(self, media_call_id: str, tag: str, key: str) -> None:
        """From the DTMF listener's thread."""
        Bridge.to_sip(self.switch.dtmf, media_call_id, tag, key)

    def _rtpengine_answers(self) -> bool:
        """For /health, from an API thread: a ping on a socket of its own."""
        client = NgClient(*self.settings.ng_address, timeout=0.5)
        try:
            return client.ping()
        finally:
            client.close()

    def _media_lost(self, uptime: float | None = None) -> None:
        """From the rtpengine supervisor's thread (it started rtpengine just now) or the watch's
        (rtpengine says it has run `uptime` whole seconds: it may have started up to a second earlier, and
        a call placed in that second is given the benefit of the doubt)."""
        self.metrics.rtpengine_restarts.inc()
        ago = 0.0 if uptime is None else uptime + 1.0
        Bridge.to_sip(self.switch.media_lost, datetime.now(UTC) - timedelta(seconds=ago))

    def apply_configuration(self, directory: Directory) -> None:
        """From the configuration watcher (its thread): the IVR prompts are made for the new snapshot, then
        the switch swaps both in its own thread."""
        self.sip.exempt(directory.carrier_hosts())
        Bridge.to_sip(self.switch.apply_configuration, directory, self._audio_for(directory))

    def _audio_for(self, directory: Directory) -> CallAudio:
        """Every IVR node's prompt and every queue's uploaded music as a file (spoken once, or written from
        the upload once); a file that cannot be made is logged and left out (its node still waits for keys;
        its queue plays the music tongdai ships)."""
        prompts: dict[tuple[str, str], str] = {}
        for tree in directory.ivr_trees.values():
            for node in tree.nodes:
                try:
                    if node.prompt.type == "tts" and node.prompt.text:
                        path = self.prompt_files.speech(node.prompt.text, node.prompt.language)
                    elif node.prompt.audio_id:
                        audio = audio_bytes(self.engine, tree.tenant_id, node.prompt.audio_id)
                        if audio is None:
                            continue
                        path = self.prompt_files.audio(audio)
                    else:
                        continue
                except PromptError as exc:
                    log.error("IVR %s node %s: no prompt: %s", tree.id, node.id, exc)
                    continue
                prompts[(tree.id, node.id)] = str(path)
        goodbyes = {}
        for language, text in GOODBYE.items():
            try:
                goodbyes[language] = str(self.prompt_files.speech(text, language))
            except PromptError as exc:
                log.error("no goodbye prompt in %s: %s", language, exc)
        notices = {}
        for language, text in RECORDING_NOTICE.items():
            try:
                notices[language] = str(self.prompt_files.speech(text, language))
            except PromptError as exc:
                log.error("no recording announcement in %s: %s", language, exc)
        queue_music = {}
        for queue in directory.queues.values():
            if queue.music_audio_id:
                upload = audio_bytes(self.engine, queue.tenant_id, queue.music_audio_id)
                try:
                    if upload is not None:
                        queue_music[queue.id] = str(self.prompt_files.audio(upload))
                except PromptError as exc:
                    log.error("queue %s: no music file: %s", queue.id, exc)
        return CallAudio(prompts, goodbyes, str(self.prompt_files.music()), queue_music, notices)

    # -- start and stop -----------------------------------------------------------------------------

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self.bridge = Bridge(loop)
        for writer in (self.call_log, self.states, self.registrations):  # each replays its spool first
            await loop.run_in_executor(None, writer.start)
        closed = await loop.run_in_executor(None, self.call_log.close_interrupted, datetime.now(UTC))
        if closed:
            log.warning("closed %d call(s) left open by a previous run as interrupted", closed)
        self.recordings.start()  # recordings of those calls too are converted from what rtpengine wrote
        bindings, away = await loop.run_in_executor(None, restore, self.engine)
        audio = await loop.run_in_executor(None, self._audio_for, self.switch.directory)
        self.switch.apply_configuration(self.switch.directory, audio)  # before the engine runs
        self.dtmf.start()
        self.switch.restore([Binding(r["agent_id"], r["tenant_id"], r["contact"], r["host"], r["port"],
                                     r["expires_at"], r["user_agent"]) for r in bindings], away)
        if self.rtpengine is not None:  # one spawned rtpengine per ng address, as one engine per SIP port
            self.ng_lock.acquire()
            await loop.run_in_executor(None, self.rtpengine.start)
            self.housekeeping.start()
        self.media.start()
        self.rtpengine_watch.start()
        await loop.run_in_executor(None, self.sip.start)
        Bridge.to_sip(self.websocket.attach, loop)
        Bridge.to_sip(self.switch.start)
        self.probe.start()
        await self._start_demo_carrier()
        # sippy makes many small objects per call; with the default thresholds the cyclic collector
        # runs so often, and over so much, that its pauses outlast SIP's 500 ms retransmission timer
        # under load. Move what start-up made out of its way and let young objects pile up longer.
        gc.freeze()
        gc.set_threshold(50_000, 50, 100)

    async def _start_demo_carrier(self) -> None:
        """The demo's test carrier, where the demo trunk points, when the demo tenant is loaded."""
        s = self.settings
        trunk = next((t for t in self.switch.directory.trunks.values() if t.name == DEMO_TRUNK_NAME), None)
        if s.demo_carrier != "auto" or trunk is None or not (s.data_dir / "demo-keys.json").exists():
            return
        carrier = DemoCarrier((trunk.host, trunk.port), s.sip_address, s.data_dir / "demo-carrier.sock")
        try:
            await carrier.start()
        except OSError as exc:
            log.warning("demo carrier not started: %s:%d: %s", trunk.host, trunk.port, exc.strerror or exc)
            return
        self.demo_carrier = carrier

    async def _drain(self, loop: asyncio.AbstractEventLoop) -> None:
        """New calls get 503; calls up may end by themselves within the grace period; then both legs of
        every call left get BYE, and their rows are closed as `shutdown`."""
        up = await loop.run_in_executor(None, Bridge.ask_sip, self.switch.stop_taking_calls)
        deadline = loop.time() + self.settings.shutdown_grace_seconds
        while up and loop.time() < deadline:
            await asyncio.sleep(0.2)
            up = await loop.run_in_executor(None, Bridge.ask_sip, self.switch.calls_up)
        if up:
            ended = await loop.run_in_executor(None, Bridge.ask_sip, self.switch.end_every_call)
            log.warning("stopping: hung up %d call(s) still up after %.0f s", ended,
                        self.settings.shutdown_grace_seconds)
            await asyncio.sleep(1.0)  # the BYEs go out and are answered before the engine stops

    async def stop(self) -> None:
        loop = asyncio.get_running_loop()
        if self.demo_carrier is not None:
            await self.demo_carrier.stop()
        await loop.run_in_executor(None, self.probe.stop)
        await loop.run_in_executor(None, self.dtmf.stop)
        await loop.run_in_executor(None, self.rtpengine_watch.stop)
        if self.sip.running:
            await self._drain(loop)
            await loop.run_in_executor(None, Bridge.ask_sip, self.websocket.detach)
            Bridge.to_sip(self.switch.stop)
            await loop.run_in_executor(None, self.sip.stop)
        self.media.stop()
        if self.rtpengine is not None:
            await loop.run_in_executor(None, self.housekeeping.stop)
            await loop.run_in_executor(None, self.rtpengine.stop)
            self.ng_lock.release()
        await loop.run_in_executor(None, self.call_log.close)
        await loop.run_in_executor(None, self.recordings.stop)  # what is left is converted at the next start
        for writer in (self.states, self.registrations):
            await loop.run_in_executor(None, writer.stop)


RESTART_EXIT_CODE = 75  # `tongdai serve` exits with it when its SIP engine died; scripts/run.sh restarts it
restart_requested = threading.Event()


def restart_process() -> None:
    """The SIP engine stopped answering: stop gracefully, and let `tongdai serve` exit with
    RESTART_EXIT_CODE so that its supervisor (scripts/run.sh, systemd) starts it again."""
    log.critical("the SIP engine stopped answering: restarting tongdai")
    restart_requested.set()
    os.kill(os.getpid(), signal.SIGTERM)


def _recordings_pending(engine: Any) -> int:
    with UnitOfWork(engine) as uow:
        return uow.recordings.count_pending()


def build(settings: Settings) -> FastAPI:
    """The HTTP API over the settings' database, with the switch unless `TONGDAI_SIP=off`."""
    engine = make_engine(settings.database)
    upgrade(engine)
    bus, usage, keys, metrics = EventBus(), CallerIdUsage(), VerifiedKeyCache(), Metrics()
    targets = WebhookTargets(allowed=settings.webhook_networks)
    webhooks = WebhookDispatcher(engine, bus, targets, metrics=metrics)
    version, directory = load_snapshot(engine)
    browser_secret = secret_file(settings.data_dir / "widget-sip.key")
    runtime = SwitchRuntime(engine, settings, bus, usage, directory, browser_secret, metrics) \
        if settings.sip == "on" else None
    metrics.sources.wire = wire.stats.view
    metrics.sources.sent = lambda: dict(wire.stats.sent)
    metrics.sources.recordings_pending = lambda: _recordings_pending(engine)
    if runtime is not None:
        metrics.sources.switch = runtime.live.metrics
        metrics.sources.rtpengine_up = runtime._rtpengine_answers
        metrics.sources.writers = lambda: {w.name: w.backlog() for w in (
            runtime.call_log.writer, runtime.states.writer, runtime.registrations.writer)}
    watcher = ConfigurationWatcher(engine, version=version, reload_webhooks=webhooks.reload, forget_keys=keys.clear,
                                   apply=runtime.apply_configuration if runtime is not None else None,
                                   poll_seconds=settings.config_poll_seconds)
    prompt_files = PromptFiles(settings.data_dir / "prompts")
    rollup = ReportRollup(engine)

    def prompt_audio(prompt: Prompt, upload: bytes | None) -> bytes:
        try:
            return prompt_files.heard(prompt.text if prompt.type == "tts" else None, prompt.language, upload)
        except PromptError as exc:
            raise RuleViolation(Violation("prompt", "prompt_unavailable", str(exc))) from None

    ctx = Context(engine=engine, keys=keys, bus=bus, usage=usage, webhooks=webhooks, webhook_targets=targets,
                  prompt_audio=prompt_audio, audio_upload=audio_for_upload,
                  on_commit=watcher.committed,
                  health=runtime.health if runtime is not None else None,
                  widget=WidgetCredentials(browser_secret) if runtime is not None else None,
                  embed_origins=settings.embed_origins,
                  recording_retention_days=settings.recording_retention_days,
                  metrics=metrics, metrics_token=settings.metrics_token,
                  recording_files=runtime.recording_files if runtime is not None else
                  LocalFiles(settings.recordings_dir or settings.data_dir / "recordings"))

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await webhooks.start()
        rollup.start()
        try:
            if runtime is not None:
                try:
                    await runtime.start()
                except BaseException:
                    await runtime.stop()
                    raise
                ctx.live = runtime.live
            await watcher.start()
            yield
        finally:
            ctx.live = None
            await watcher.stop()
            if runtime is not None:
                await runtime.stop()
                log.info("switch stopped")
            await webhooks.stop()
            await asyncio.get_running_loop().run_in_executor(None, rollup.stop)

    app = create_app(ctx, lifespan=lifespan)
    app.state.end_streams = bus.close  # `tongdai serve` calls it when told to stop
    if runtime is not None:  # SIP over WebSocket for the call widget, on the API's own port
        app.add_api_websocket_route("/sip", runtime.websocket.endpoint)
    return app


def secret_file(path: Any) -> bytes:
    """A random secret kept in the data directory (created once, readable by tongdai's user only)."""
    if path.exists():
        secret = path.read_bytes()
        if len(secret) >= 32:
            return secret
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = os.urandom(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(secret)
    return secret
