"""Webhooks reach public addresses only, checked when a webhook is created and again at every delivery
(a name may resolve elsewhere later); the delivery log says how a delivery failed, not what answered."""

from __future__ import annotations

import asyncio
import ipaddress
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from tongdai.app.events import EventBus
from tongdai.app.services import operator
from tongdai.app.webhooks import WebhookDispatcher, WebhookTargets, address_refused
from tongdai.store.uow import UnitOfWork

from ..api.test_objects_api import codes

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8080/hook", "http://localhost/hook", "http://169.254.169.254/latest/meta-data/",
    "https://10.1.2.3/hook", "http://192.168.1.1/", "http://172.16.0.9/", "http://100.64.0.1/",
    "http://0.0.0.0:9000/", "http://[::1]/hook", "http://[fd00:ec2::254]/", "http://[::ffff:127.0.0.1]/",
    "http://224.0.0.1/"])
def test_a_webhook_to_an_internal_address_is_refused(world, url):
    shop = world.tenant()
    r = shop.post("/webhooks", {"url": url, "events": ["*"], "secret": "0123456789abcdef"}, expect=None)
    assert r.status_code == 422 and codes(r) == {("url", "destination_not_allowed")}


def test_a_webhook_to_a_public_address_is_accepted(world):
    shop = world.tenant()
    r = shop.post("/webhooks", {"url": "https://8.8.8.8/hook", "events": ["*"], "secret": "0123456789abcdef"})
    assert r.status_code == 201


def test_the_operator_may_allow_a_network():
    allowed = (ipaddress.ip_network("10.20.0.0/16"),)
    assert not address_refused(ipaddress.ip_address("10.20.3.4"), allowed)
    assert address_refused(ipaddress.ip_address("10.21.3.4"), allowed)
    assert WebhookTargets(allowed=allowed).refusal("http://10.20.3.4/hook") is None
    assert WebhookTargets().refusal("http://10.20.3.4/hook") is not None


def _receiver() -> tuple[HTTPServer, list[bytes]]:
    got: list[bytes] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's naming
            got.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            """Quiet."""

    httpd = HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, got


def _deliver_one(engine, targets: WebhookTargets, tenant_id: str) -> list[dict]:
    async def run() -> list[dict]:
        bus = EventBus()
        dispatcher = WebhookDispatcher(engine, bus, targets)
        await dispatcher.start()
        bus.publish(tenant_id, "call.ended", {"call_id": "ca_1"})
        deadline = time.monotonic() + 10
        rows: list[dict] = []
        while time.monotonic() < deadline:
            await asyncio.sleep(0.1)
            with UnitOfWork(engine) as uow:
                rows = uow.webhooks.deliveries("wh_rebound", tenant_id, 10, 0)
            if rows and rows[0]["status"] != "pending":
                break
        await dispatcher.stop()
        return rows
    return asyncio.run(run())


def test_a_name_that_resolves_to_loopback_at_delivery_is_not_posted_to(engine):
    """As after DNS rebinding: the hook is stored (the name was public then) and now resolves to loopback."""
    httpd, got = _receiver()
    with UnitOfWork(engine) as uow:
        tenant, _ = operator.create_tenant(uow, name="Shop", sip_domain=None, now=NOW)
        uow.webhooks.add({"id": "wh_rebound", "tenant_id": tenant.id, "events": ["*"], "created_at": NOW,
                          "url": f"http://localhost:{httpd.server_address[1]}/hook", "secret": "0123456789abcdef"})
    try:
        refused = _deliver_one(engine, WebhookTargets(), tenant.id)
        assert [(d["status"], d["attempts"], d["last_status_code"], d["last_error"]) for d in refused] == [
            ("failed", 1, None, "destination_not_allowed")]
        assert got == []
        allowed = _deliver_one(engine, WebhookTargets(allowed=(ipaddress.ip_network("127.0.0.0/8"),)), tenant.id)
        assert allowed[0]["status"] == "delivered" and len(got) == 1
    finally:
        httpd.shutdown()


def test_a_closed_port_is_reported_coarsely(engine):
    with UnitOfWork(engine) as uow:
        tenant, _ = operator.create_tenant(uow, name="Shop", sip_domain=None, now=NOW)
        uow.webhooks.add({"id": "wh_rebound", "tenant_id": tenant.id, "events": ["*"], "created_at": NOW,
                          "url": "http://127.0.0.1:9/hook", "secret": "0123456789abcdef"})
    import tongdai.app.webhooks as hooks
    backoff, hooks.BACKOFF = hooks.BACKOFF, ()  # one attempt
    try:
        rows = _deliver_one(engine, WebhookTargets(allowed=(ipaddress.ip_network("127.0.0.1/32"),)), tenant.id)
    finally:
        hooks.BACKOFF = backoff
    assert [(d["status"], d["last_error"]) for d in rows] == [("failed", "connection_failed")]
