"""Tenant isolation through the portal: another tenant's ids in a URL are not found, and a form posted to
one changes nothing."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from tongdai.app.services import agents, hotlines, ivr, operator, queues, users
from tongdai.store.uow import UnitOfWork

from .conftest import sign_in


def test_every_page_of_another_tenants_object_is_not_found_and_cannot_be_changed(portal, page):
    now = datetime.now(UTC)
    with UnitOfWork(portal.engine) as uow:
        other, _key = operator.create_tenant(uow, name="Other", sip_domain="other.tongdai.local", now=now)
        queue = queues.create_queue(uow, tenant_id=other.id, data={"name": "Their queue"})
        agent = agents.create_agent(uow, tenant_id=other.id, data={
            "name": "Their agent", "sip_username": "them", "extension": "201", "sip_password": "their-pass-99"})
        tree = ivr.create_ivr_tree(uow, tenant_id=other.id, data={"name": "Their IVR", "root_node_id": "m", "nodes": [
            {"id": "m", "prompt": {"type": "tts", "text": "Xin chào"}}]})
        line = hotlines.create_hotline(uow, tenant_id=other.id, now=now, data={
            "number_type": "virtual", "country": "VN", "line_type": "local", "number": "02838250998",
            "name": "Their line", "queue_id": queue.id})
        user = users.create_user(uow, tenant_id=other.id, now=now, data={
            "email": "boss@other.tongdai.local", "name": "Boss", "role": "admin", "password": "quan-ly-2026-x"})
    sign_in(page, portal)
    page.wait_for_url(portal.url + "/")
    for path in (f"/hotlines/{line.id}", f"/agents/{agent.id}", f"/queues/{queue.id}", f"/ivr/{tree.id}",
                 f"/ivr/{tree.id}/nodes/m/prompt", f"/users/{user.id}"):
        response = page.goto(portal.url + path)
        assert response.status == 404, path
        assert "Their" not in page.content() and "Boss" not in page.content(), path
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.content()).group(1)
    changed = page.context.request.post(f"{portal.url}/hotlines/{line.id}", form={
        "csrf": csrf, "name": "Taken over", "queue_id": queue.id, "wrap_up_seconds": "0",
        "notify_answer_seconds": "0"})
    assert changed.status == 404
    deleted = page.context.request.post(f"{portal.url}/agents/{agent.id}/delete", form={"csrf": csrf})
    assert deleted.status == 404
    with UnitOfWork(portal.engine) as uow:
        assert uow.hotlines.get(line.id, other.id).name == "Their line"
        assert uow.agents.get(agent.id, other.id) is not None
