"""The tenant's event stream: an agent key hears only what concerns its own agent (finding D16)."""

from __future__ import annotations

import asyncio
import json

from tongdai.app.events import EventBus


async def read_events(stream, count: int) -> list[str]:
    """The types of the next `count` events (events waiting together arrive in one chunk)."""
    types: list[str] = []
    while len(types) < count:
        chunk = await anext(stream)
        types += [json.loads(line[len("data: "):])["type"] for line in chunk.splitlines() if line.startswith("data: ")]
    return types


def test_an_agents_stream_carries_only_its_own_calls_offers_and_states():
    async def scenario() -> tuple[list[str], list[str]]:
        bus = EventBus()
        agent_stream = bus.subscribe("te_shop", agent_id="ag_an")
        admin_stream = bus.subscribe("te_shop")
        assert await anext(agent_stream) == ": connected\n\n" and await anext(admin_stream) == ": connected\n\n"
        bus.publish("te_shop", "call.started", {"id": "ca_1", "agent_id": "ag_binh", "callee_agent_id": None})
        bus.publish("te_shop", "call.offered", {"call_id": "ca_2", "agent_id": "ag_an"})
        bus.publish("te_shop", "call.started", {"id": "ca_3", "agent_id": "ag_binh", "callee_agent_id": "ag_an"})
        bus.publish("te_shop", "call.queued", {"call_id": "ca_4", "queue_id": "qu_1"})
        bus.publish("te_shop", "agent.status_changed", {"agent_id": "ag_an", "old": "offline", "new": "available"})
        return await read_events(agent_stream, 3), await read_events(admin_stream, 5)

    agent, admin = asyncio.run(scenario())
    assert agent == ["call.offered", "call.started", "agent.status_changed"]
    assert admin == ["call.started", "call.offered", "call.started", "call.queued", "agent.status_changed"]


def test_events_about_other_agents_never_reach_an_agents_stream_and_a_closed_stream_is_forgotten():
    """Hundreds of widgets each keep their agent's stream open: an event is queued only for the streams it
    concerns (a full queue would mean it was offered to all), and a stream closed is no subscriber."""
    async def scenario() -> None:
        bus = EventBus(queue_size=10)
        an = bus.subscribe("te_shop", agent_id="ag_an")
        assert await anext(an) == ": connected\n\n"
        for n in range(50):  # five times what an's queue holds
            bus.publish("te_shop", "call.started", {"id": f"ca_{n}", "agent_id": "ag_binh", "callee_agent_id": None})
        bus.publish("te_shop", "call.started", {"id": "ca_an", "agent_id": "ag_an", "callee_agent_id": None})
        assert await asyncio.wait_for(read_events(an, 1), 5) == ["call.started"]  # not lost to a full queue
        assert bus.has_subscribers("te_shop")
        await an.aclose()
        assert not bus.has_subscribers("te_shop")  # nothing is built for a tenant nobody listens to

    asyncio.run(scenario())


def test_events_waiting_together_leave_in_one_chunk_in_order():
    async def scenario() -> str:
        bus = EventBus()
        stream = bus.subscribe("te_shop")
        await anext(stream)
        for n in range(3):
            bus.publish("te_shop", "call.queued", {"call_id": f"ca_{n}"})
        return await anext(stream)

    chunk = asyncio.run(scenario())
    assert [json.loads(line[6:])["data"]["call_id"] for line in chunk.splitlines() if line.startswith("data: ")] \
        == ["ca_0", "ca_1", "ca_2"]


def test_a_stream_ends_once_its_key_is_revoked():
    from tongdai.api.routes.calls import _while_valid
    from tongdai.app.context import Context
    from tongdai.app.security import Principal

    async def scenario() -> list[str]:
        c = Context(engine=None)
        p = Principal(key_id="ak_1", role="agent", tenant_id="te_shop", agent_id="ag_an")

        async def stream():
            for n in range(5):
                yield f"chunk {n}"
                if n == 1:
                    c.keys.forget_key("ak_1")  # revoked while the stream is open

        return [chunk async for chunk in _while_valid(c, p, stream())]

    assert asyncio.run(scenario()) == ["chunk 0", "chunk 1"]
