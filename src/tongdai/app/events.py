"""The live event stream: events published per tenant, read by server-sent-event subscribers."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from ..domain.timestamps import iso, plain

END = ""  # put in a stream's queue: the stream ends


class EventBus:
    """Lives on the asyncio loop. A slow subscriber loses events rather than slowing calls down.

    Subscribers to a whole tenant (the wallboard, an admin key) get every event of it; an agent's own
    subscribers (its call widget, an agent key) are kept per agent and get only the events about that
    agent, so an event wakes the streams it concerns and no other: a tenant with hundreds of widgets
    open pays per event for the few that show it. Each event is encoded once, whoever reads it."""

    def __init__(self, queue_size: int = 1000):
        self.queue_size = queue_size
        self._subscribers: dict[str, set[asyncio.Queue]] = {}  # tenant -> streams of everything
        self._agents: dict[str, dict[str, set[asyncio.Queue]]] = {}  # tenant -> agent -> its own streams
        self._listeners: list = []  # callables (tenant_id, message), e.g. the webhook dispatcher
        self._tapped: frozenset[str] = frozenset()  # tenants the listeners want events of
        self._closed = False

    def add_listener(self, listener) -> None:
        self._listeners.append(listener)

    def set_tapped(self, tenant_ids: set[str]) -> None:
        self._tapped = frozenset(tenant_ids)

    def has_subscribers(self, tenant_id: str) -> bool:
        """Safe to ask from any thread: reads of dict entries and one frozenset."""
        return bool(self._subscribers.get(tenant_id)) or bool(self._agents.get(tenant_id)) \
            or tenant_id in self._tapped

    def publish(self, tenant_id: str, event_type: str, data: dict[str, Any]) -> None:
        message = {"type": event_type, "at": iso(datetime.now(UTC)), "data": data}
        for listener in self._listeners:
            listener(tenant_id, message)
        streams = list(self._subscribers.get(tenant_id, ()))
        agents = self._agents.get(tenant_id)
        if agents:
            for agent_id in {data.get("agent_id"), data.get("callee_agent_id")}:
                streams.extend(agents.get(agent_id, ()) if agent_id else ())
        if not streams:
            return
        chunk = f"event: {event_type}\ndata: {json.dumps(message, default=plain)}\n\n"
        for queue in streams:
            try:
                queue.put_nowait(chunk)
            except asyncio.QueueFull:  # a subscriber that does not keep up misses events
                continue

    def close(self) -> None:
        """The server is stopping: every open stream ends now (a client reconnects to the next
        server), so that none holds the shutdown up. On the loop."""
        self._closed = True
        queues = [q for group in self._subscribers.values() for q in group]
        queues += [q for agents in self._agents.values() for group in agents.values() for q in group]
        for queue in queues:
            while queue.full():
                queue.get_nowait()
            queue.put_nowait(END)

    async def subscribe(self, tenant_id: str, keepalive: float = 15.0,
                        agent_id: str | None = None) -> AsyncIterator[str]:
        """Server-sent events for one tenant (with `agent_id`, only those about that agent: its own
        calls, the calls offered to it, its states); a comment line every `keepalive` seconds. The
        events waiting when the stream is read leave together, in one chunk."""
        queue: asyncio.Queue = asyncio.Queue(self.queue_size)
        if agent_id is None:
            group = self._subscribers.setdefault(tenant_id, set())
        else:
            group = self._agents.setdefault(tenant_id, {}).setdefault(agent_id, set())
        group.add(queue)
        try:
            if self._closed:
                return
            yield ": connected\n\n"
            while True:
                try:
                    async with asyncio.timeout(keepalive):  # no task per wait, as wait_for makes
                        chunks = [await queue.get()]
                except TimeoutError:
                    yield ": keepalive\n\n"
                    continue
                while not queue.empty() and len(chunks) < 100:
                    chunks.append(queue.get_nowait())
                if END in chunks:
                    return
                yield "".join(chunks)
        finally:
            group.discard(queue)
            if agent_id is not None and not group:
                agents = self._agents.get(tenant_id, {})
                agents.pop(agent_id, None)
                if not agents:
                    self._agents.pop(tenant_id, None)
