"""Webhooks: every event of a tenant's stream that a webhook asked for is POSTed to its URL, signed
with HMAC-SHA256 over the body, retried with backoff, and kept in a delivery log. Deliveries run as
asyncio tasks: a slow or dead receiver never holds up call handling."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

import httpx

from ..domain.errors import NotFound, Violation, collect
from ..store.uow import UnitOfWork
from .events import EventBus
from .ids import new_id
from .notifier import EVENTS

log = logging.getLogger("tongdai.webhooks")
BACKOFF = (1.0, 2.0, 4.0, 8.0)  # seconds before attempts 2..5


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


# -- service functions (configuration) -------------------------------------------------------------

def create_webhook(uow: UnitOfWork, *, tenant_id: str, url: str, events: list[str], secret: str,
                   now: datetime) -> dict[str, Any]:
    out: list[Violation] = []
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        out.append(Violation("url", "invalid_url", "an http or https URL with a host"))
    unknown = [e for e in events if e not in EVENTS and e != "*"]
    if not events or unknown:
        out.append(Violation("events", "invalid_value", f"events are '*' or some of {', '.join(EVENTS)}"))
    if len(secret) < 16:
        out.append(Violation("secret", "too_short", "a webhook secret has at least 16 characters"))
    collect(out)
    row = {"id": new_id("webhook"), "tenant_id": tenant_id, "url": url, "events": sorted(set(events)),
           "secret": secret, "created_at": now}
    uow.webhooks.add(row)
    return row


def list_webhooks(uow: UnitOfWork, *, tenant_id: str) -> list[dict[str, Any]]:
    return uow.webhooks.list(tenant_id)


def get_webhook(uow: UnitOfWork, *, tenant_id: str, webhook_id: str) -> dict[str, Any]:
    row = uow.webhooks.get(webhook_id, tenant_id)
    if row is None:
        raise NotFound("webhook", webhook_id)
    return row


def delete_webhook(uow: UnitOfWork, *, tenant_id: str, webhook_id: str) -> None:
    get_webhook(uow, tenant_id=tenant_id, webhook_id=webhook_id)
    uow.webhooks.remove(webhook_id, tenant_id)


def deliveries(uow: UnitOfWork, *, tenant_id: str, webhook_id: str, limit: int, offset: int) -> list[dict]:
    get_webhook(uow, tenant_id=tenant_id, webhook_id=webhook_id)
    return uow.webhooks.deliveries(webhook_id, tenant_id, limit, offset)


# -- the dispatcher (runtime) ------------------------------------------------------------------------

class WebhookDispatcher:
    """Lives on the asyncio loop; database work goes to one thread so the loop never waits on it."""

    def __init__(self, engine, bus: EventBus):
        self.engine = engine
        self.bus = bus
        self._hooks: dict[str, list[dict]] = {}
        self._db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="webhooks")
        self._client: httpx.AsyncClient | None = None
        self._tasks: set[asyncio.Task] = set()

    async def start(self) -> None:
        self._client = httpx.AsyncClient(timeout=5.0)
        await asyncio.get_running_loop().run_in_executor(self._db, self.reload)
        self.bus.add_listener(self.on_event)

    def reload(self) -> None:
        """Read the webhooks again (after a configuration change); from any thread: the new table
        replaces the old one whole."""
        with UnitOfWork(self.engine) as uow:
            rows = uow.webhooks.all()
        hooks: dict[str, list[dict]] = {}
        for row in rows:
            hooks.setdefault(row["tenant_id"], []).append(row)
        self._hooks = hooks
        self.bus.set_tapped(set(hooks))

    def on_event(self, tenant_id: str, message: dict) -> None:
        for hook in self._hooks.get(tenant_id, ()):
            if "*" in hook["events"] or message["type"] in hook["events"]:
                task = asyncio.get_running_loop().create_task(self._deliver(hook, message))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def _deliver(self, hook: dict, message: dict) -> None:
        loop = asyncio.get_running_loop()
        client = self._client
        if client is None:  # stopped meanwhile
            return
        delivery_id = new_id("delivery")
        body = json.dumps({"id": delivery_id, **message}, default=str, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json", "X-Tongdai-Event": message["type"],
                   "X-Tongdai-Delivery": delivery_id, "X-Tongdai-Signature": sign(hook["secret"], body)}
        payload = json.loads(body)  # the JSON-safe form of the message, as delivered
        await loop.run_in_executor(self._db, self._record, "insert", delivery_id, hook, payload, {})
        for attempt in range(1, len(BACKOFF) + 2):
            code, error = None, None
            try:
                response = await client.post(hook["url"], content=body, headers=headers)
                code = response.status_code
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"[:300]
            done = code is not None and 200 <= code < 300
            last = attempt == len(BACKOFF) + 1
            status = "delivered" if done else ("failed" if last else "pending")
            await loop.run_in_executor(self._db, self._record, "update", delivery_id, hook, payload, {
                "status": status, "attempts": attempt, "last_status_code": code, "last_error": error,
                "delivered_at": datetime.now(UTC) if done else None})
            if done or last:
                if not done:
                    log.warning("webhook %s: giving up on %s after %d attempts", hook["id"], delivery_id, attempt)
                return
            await asyncio.sleep(BACKOFF[attempt - 1])

    def _record(self, what: str, delivery_id: str, hook: dict, message: dict, values: dict) -> None:
        try:
            with UnitOfWork(self.engine) as uow:
                if what == "insert":
                    uow.webhooks.add_delivery(dict(
                        id=delivery_id, webhook_id=hook["id"], tenant_id=hook["tenant_id"], event=message["type"],
                        payload=message, status="pending", attempts=0, created_at=datetime.now(UTC)))
                else:
                    uow.webhooks.update_delivery(delivery_id, values)
        except Exception:  # e.g. the hook was deleted meanwhile (its deliveries go with it)
            log.warning("delivery %s of webhook %s not recorded", delivery_id, hook["id"], exc_info=True)

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._client is not None:
            await self._client.aclose()
        self._db.shutdown(wait=True)
