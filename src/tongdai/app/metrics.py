"""What Prometheus scrapes at `/metrics`: counters kept as things happen (calls, SIP requests, registration
changes, webhook deliveries, rtpengine restarts) and gauges read at scrape time from their owners (live
calls, registrations, agents by state, queues, IVR sessions, recordings pending, writers' backlog,
rtpengine's ping). No tenant label: a label per tenant (or per agent) would grow with the customer base;
queues are labelled by id, bounded by configuration. One `Metrics` per process (its own registry)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from ..domain.calls import CallRecord

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
SETUP_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0)


@dataclass
class Sources:
    """Where scrape-time gauges are read (each may be absent: `TONGDAI_SIP=off` has no switch)."""

    switch: Callable[[], dict[str, Any]] | None = None  # the SIP thread's view (registrations, agents, queues, IVR)
    recordings_pending: Callable[[], int] | None = None
    writers: Callable[[], dict[str, int]] | None = None  # writer name -> rows waiting
    rtpengine_up: Callable[[], bool] | None = None
    wire: Callable[[], dict[str, int]] | None = None  # the SIP socket's counters
    sent: Callable[[], dict[str, int]] | None = None  # SIP messages sent, by method or status


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.calls_started = Counter("tongdai_calls_started", "calls started, by direction", ["direction"],
                                     registry=r)
        self.calls_ended = Counter("tongdai_calls_ended", "calls ended, by direction and end reason (completed, "
                                   "abandoned, busy, no_answer, refused, ...)", ["direction", "outcome"], registry=r)
        self.calls_active = Gauge("tongdai_calls_active", "calls up now (started, not ended), by direction",
                                  ["direction"], registry=r)
        self.call_setup = Histogram("tongdai_call_setup_seconds", "from a call's INVITE to the far side's first "
                                    "ringing or answer, by direction", ["direction"], buckets=SETUP_BUCKETS,
                                    registry=r)
        self.sip_requests = Counter("tongdai_sip_requests_received", "SIP requests the switch handled (out of "
                                    "dialog), by method", ["method"], registry=r)
        self.registration_changes = Counter("tongdai_registration_changes", "SIP bindings added or removed",
                                            ["change"], registry=r)
        self.webhook_deliveries = Counter("tongdai_webhook_deliveries", "webhook deliveries finished, by outcome "
                                          "(delivered, failed)", ["outcome"], registry=r)
        self.webhook_attempts_failed = Counter("tongdai_webhook_attempts_failed", "webhook attempts that did not "
                                               "get a 2xx (each retry counts)", registry=r)
        self.rtpengine_restarts = Counter("tongdai_rtpengine_restarts", "times rtpengine was found restarted "
                                          "(its calls lost their media)", registry=r)
        self._active: set[str] = set()  # calls counted in calls_active (the SIP thread's)
        self.sources = Sources()
        r.register(_Live(self.sources))

    # -- what happens (called by their owners) ------------------------------------------------------

    def call_event(self, record: CallRecord, event: str) -> None:
        """From the call log's hand-off (SIP thread), once per event of every call."""
        direction = record.direction
        if event == "call.started":
            self.calls_started.labels(direction).inc()
            if record.ended_at is None:  # not refused at once
                self._active.add(record.id)
                self.calls_active.labels(direction).inc()
        elif event == "call.ended":
            self.calls_ended.labels(direction, record.end_reason or "unknown").inc()
            if record.id in self._active:
                self._active.discard(record.id)
                self.calls_active.labels(direction).dec()
        elif event in ("call.ringing", "call.answered"):
            first = record.ringing_at or record.answered_at
            if first is not None and (event == "call.ringing" or record.ringing_at is None):
                self.call_setup.labels(direction).observe(max(0.0, (first - record.started_at).total_seconds()))

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _Live(Collector):
    def __init__(self, sources: Sources):
        self.sources = sources

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        s = self.sources
        if s.wire is not None:
            wire = s.wire()
            for name, help_ in (("malformed", "SIP datagrams that could not be parsed or had unusable addresses"),
                                ("rate_limited", "SIP datagrams dropped unread: their source was over its rate"),
                                ("send_errors", "SIP datagrams the socket failed to send"),
                                ("datagrams", "SIP datagrams read from the UDP socket, rate limited or not")):
                yield _gauge(f"tongdai_sip_{name}", help_ + " (since start)", value=wire.get(name, 0))
        if s.sent is not None:
            sent = CounterMetricFamily("tongdai_sip_messages_sent", "SIP messages the switch sent, by request method "
                                       "or response status", labels=["message"])
            for key, n in sorted(s.sent().items()):
                sent.add_metric([key], n)
            yield sent
        if s.switch is not None:
            view = s.switch()
            yield _gauge("tongdai_registrations", "live SIP bindings (phones and widgets registered)",
                         value=view["bindings"])
            agents = GaugeMetricFamily("tongdai_agents", "agents by state", labels=["state"])
            for state, n in sorted(view["agents"].items()):
                agents.add_metric([state], n)
            yield agents
            waiting = GaugeMetricFamily("tongdai_queue_waiting_calls", "calls waiting in a queue", labels=["queue"])
            longest = GaugeMetricFamily("tongdai_queue_longest_wait_seconds", "the longest wait in a queue now",
                                        labels=["queue"])
            for queue_id, (n, wait) in sorted(view["queues"].items()):
                waiting.add_metric([queue_id], n)
                longest.add_metric([queue_id], wait)
            yield waiting
            yield longest
            yield _gauge("tongdai_ivr_sessions", "callers in an IVR now", value=view["ivr"])
        if s.recordings_pending is not None:
            yield _gauge("tongdai_recordings_pending", "recordings not converted yet (recording or pending)",
                         value=s.recordings_pending())
        if s.writers is not None:
            backlog = GaugeMetricFamily("tongdai_writer_backlog", "rows waiting to be written, by writer",
                                        labels=["writer"])
            for name, n in sorted(s.writers().items()):
                backlog.add_metric([name], n)
            yield backlog
        if s.rtpengine_up is not None:
            yield _gauge("tongdai_rtpengine_up", "1 when rtpengine answers its ping", value=int(s.rtpengine_up()))


def _gauge(name: str, help_: str, *, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, help_, value=value)
