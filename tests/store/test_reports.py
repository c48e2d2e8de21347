"""Report figures from SQL, the same on SQLite and PostgreSQL: offered, answered, abandoned, service level,
average and 90th-percentile wait, handle time, per queue and per hour/day of the tenant, and outbound calls
per hotline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tongdai.app import views
from tongdai.app.services import agents, hotlines, operator, queues
from tongdai.store import tables as t
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


# -- the rollups: whatever the range, bucket and dimension, the figures are those of the call log itself ----

def _reference(rows, thresholds, *, by, bucket, since, until, offset):
    """The figures computed in Python from the call rows, as the report defines them."""
    from collections import defaultdict

    column = {"hotline": "hotline_id", "queue": "queue_id", "agent": "agent_id", "outbound": "hotline_id"}[by]
    direction = "outbound" if by == "outbound" else "inbound"
    out = defaultdict(lambda: {"offered": 0, "answered": 0, "abandoned": 0, "within": 0, "waits": [], "times": []})
    for r in rows:
        if r["direction"] != direction or r[column] is None or not since <= r["started_at"] < until:
            continue
        local = r["started_at"] + timedelta(minutes=offset)
        slot = "all" if bucket == "all" else local.strftime("%Y-%m-%d %H:00" if bucket == "hour" else "%Y-%m-%d")
        f = out[(r[column], slot)]
        f["offered"] += 1
        if direction == "outbound":
            f["answered"] += r["answered_at"] is not None
            if r["talk_seconds"] is not None:
                f["times"].append(r["talk_seconds"])
            continue
        answered = r["answered_at"] is not None and r["agent_id"] is not None
        f["answered"] += answered
        f["abandoned"] += r["end_reason"] == "abandoned"
        f["within"] += answered and r["queue_seconds"] is not None and \
            r["queue_seconds"] <= thresholds.get(r["hotline_id"], 20)
        if r["queue_seconds"] is not None:
            f["waits"].append(r["queue_seconds"])
        if answered and r["talk_seconds"] is not None:
            f["times"].append(r["talk_seconds"] + (r["wrap_up_seconds"] or 0))
    result = {}
    for key, f in out.items():
        row = {"offered": f["offered"], "answered": f["answered"]}
        avg = round(sum(f["times"]) / len(f["times"]), 1) if f["times"] else None
        if direction == "outbound":
            result[key] = {**row, "avg_talk": avg}
            continue
        bins = sorted(int(w) if w < 600 else int(w) // 60 * 60 for w in f["waits"])
        result[key] = {**row, "abandoned": f["abandoned"], "within": f["within"], "avg_handle": avg,
                       "avg_wait": round(sum(f["waits"]) / len(f["waits"]), 1) if f["waits"] else None,
                       "p90_wait": float(next(b for n, b in enumerate(bins, 1) if n * 10 >= len(bins) * 9))
                       if bins else None}
    return result


def _random_calls(tenant, hotlines, queues, agents, start, rng, count, prefix="ca_r"):
    rows = []
    for n in range(count):
        at = start + timedelta(seconds=rng.randint(0, 3 * 86400))
        inbound = rng.random() < 0.7
        answered = rng.random() < 0.7
        rows.append({
            "id": f"{prefix}{n:012d}", "tenant_id": tenant, "direction": "inbound" if inbound else "outbound",
            "caller_id_reasons": [], "recorded": False, "agents_offered": [], "ivr_path": [], "ivr_keys": [],
            "started_at": at, "hotline_id": rng.choice(hotlines + [None]),
            "queue_id": rng.choice(queues) if inbound and rng.random() < 0.9 else None,
            "agent_id": rng.choice(agents) if answered else None,
            "answered_at": at + timedelta(seconds=5) if answered else None,
            "talk_seconds": round(rng.uniform(1, 300), 2) if answered and rng.random() < 0.95 else None,
            "queue_seconds": rng.choice([None, round(rng.uniform(0, 40), 2), round(rng.uniform(0, 900), 2)])
            if inbound else None,
            "wrap_up_seconds": rng.choice([None, 5.0, 12.5]) if answered else None,
            "end_reason": "completed" if answered else rng.choice(["abandoned", "no_answer"])})
    return rows


def _world(engine):
    with UnitOfWork(engine) as uow:
        trunk = operator.create_trunk(uow, data={"name": "T", "host": "127.0.0.1"})
        tenant, _ = operator.create_tenant(uow, name="Rolled", sip_domain=None, now=DAY)
        qs = [queues.create_queue(uow, tenant_id=tenant.id, data={"name": f"Q{n}"}).id for n in range(2)]
        lines = []
        for n, alert in enumerate((15, 0)):
            operator.add_inventory_number(uow, data={"number": f"098100000{n}", "country": "VN",
                                                     "line_type": "mobile", "carrier": None, "trunk_id": trunk.id})
            lines.append(hotlines.create_hotline(uow, tenant_id=tenant.id, now=DAY, data={
                "number_type": "carrier", "country": "VN", "line_type": "mobile", "name": f"H{n}",
                "number": f"+8498100000{n}", "queue_id": qs[0], "notify_answer_seconds": alert,
                "outbound_enabled": True}).id)
        people = [agents.create_agent(uow, tenant_id=tenant.id, data={
            "name": f"A{n}", "sip_username": f"agent{n}", "extension": f"1{n}",
            "sip_password": "a-good-pass-1"}).id for n in range(3)]
    return tenant.id, lines, qs, people, {lines[0]: 15, lines[1]: 20}


def _same(have, want, where):
    """Equal figures; averages may differ in their last rounded digit (SQL and Python add floats in another
    order)."""
    assert set(have) == set(want), where
    for k in want:
        assert have[k] == pytest.approx(want[k], abs=0.11), (where, k)


def _compare(engine, tenant, rows, thresholds, since, until, zone, offset):
    for by in ("hotline", "queue", "agent"):
        for bucket in ("hour", "day", "all"):
            with UnitOfWork(engine) as uow:
                got = views.report(uow, tenant_id=tenant, by=by, bucket=bucket, since=since, until=until,
                                   time_zone=zone)
            want = _reference(rows, thresholds, by=by, bucket=bucket, since=since, until=until, offset=offset)
            have = {(r["key"], r["bucket"]): {k: r[k] for k in ("offered", "answered", "abandoned", "within",
                                                                 "avg_wait", "p90_wait", "avg_handle")}
                    for r in got["inbound"]}
            _same(have, want, (by, bucket, since, until, zone))
            if by == "hotline":
                want = _reference(rows, thresholds, by="outbound", bucket=bucket, since=since, until=until,
                                  offset=offset)
                have = {(r["key"], r["bucket"]): {"offered": r["calls"], "answered": r["answered"],
                                                  "avg_talk": r["avg_talk"]} for r in got["outbound"]}
                _same(have, want, ("outbound", bucket, since, until, zone))


def test_rolled_up_figures_equal_the_call_logs_for_any_range_bucket_and_offset(engine):
    import random

    tenant, lines, qs, people, thresholds = _world(engine)
    rng = random.Random(12)
    start = datetime(2026, 11, 20, 0, 0, tzinfo=UTC)
    rows = _random_calls(tenant, lines, qs, people, start, rng, 600)
    with UnitOfWork(engine) as uow:
        uow.calls.insert(rows)
    ranges = [(start, start + timedelta(days=4)),  # whole UTC days: hours and Hà Nội days
              (start + timedelta(hours=17), start + timedelta(days=2, hours=17)),  # whole Hà Nội days
              (start + timedelta(hours=5, minutes=13, seconds=7), start + timedelta(days=2, hours=3, minutes=41)),
              (start + timedelta(hours=30, minutes=5), start + timedelta(hours=30, minutes=50))]  # inside an hour
    for since, until in ranges:
        _compare(engine, tenant, rows, thresholds, since, until, "Asia/Ho_Chi_Minh", 420)
        _compare(engine, tenant, rows, thresholds, since, until, "Asia/Kolkata", 330)  # not whole hours
    with UnitOfWork(engine) as uow:  # every hour counted, days kept for both offsets met that are whole hours
        assert uow.reports.pending(10) == []
        offsets = uow.conn.execute(select(t.report_offsets.c.offset_minutes)).scalars().all()
    assert offsets == [420]

    # calls written later (a wrap-up ending, a late row, a call closed as interrupted) are counted at once
    changed = []
    for row in rows[:40]:
        if row["agent_id"] is not None and row["direction"] == "inbound":
            changed.append({**row, "_id": row["id"], "wrap_up_seconds": 99.0})
    late = _random_calls(tenant, lines, qs, people, start, rng, 50, prefix="ca_l")
    with UnitOfWork(engine) as uow:
        stored = [uow.calls.get(r["id"], tenant) for r in changed]
        uow.calls.update([{**{k: v for k, v in s.items() if k != "id"}, "_id": s["id"], "wrap_up_seconds": 99.0}
                          for s in stored])
        uow.calls.insert(late)
    by_id = {r["id"]: r for r in rows}
    for r in changed:
        by_id[r["id"]] = {k: v for k, v in r.items() if k != "_id"}
    rows = [*by_id.values(), *late]
    _compare(engine, tenant, rows, thresholds, start + timedelta(hours=17), start + timedelta(days=3, hours=17),
             "Asia/Ho_Chi_Minh", 420)


def test_the_rollup_worker_counts_listed_hours_of_every_tenant(engine):
    import random

    from tongdai.app.report_rollup import ReportRollup

    tenant, lines, qs, people, thresholds = _world(engine)
    start = datetime(2026, 11, 20, 0, 0, tzinfo=UTC)
    rows = _random_calls(tenant, lines, qs, people, start, random.Random(3), 200)
    with UnitOfWork(engine) as uow:
        uow.calls.insert(rows)
        listed = len(uow.reports.pending(1000))
    assert listed > 24
    counted = ReportRollup(engine).once()
    assert counted == listed
    with UnitOfWork(engine) as uow:
        assert uow.reports.pending(10) == []
        hours = uow.conn.execute(select(func.count()).select_from(t.report_hours)).scalar_one()
    assert hours > 0
    _compare(engine, tenant, rows, thresholds, start, start + timedelta(days=4), "Asia/Ho_Chi_Minh", 420)


def test_calls_already_stored_before_the_rollups_existed_are_listed_by_the_migration(engine):
    from tongdai.store.db import upgrade

    tenant, queue, hotline, agent = seed(engine)
    with engine.begin() as conn:
        for table in ("report_offsets", "report_dirty", "report_day_waits", "report_hour_waits", "report_days",
                      "report_hours"):
            conn.execute(t.metadata.tables[table].delete())
    _downgrade(engine, "0012")
    upgrade(engine)
    with UnitOfWork(engine) as uow:
        assert len(uow.reports.pending(100)) == 4  # the seeded calls started in 01:xx, 03:xx, 16:xx and 17:xx UTC
        figures = views.report(uow, tenant_id=tenant, by="queue", bucket="day", since=DAY - timedelta(hours=1),
                               until=DAY + timedelta(days=1), time_zone="Asia/Ho_Chi_Minh")
    assert [(r["bucket"], r["offered"]) for r in figures["inbound"]] == [("2026-11-27", 13), ("2026-11-28", 1)]


def _downgrade(engine, revision):
    from alembic import command

    from tongdai.store.db import alembic_config

    command.downgrade(alembic_config(engine), revision)


def test_whole_hours_and_days_are_read_from_the_rollups_not_the_call_log(engine):
    tenant, queue, hotline, agent = seed(engine)
    since, until = DAY - timedelta(hours=8), DAY + timedelta(hours=17)  # 00:00 on the 27th to 01:00 on the 28th
    with UnitOfWork(engine) as uow:
        views.report(uow, tenant_id=tenant, by="queue", bucket="day", since=since, until=until,
                     time_zone="Asia/Ho_Chi_Minh")
    with engine.begin() as conn:  # what only the rollups hold: their figures, tampered with
        conn.execute(t.report_hours.update().values(offered=t.report_hours.c.offered + 1000))
        conn.execute(t.report_days.update().values(offered=t.report_days.c.offered + 100))
    with UnitOfWork(engine) as uow:
        hourly = views.report(uow, tenant_id=tenant, by="queue", bucket="hour", since=since, until=until,
                              time_zone="Asia/Ho_Chi_Minh")
        daily = views.report(uow, tenant_id=tenant, by="queue", bucket="day", since=since, until=until,
                             time_zone="Asia/Ho_Chi_Minh")
        edge = views.report(uow, tenant_id=tenant, by="queue", bucket="hour", since=DAY + timedelta(minutes=5),
                            until=DAY + timedelta(minutes=30), time_zone="Asia/Ho_Chi_Minh")
    assert next(r for r in hourly["inbound"] if r["bucket"] == "2026-11-27 08:00")["offered"] == 1012
    # the 27th is a whole day of Hà Nội: read from the days; the 28th's first hour from the hours
    assert [(r["bucket"], r["offered"]) for r in daily["inbound"]] == [("2026-11-27", 113), ("2026-11-28", 1001)]
    # part of an hour: from the call log (calls at 08:05..08:09 and 08:20, 08:21)
    assert [(r["bucket"], r["offered"]) for r in edge["inbound"]] == [("2026-11-27 08:00", 7)]
