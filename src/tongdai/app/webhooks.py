"""Webhooks: every event of a tenant's stream that a webhook asked for is POSTed to its URL, signed
as Standard Webhooks do (`webhook-id`, `webhook-timestamp`, `webhook-signature`: HMAC-SHA256 over
`id.timestamp.body`, so a captured delivery cannot be replayed later), retried with backoff, and kept
in a delivery log. Deliveries run as asyncio tasks: a slow or dead receiver never holds up call handling.

A webhook may only reach public addresses: a URL whose host is, or resolves to, a loopback, private,
link-local (cloud metadata), shared or reserved address is refused when it is created and again at
every delivery (the name may resolve elsewhere by then), unless the operator allowed that network.
Redirects are not followed, and the delivery log says only how a delivery failed, never what answered."""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import ipaddress
import json
import logging
import socket
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

import httpx

from ..domain.errors import NotFound, Violation, collect
from ..domain.timestamps import plain
from ..store.uow import UnitOfWork
from .events import EventBus
from .ids import new_id
from .notifier import EVENTS

log = logging.getLogger("tongdai.webhooks")
BACKOFF = (1.0, 2.0, 4.0, 8.0)  # seconds before attempts 2..5


Network = ipaddress.IPv4Network | ipaddress.IPv6Network
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def signing_key(secret: str) -> bytes:
    """A `whsec_`-prefixed secret is base64 (as Standard Webhooks libraries give them); any other secret
    is used as its UTF-8 bytes."""
    if secret.startswith("whsec_"):
        return base64.b64decode(secret[len("whsec_"):], validate=True)
    return secret.encode()


def sign(secret: str, delivery_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header: `v1,` and the base64 HMAC-SHA256 of `id.timestamp.body`."""
    mac = hmac.new(signing_key(secret), f"{delivery_id}.{timestamp}.".encode() + body, hashlib.sha256)
    return "v1," + base64.b64encode(mac.digest()).decode()


def address_refused(ip: IpAddress, allowed: Sequence[Network] = ()) -> bool:
    """Whether a webhook may not reach `ip`: anything but a global unicast address, unless allowed."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if any(ip in net for net in allowed if net.version == ip.version):
        return False
    return not ip.is_global or ip.is_multicast


def _resolve(host: str, port: int) -> list[str]:
    return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)})


@dataclass(frozen=True)
class WebhookTargets:
    """Where webhooks may be delivered: public addresses, and the networks the operator allowed
    (`TONGDAI_WEBHOOK_ALLOWED_NETWORKS`)."""

    allowed: tuple[Network, ...] = ()
    resolve: Callable[[str, int], list[str]] = _resolve

    def refusal(self, url: str) -> Violation | None:
        """At creation: a URL whose host is, or resolves to, an address webhooks may not reach. A name
        that does not resolve now is accepted: each delivery resolves it again and checks."""
        parsed = urlparse(url)
        host = parsed.hostname or ""
        try:
            addresses = [host] if _literal(host) else self.resolve(host, parsed.port or 443)
        except (OSError, UnicodeError):
            return None
        if any(address_refused(ipaddress.ip_address(a), self.allowed) for a in addresses):
            return Violation("url", "destination_not_allowed",
                             "webhooks may only reach public addresses (not loopback, private or link-local "
                             "ones) unless the operator allows that network")
        return None


def _literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False


# -- service functions (configuration) -------------------------------------------------------------

def create_webhook(uow: UnitOfWork, *, tenant_id: str, url: str, events: list[str], secret: str,
                   now: datetime, targets: WebhookTargets) -> dict[str, Any]:
    out: list[Violation] = []
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        out.append(Violation("url", "invalid_url", "an http or https URL with a host"))
    elif (refused := targets.refusal(url)) is not None:
        out.append(refused)
    unknown = [e for e in events if e not in EVENTS and e != "*"]
    if not events or unknown:
        out.append(Violation("events", "invalid_value", f"events are '*' or some of {', '.join(EVENTS)}"))
    if len(secret) < 16:
        out.append(Violation("secret", "too_short", "a webhook secret has at least 16 characters"))
    else:
        try:
            signing_key(secret)
        except (binascii.Error, ValueError):
            out.append(Violation("secret", "invalid_value", "a secret starting with whsec_ is base64 after it"))
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

    def __init__(self, engine, bus: EventBus, targets: WebhookTargets | None = None, metrics: Any = None):
        self.engine = engine
        self.metrics = metrics  # app.metrics.Metrics, when the process keeps them
        self.bus = bus
        self.targets = targets or WebhookTargets()
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
        body = json.dumps({"id": delivery_id, **message}, default=plain, separators=(",", ":")).encode()
        payload = json.loads(body)  # the JSON-safe form of the message, as delivered
        await loop.run_in_executor(self._db, self._record, "insert", delivery_id, hook, payload, {})
        for attempt in range(1, len(BACKOFF) + 2):
            code, error = await self._attempt(client, hook, delivery_id, message["type"], body)
            done = code is not None and 200 <= code < 300
            last = attempt == len(BACKOFF) + 1 or error == "destination_not_allowed"
            status = "delivered" if done else ("failed" if last else "pending")
            await loop.run_in_executor(self._db, self._record, "update", delivery_id, hook, payload, {
                "status": status, "attempts": attempt, "last_status_code": code, "last_error": error,
                "delivered_at": datetime.now(UTC) if done else None})
            if not done and self.metrics is not None:
                self.metrics.webhook_attempts_failed.inc()
            if done or last:
                if self.metrics is not None:
                    self.metrics.webhook_deliveries.labels("delivered" if done else "failed").inc()
                if not done:
                    log.warning("webhook %s: giving up on %s after %d attempts (%s)", hook["id"], delivery_id,
                                attempt, error or code)
                return
            await asyncio.sleep(BACKOFF[attempt - 1])

    async def _attempt(self, client: httpx.AsyncClient, hook: dict, delivery_id: str, event: str,
                       body: bytes) -> tuple[int | None, str | None]:
        """One POST to the address the URL's host resolves to now, checked first; (status, coarse error)."""
        url = httpx.URL(hook["url"])
        host = url.host
        try:
            if _literal(host):
                addresses = [host]
            else:
                infos = await asyncio.get_running_loop().getaddrinfo(host, url.port or (443 if url.scheme == "https"
                                                                                        else 80),
                                                                     type=socket.SOCK_STREAM)
                addresses = [str(info[4][0]) for info in infos]
        except (OSError, UnicodeError):
            return None, "unresolvable_host"
        if not addresses or any(address_refused(ipaddress.ip_address(a), self.targets.allowed) for a in addresses):
            log.warning("webhook %s: %s resolves to an address webhooks may not reach; not delivered",
                        hook["id"], host)
            return None, "destination_not_allowed"
        pinned = url.copy_with(host=addresses[0])  # connect to the address just checked, not a new lookup
        timestamp = int(datetime.now(UTC).timestamp())
        headers = {"Content-Type": "application/json", "Host": url.netloc.decode(), "X-Tongdai-Event": event,
                   "webhook-id": delivery_id, "webhook-timestamp": str(timestamp),
                   "webhook-signature": sign(hook["secret"], delivery_id, timestamp, body)}
        try:
            response = await client.post(pinned, content=body, headers=headers,
                                         extensions={"sni_hostname": host} if url.scheme == "https" else None)
        except httpx.TimeoutException:
            return None, "timeout"
        except httpx.ConnectError:
            return None, "connection_failed"
        except httpx.HTTPError:
            return None, "delivery_failed"
        return response.status_code, None

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
