"""The queueing carries out the agent/queue machine's effects on queued calls, tested against fake
legs in milliseconds; and the switch swaps its one configuration snapshot in one place."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from tongdai.app.services.caller_id import CallerIdUsage
from tongdai.domain.calls import INBOUND, CallRecord
from tongdai.domain.model import MaxWaitAction, Queue, QueueGroup
from tongdai.domain.routing import Inbound, route_invite
from tongdai.sip.registrar import Binding
from tongdai.switch.legs import Destination
from tongdai.switch.switch import Switch

from .world import AN, BINH, LINE, SALES, directory, with_overflow

CARRIER = ("10.0.0.1", 5060)


class FakeLeg:
    """A queued call as the queueing sees it: records what it was asked to do."""

    def __init__(self, *, record, queue_id, caller, record_audio, events):
        self.record, self.queue_id, self.caller, self.record_audio, self.events = (
            record, queue_id, caller, record_audio, events)
        self.connected_agent = None
        self.ua_caller = None
        self.rung: dict[str, list] = {}
        self.cancelled: list[str] = []
        self.forwarded: list[Destination] = []
        self.hung_up: list[tuple[int, str]] = []

    def offer_to(self, agent_id, phones, headers=()):
        self.rung[agent_id] = phones

    def cancel(self, agent_id):
        self.cancelled.append(agent_id)

    def forward(self, destination):
        self.forwarded.append(destination)

    def hang_up_caller(self, status, reason):
        self.hung_up.append((status, reason))

    def shut_down(self, reason="shutdown"):
        self.hung_up.append((0, reason))


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


class Harness:
    def __init__(self, d=None, caps=None):
        self.clock = Clock()
        self.events, self.published, self.states = [], [], []
        self.switch = Switch(directory=d or directory(), global_config={"_sip_address": "127.0.0.1"}, media=None,
                             usage=CallerIdUsage(), publish=lambda r, e: self.published.append((r.id, e)),
                             notify=self.events.append, persist_bindings=lambda *_: None,
                             on_state_change=lambda *a: self.states.append(a), clock=self.clock,
                             queued_call=FakeLeg, caps=caps, trunk_check_seconds=0)

    def register(self, agent, *phones: int) -> None:
        self.switch.registrar.restore([Binding(agent.id, agent.tenant_id, f"sip:{agent.sip_username}@127.0.0.1:{p}",
                                               "127.0.0.1", p, time.time() + 3600) for p in phones])
        self.switch.presence.registered(agent.id, True)

    def inbound(self, called: str = "0981234567") -> FakeLeg:
        """A carrier's call, routed on the switch's current snapshot and queued."""
        route = route_invite(self.switch.directory, CARRIER, "0912345678", "carrier", called)
        assert isinstance(route, Inbound), route
        record = CallRecord(id=f"ca_{len(self.switch.queueing.queued)}", tenant_id=LINE.tenant_id, direction=INBOUND,
                            started_at=datetime.now(UTC), hotline_id=route.hotline.id,
                            hotline_number=route.hotline.number, customer_number=route.customer_number)
        call = self.switch.queueing.take(route, record)
        self.switch.queueing.queue(call)  # what the call reports once the caller hears ringback
        return call

    def types(self) -> list[str]:
        return [e.type for e in self.events]


def test_an_offer_rings_every_registered_phone_of_the_agent():
    h = Harness()
    h.register(AN, 5071, 5072)
    call = h.inbound()
    assert sorted(address[1] for address, _, _ in call.rung[AN.id]) == [5071, 5072]
    assert h.types() == ["call.queued", "call.offered"]
    assert call.record.queue_id == SALES.id


def test_an_agent_without_a_live_phone_declines_and_the_next_agent_is_rung():
    h = Harness()
    h.register(AN)  # registered for the presence, but its binding expired before the tick noticed
    h.register(BINH, 5072)
    call = h.inbound()
    assert list(call.rung) == [BINH.id]


def test_the_first_answer_wins_and_the_call_ends_into_wrap_up_with_the_hotlines_seconds():
    h = Harness()
    h.register(AN, 5071)
    call = h.inbound()
    assert h.switch.queueing.answered(call, AN.id)
    call.connected_agent = AN.id
    h.switch.queueing.ended(call)
    assert h.switch.presence.view(AN.id)["state"] == "wrap_up"
    h.clock.now += LINE.wrap_up_seconds
    h.switch.presence.tick()
    assert h.switch.presence.view(AN.id)["state"] == "available"
    assert (call.record.id, "call.wrap_up_ended") in h.published and call.record.wrap_up_seconds == 15


def test_the_answer_time_alert_fires_once_per_call():
    h = Harness()
    h.inbound()
    for _ in range(3):
        h.clock.now += 20
        h.switch.presence.tick()
    assert h.types().count("call.answer_time_exceeded") == 1


@pytest.mark.parametrize("action, expected", [
    (MaxWaitAction("hangup", reason="closed"), ("hangup", (480, "closed"))),
    (MaxWaitAction("hangup"), ("hangup", (480, "no agent available"))),
    (MaxWaitAction("external", number="0911222333"), ("external:+84911222333", None)),
])
def test_max_wait_hangs_up_with_the_queues_reason_or_forwards_through_the_hotlines_trunk(action, expected):
    h = Harness(directory(queues=(with_overflow(SALES, action),)))
    call = h.inbound()
    h.clock.now += SALES.max_wait_seconds
    h.switch.presence.tick()
    overflow, hung_up = expected
    assert call.record.overflow == overflow
    if hung_up:
        assert call.hung_up == [hung_up] and call.record.id not in h.switch.queueing.queued
    else:
        (dest,) = call.forwarded
        assert (dest.host, dest.port, dest.called, dest.calling) == ("127.0.0.1", 5070, "+84911222333", LINE.number)


def test_max_wait_into_another_queue_keeps_the_call_and_says_so():
    backup = Queue("qu_backup", SALES.tenant_id, "Backup", groups=(QueueGroup("gr_backup", 1),))
    h = Harness(directory(queues=(with_overflow(SALES, MaxWaitAction("queue", queue_id=backup.id)), backup)))
    call = h.inbound()
    h.clock.now += SALES.max_wait_seconds
    h.switch.presence.tick()
    assert (call.queue_id, call.record.queue_id, call.record.overflow) == (backup.id, backup.id, "queue:qu_backup")
    queued = [e for e in h.events if e.type == "call.queued"]
    assert [e.data["overflow"] for e in queued] == [None, "queue:qu_backup"]


def test_a_call_arriving_as_the_configuration_changes_is_queued_never_refused():
    """The window of the old design: the switchboard's copy of the configuration was swapped on the
    asyncio thread and the distributor's later on the SIP thread, so a call routed in between saw a
    hotline whose new queue the distributor did not have yet (480 queue_not_available). Here the
    snapshot is swapped in one place: a call routed just before the swap goes to the old queue, one
    routed just after to the new one, and the distributor has both."""
    h = Harness()
    h.register(AN, 5071)
    new_queue = Queue("qu_new", SALES.tenant_id, "New", groups=(QueueGroup("gr_sales", 1),))
    moved = directory(queues=(SALES, new_queue), hotlines=(replace(LINE, queue_id=new_queue.id),))
    before = h.inbound()  # routed on the snapshot the switch runs: the old queue
    h.switch.apply_configuration(moved)  # the only swap: routing, registrar and queues at once
    after = h.inbound()
    assert (before.queue_id, after.queue_id) == (SALES.id, new_queue.id)
    distributor = h.switch.presence.distributor
    assert {before.record.id, after.record.id} <= set(distributor.calls) | set(distributor.connected)
    for hotline in h.switch.directory.hotline_by_number.values():
        assert hotline.queue_id is None or hotline.queue_id in distributor.queues


def test_an_overflow_to_an_external_number_counts_in_the_tenants_and_trunks_caps():
    from tongdai.domain.limits import Caps
    action = MaxWaitAction("external", number="0911222333")
    h = Harness(directory(queues=(with_overflow(SALES, action),)), caps=Caps(concurrent={"tenant": 1}))
    first, second = h.inbound("0981234567"), h.inbound("0981234567")
    h.clock.now += SALES.max_wait_seconds
    h.switch.presence.tick()
    assert len(first.forwarded) == 1 and second.forwarded == []  # the tenant has one call out already
    assert second.hung_up == [(480, "no agent available")]
    refused = [e for e in h.events if e.type == "call.refused"]
    assert [(e.data["call_id"], e.data["code"]) for e in refused] == [(second.record.id, "too_many_calls")]
    h.switch.queueing.ended(first)  # the first overflow call ends: the tenant may call out again
    assert h.switch.queueing.limits.active == {}


def test_calls_the_switch_hangs_up_leave_the_queue_and_are_never_offered_again():
    """D11: rtpengine restarted: a waiting call ended as media_lost must not be offered to the next agent."""
    from datetime import timedelta
    h = Harness()
    waiting = h.inbound()
    h.switch.media_lost(datetime.now(UTC) + timedelta(seconds=1))
    assert waiting.hung_up == [(0, "media_lost")] and h.switch.queueing.queued == {}
    h.register(AN, 5071)  # an agent comes free
    h.switch.presence.tick()
    assert waiting.rung == {} and h.switch.presence.view(AN.id)["state"] == "available"
