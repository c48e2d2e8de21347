"""The live event stream: events published per tenant, read by server-sent-event subscribers."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from ..domain.timestamps import iso, plain


class EventBus:
    """Lives on the asyncio loop. A slow subscriber loses events rather than slowing calls down."""

    def __init__(self, queue_size: int = 1000):
        self.queue_size = queue_size
        self._subscribers: dict[str, set[asyncio.Queue]] = {}
        self._listeners: list = []  # callables (tenant_id, message), e.g. the webhook dispatcher
        self._tapped: frozenset[str] = frozenset()  # tenants the listeners want events of

    def add_listener(self, listener) -> None:
        self._listeners.append(listener)

    def set_tapped(self, tenant_ids: set[str]) -> None:
        self._tapped = frozenset(tenant_ids)

    def has_subscribers(self, tenant_id: str) -> bool:
        """Safe to ask from any thread: reads of one dict entry and one frozenset."""
        return bool(self._subscribers.get(tenant_id)) or tenant_id in self._tapped

    def publish(self, tenant_id: str, event_type: str, data: dict[str, Any]) -> None:
        message = {"type": event_type, "at": iso(datetime.now(UTC)), "data": data}
        for listener in self._listeners:
            listener(tenant_id, message)
        for queue in list(self._subscribers.get(tenant_id, ())):
            try:
                queue.put_nowait(message)
            except asyncio.QueueFull:  # a subscriber that does not keep up misses events
                continue

    async def subscribe(self, tenant_id: str, keepalive: float = 15.0,
                        agent_id: str | None = None) -> AsyncIterator[str]:
        """Server-sent events for one tenant (with `agent_id`, only those about that agent: its own
        calls, the calls offered to it, its states); a comment line every `keepalive` seconds."""
        queue: asyncio.Queue = asyncio.Queue(self.queue_size)
        self._subscribers.setdefault(tenant_id, set()).add(queue)
        try:
            yield ": connected\n\n"
            while True:
                try:
                    message = await asyncio.wait_for(queue.get(), keepalive)
                except TimeoutError:
                    yield ": keepalive\n\n"
                    continue
                if agent_id is not None and not concerns(message["data"], agent_id):
                    continue
                yield f"event: {message['type']}\ndata: {json.dumps(message, default=plain)}\n\n"
        finally:
            self._subscribers[tenant_id].discard(queue)


def concerns(data: dict[str, Any], agent_id: str) -> bool:
    """Whether an event's payload is about this agent (its calls, its offers, its states)."""
    return agent_id in (data.get("agent_id"), data.get("callee_agent_id"))
