"""The live event stream: events published per tenant, read by server-sent-event subscribers."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timezone
from typing import Any, AsyncIterator


class EventBus:
    """Lives on the asyncio loop. A slow subscriber loses events rather than slowing calls down."""

    def __init__(self, queue_size: int = 1000):
        self.queue_size = queue_size
        self._subscribers: dict[str, set[asyncio.Queue]] = {}

    def has_subscribers(self, tenant_id: str) -> bool:
        """Safe to ask from any thread: a read of one dict entry."""
        return bool(self._subscribers.get(tenant_id))

    def publish(self, tenant_id: str, event_type: str, data: dict[str, Any]) -> None:
        message = {"type": event_type, "at": datetime.now(timezone.utc).isoformat(), "data": data}
        for queue in list(self._subscribers.get(tenant_id, ())):
            try:
                queue.put_nowait(message)
            except asyncio.QueueFull:
                pass

    async def subscribe(self, tenant_id: str, keepalive: float = 15.0) -> AsyncIterator[str]:
        """Server-sent events for one tenant; a comment line every `keepalive` seconds."""
        queue: asyncio.Queue = asyncio.Queue(self.queue_size)
        self._subscribers.setdefault(tenant_id, set()).add(queue)
        try:
            yield ": connected\n\n"
            while True:
                try:
                    message = await asyncio.wait_for(queue.get(), keepalive)
                except asyncio.TimeoutError:
                    yield ": keepalive\n\n"
                    continue
                yield f"event: {message['type']}\ndata: {json.dumps(message, default=str)}\n\n"
        finally:
            self._subscribers[tenant_id].discard(queue)
