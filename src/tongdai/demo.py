"""The demo tenant: a realistic small business with hotlines on three carriers, a toll-free number,
a virtual number, an adaptive number, groups, agents, a queue and an IVR tree. Loaded idempotently."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

from .app.services import adaptive_numbers, agents, groups, hotlines, ivr, operator, queues, users
from .store.uow import UnitOfWork

DEMO_DOMAIN = "demo.tongdai.local"
AGENT_PASSWORD = "demo-secret-1"
DEMO_TRUNK_NAME = "Carrier trunk (demo)"  # where `serve` runs the demo's test carrier (sip/demo_carrier.py)
PORTAL_PASSWORD = "demo-portal-1"  # every demo portal user's (a demo: change them before real use)

INVENTORY = [  # number, line type, carrier
    ("+84981000001", "mobile", "viettel"), ("+84981000002", "mobile", "viettel"),
    ("+84912000001", "mobile", "vinaphone"), ("+84912000002", "mobile", "vinaphone"),
    ("+84901000001", "mobile", "mobifone"), ("+84901000002", "mobile", "mobifone"),
    ("+8418001234", "toll_free", None), ("+842438250001", "local", None), ("+842838250001", "local", None),
]


def load_demo(engine, keys_file: Path, test_carrier: tuple[str, int] = ("127.0.0.1", 5070)) -> dict:
    """Create the demo operator and tenant once; later runs print the same keys from `keys_file`. The demo
    trunk points at `test_carrier`, where `serve` runs the demo's test carrier."""
    now = datetime.now(UTC)
    if keys_file.exists():
        with UnitOfWork(engine) as uow:
            if uow.tenants.where(None, sip_domain=DEMO_DOMAIN):
                return json.loads(keys_file.read_text())
    with UnitOfWork(engine) as uow:
        if uow.tenants.where(None, sip_domain=DEMO_DOMAIN):
            raise SystemExit(f"the demo tenant exists but its keys file {keys_file} is gone; "
                             "create keys with `tongdai operator create-key`")
        operator_key = operator.create_api_key(uow, role="operator", now=now)
        trunk = operator.create_trunk(uow, data={
            "name": DEMO_TRUNK_NAME, "host": test_carrier[0], "port": test_carrier[1],
            "source_addresses": [f"{test_carrier[0]}:{test_carrier[1]}"], "username": "tongdai",
            "password": "trunk-secret"})
        for number, line_type, carrier in INVENTORY:
            operator.add_inventory_number(uow, data={"number": number, "country": "VN", "line_type": line_type,
                                                     "carrier": carrier, "trunk_id": trunk.id})
        tenant, admin_key = operator.create_tenant(uow, name="Demo Shop", sip_domain=DEMO_DOMAIN, now=now)
        t = tenant.id
        sales = groups.create_group(uow, tenant_id=t, data={"name": "Sales"})
        support = groups.create_group(uow, tenant_id=t, data={"name": "Support"})
        support_q = queues.create_queue(uow, tenant_id=t, data={
            "name": "Support", "groups": [{"group_id": support.id, "priority": 1},
                                          {"group_id": sales.id, "priority": 2}],
            "strategy": "longest_idle", "ring_timeout_seconds": 20, "max_wait_seconds": 180,
            "max_wait_action": {"type": "hangup", "reason": "all agents busy"}, "record_calls": True})
        sales_q = queues.create_queue(uow, tenant_id=t, data={
            "name": "Sales", "groups": [{"group_id": sales.id, "priority": 1}], "strategy": "round_robin",
            "max_wait_action": {"type": "queue", "queue_id": support_q.id}})
        menu = ivr.create_ivr_tree(uow, tenant_id=t, data={"name": "Main menu", "root_node_id": "main", "nodes": [
            {"id": "main", "prompt": {"type": "tts", "language": "vi",
                                      "text": "Xin chào. Bấm 1 để gặp bộ phận bán hàng, bấm 2 để gặp hỗ trợ."},
             "branches": {"1": {"type": "queue", "queue_id": sales_q.id},
                          "2": {"type": "queue", "queue_id": support_q.id},
                          "no_input": {"type": "node", "node_id": "main"},
                          "invalid_input": {"type": "node", "node_id": "main"}}}]})
        base = {"country": "VN", "queue_id": support_q.id, "wrap_up_seconds": 30, "notify_answer_seconds": 60}
        viettel = hotlines.create_hotline(uow, tenant_id=t, now=now, data={
            **base, "number_type": "carrier", "line_type": "mobile", "number": "+84981000001",
            "name": "Viettel sales line", "outbound_enabled": True, "outbound_groups": [sales.id],
            "record_calls": True})
        vina = hotlines.create_hotline(uow, tenant_id=t, now=now, data={
            **base, "number_type": "carrier", "line_type": "mobile", "number": "+84912000001",
            "name": "Vinaphone line", "outbound_enabled": True, "outbound_groups": "all"})
        hotlines.create_hotline(uow, tenant_id=t, now=now, data={
            **base, "number_type": "carrier", "line_type": "mobile", "number": "+84901000001",
            "name": "MobiFone line", "outbound_enabled": True, "outbound_groups": [sales.id, support.id]})
        hotlines.create_hotline(uow, tenant_id=t, now=now, data={
            **base, "number_type": "carrier", "line_type": "toll_free", "name": "Toll-free customer care",
            "ivr_enabled": True, "ivr_tree_id": menu.id, "show_in_widget": False})
        hotlines.create_hotline(uow, tenant_id=t, now=now, data={
            **base, "number_type": "virtual", "line_type": "local", "number": "+842838259999",
            "name": "Virtual number (web campaign)", "show_in_widget": False})
        auto = adaptive_numbers.create_adaptive_number(uow, tenant_id=t, data={
            "name": "Same-network caller ID", "fallback_hotline_id": vina.id})
        an = agents.create_agent(uow, tenant_id=t, data={
            "name": "Nguyễn Văn An", "sip_username": "an", "sip_password": AGENT_PASSWORD, "extension": "101",
            "groups": [sales.id], "default_caller_id": auto.id})
        binh = agents.create_agent(uow, tenant_id=t, data={
            "name": "Trần Thị Bình", "sip_username": "binh", "sip_password": AGENT_PASSWORD, "extension": "102",
            "groups": [support.id], "default_caller_id": vina.id})
        agent_key = agents.create_agent_key(uow, tenant_id=t, agent_id=an.id, now=now)
        sign_ins = [("operator@tongdai.local", "Operator", "operator", None, None),
                    ("admin@demo.tongdai.local", "Quản trị viên", "admin", t, None),
                    ("supervisor@demo.tongdai.local", "Giám sát viên", "supervisor", t, None),
                    ("an@demo.tongdai.local", "Nguyễn Văn An", "agent", t, an.id),
                    ("binh@demo.tongdai.local", "Trần Thị Bình", "agent", t, binh.id)]
        for email, name, role, tenant_id, agent_id in sign_ins:
            users.create_user(uow, tenant_id=tenant_id, now=now, data={
                "email": email, "name": name, "role": role, "agent_id": agent_id, "password": PORTAL_PASSWORD})
        summary = {"operator_key": operator_key, "tenant_id": t, "admin_key": admin_key,
                   "agent_key": agent_key, "agent_id": an.id, "sip_domain": DEMO_DOMAIN,
                   "sip_agents": {"an": AGENT_PASSWORD, "binh": AGENT_PASSWORD},
                   "viettel_hotline_id": viettel.id, "adaptive_number_id": auto.id,
                   "portal_sign_ins": {email: PORTAL_PASSWORD for email, *_ in sign_ins}}
    keys_file.parent.mkdir(parents=True, exist_ok=True)
    keys_file.write_text(json.dumps(summary, indent=2, ensure_ascii=False))
    os.chmod(keys_file, 0o600)
    return summary
