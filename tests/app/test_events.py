"""The tenant's event stream: an agent key hears only what concerns its own agent (finding D16)."""

from __future__ import annotations

import asyncio
import json

from tongdai.app.events import EventBus


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
        seen_by_agent = [json.loads((await anext(agent_stream)).split("data: ", 1)[1])["type"] for _ in range(3)]
        seen_by_admin = [json.loads((await anext(admin_stream)).split("data: ", 1)[1])["type"] for _ in range(5)]
        return seen_by_agent, seen_by_admin

    agent, admin = asyncio.run(scenario())
    assert agent == ["call.offered", "call.started", "agent.status_changed"]
    assert admin == ["call.started", "call.offered", "call.started", "call.queued", "agent.status_changed"]


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
