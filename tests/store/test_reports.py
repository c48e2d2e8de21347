"""Report figures from SQL, the same on SQLite and PostgreSQL: offered, answered, abandoned, service level,
average and 90th-percentile wait, handle time, per queue and per hour/day of the tenant, and outbound calls
per hotline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tongdai.app import views
from tongdai.app.services import agents, hotlines, operator, queues
from tongdai.store.uow import UnitOfWork

DAY = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)  # 08:00 in Hà Nội


def seed(engine):
    with UnitOfWork(engine) as uow:
        trunk = operator.create_trunk(uow, data={"name": "T", "host": "127.0.0.1"})
        operator.add_inventory_number(uow, data={"number": "0981000001", "country": "VN", "line_type": "mobile",
                                                 "carrier": None, "trunk_id": trunk.id})
        tenant, _ = operator.create_tenant(uow, name="Shop", sip_domain=None, now=DAY)
        queue = queues.create_queue(uow, tenant_id=tenant.id, data={"name": "Q"})
        hotline = hotlines.create_hotline(uow, tenant_id=tenant.id, now=DAY, data={
            "number_type": "carrier", "country": "VN", "line_type": "mobile", "name": "H", "queue_id": queue.id,
            "notify_answer_seconds": 15, "outbound_enabled": True})
        agent = agents.create_agent(uow, tenant_id=tenant.id, data={
            "name": "A", "sip_username": "aa", "extension": "10", "sip_password": "a-good-pass-1"})
        base = {"tenant_id": tenant.id, "caller_id_reasons": [], "recorded": False, "agents_offered": [],
                "ivr_path": [], "ivr_keys": [], "hotline_id": hotline.id, "queue_id": queue.id,
                "answered_at": None, "agent_id": None, "talk_seconds": None, "wrap_up_seconds": None,
                "queue_seconds": None, "end_reason": "completed", "direction": "inbound"}
        rows = []
        # 08:00-09:00: ten calls waiting 1..10 s, answered, 60 s talk + 10 s wrap-up; two abandoned after 30 s
        for n in range(10):
            rows.append({**base, "id": f"ca_a{n:013d}", "started_at": DAY + timedelta(minutes=n),
                         "answered_at": DAY + timedelta(minutes=n, seconds=n + 1), "agent_id": agent.id,
                         "talk_seconds": 60.0, "wrap_up_seconds": 10.0, "queue_seconds": float(n + 1)})
        rows += [{**base, "id": f"ca_b{n:013d}", "started_at": DAY + timedelta(minutes=20 + n), "queue_seconds": 30.0,
                  "end_reason": "abandoned"} for n in range(2)]
        # 23:30 in Hà Nội is still the same day there (16:30 UTC); 00:30 the next day is another
        rows.append({**base, "id": "ca_late000000000", "started_at": DAY + timedelta(hours=15, minutes=30),
                     "queue_seconds": 40.0, "end_reason": "abandoned"})
        rows.append({**base, "id": "ca_next000000000", "started_at": DAY + timedelta(hours=16, minutes=30),
                     "queue_seconds": 5.0, "end_reason": "abandoned"})
        rows += [{**base, "id": f"ca_o{n:013d}", "direction": "outbound", "queue_id": None,
                  "started_at": DAY + timedelta(hours=2, minutes=n), "talk_seconds": 30.0 if n < 3 else None,
                  "answered_at": DAY + timedelta(hours=2, minutes=n, seconds=5) if n < 3 else None} for n in range(5)]
        uow.calls.insert(rows)
    return tenant.id, queue.id, hotline.id, agent.id


def test_inbound_figures_per_queue_and_hour_in_the_tenants_time_zone(engine):
    tenant, queue, hotline, agent = seed(engine)
    with UnitOfWork(engine) as uow:
        hourly = views.report(uow, tenant_id=tenant, by="queue", bucket="hour", since=DAY - timedelta(hours=1),
                              until=DAY + timedelta(days=1), time_zone="Asia/Ho_Chi_Minh")
        daily = views.report(uow, tenant_id=tenant, by="queue", bucket="day", since=DAY - timedelta(hours=1),
                             until=DAY + timedelta(days=1), time_zone="Asia/Ho_Chi_Minh")
        by_agent = views.report(uow, tenant_id=tenant, by="agent", bucket="all", since=DAY - timedelta(hours=1),
                                until=DAY + timedelta(days=1), time_zone="Asia/Ho_Chi_Minh")
    eight = next(r for r in hourly["inbound"] if r["bucket"] == "2026-11-27 08:00")
    assert eight["key"] == queue
    assert (eight["offered"], eight["answered"], eight["abandoned"]) == (12, 10, 2)
    assert eight["within"] == 10 and eight["service_level"] == round(10 / 12, 4)  # all answered within 15 s
    assert eight["abandon_rate"] == round(2 / 12, 4)
    assert eight["avg_wait"] == round((55 + 60) / 12, 1)  # 1..10 s answered, 30 s twice abandoned
    assert eight["p90_wait"] == 30.0  # 11 of 12 calls waited 10 s or less: the 90th percentile is a 30 s one
    assert eight["avg_handle"] == 70.0
    assert [(r["bucket"], r["offered"]) for r in daily["inbound"]] == [("2026-11-27", 13), ("2026-11-28", 1)]
    assert [(r["key"], r["offered"], r["answered"]) for r in by_agent["inbound"]] == [(agent, 10, 10)]
    assert [(r["key"], r["bucket"], r["calls"], r["answered"], r["avg_talk"]) for r in hourly["outbound"]] == [
        (hotline, "2026-11-27 10:00", 5, 3, 30.0)]
    csv_text = "".join(views.report_csv(hourly))
    assert csv_text.splitlines()[0].startswith("by,key,bucket,offered") and len(csv_text.splitlines()) == 4
