"""The call log in Chromium: filters in the tenant's time zone, paging, and the CSV export (the same
through the API with `Accept: text/csv`)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import httpx

from tongdai.store.uow import UnitOfWork

from .conftest import sign_in

TODAY = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)  # 09:00 in Hà Nội


def seed_calls(portal) -> dict[str, str]:
    keys = portal.keys
    with UnitOfWork(portal.engine) as uow:
        tenant = keys["tenant_id"]
        queue = next(q for q in uow.queues.all(tenant) if q.name == "Support")
        binh = next(a for a in uow.agents.all(tenant) if a.sip_username == "binh")
        base = {"tenant_id": tenant, "caller_id_reasons": [], "recorded": False, "agents_offered": [],
                "ivr_path": [], "ivr_keys": [], "answered_at": None, "ended_at": None, "talk_seconds": None,
                "queue_id": None, "agent_id": None, "hotline_number": None,
                "queue_seconds": None}  # one set of columns for every row
        rows = [
            {**base, "id": "ca_today000000001", "direction": "inbound", "started_at": TODAY,
             "answered_at": TODAY + timedelta(seconds=12), "ended_at": TODAY + timedelta(seconds=95),
             "talk_seconds": 83.0, "customer_number": "+84987111222", "queue_id": queue.id, "agent_id": binh.id,
             "queue_seconds": 12.0,
             "end_reason": "completed", "hotline_number": "+84912000001"},
            {**base, "id": "ca_today000000002", "direction": "outbound", "started_at": TODAY + timedelta(hours=1),
             "ended_at": TODAY + timedelta(hours=1, seconds=30), "talk_seconds": 25.0,
             "customer_number": "+84981234567", "agent_id": binh.id, "end_reason": "completed"},
            {**base, "id": "ca_yesterday00001", "direction": "inbound", "started_at": TODAY - timedelta(days=1),
             "ended_at": TODAY - timedelta(days=1, seconds=-40), "customer_number": "+84987333444",
             "queue_id": queue.id, "end_reason": "abandoned"},
        ]
        rows += [{**base, "id": f"ca_older{n:09d}", "direction": "outbound", "customer_number": f"+8498100{n:04d}",
                  "started_at": TODAY - timedelta(days=3, minutes=n), "end_reason": "completed"} for n in range(60)]
        uow.calls.insert(rows)
    return {"queue": queue.id, "binh": binh.id}


def test_the_call_log_filters_in_the_tenants_time_zone_pages_and_exports_csv(portal, page):
    seed_calls(portal)
    sign_in(page, portal, next_path="/calls")
    page.wait_for_url(portal.url + "/calls")
    assert "63 cuộc gọi" in page.content()
    assert page.locator("table.list tbody tr").count() == 50
    first = page.locator("table.list tbody tr").first.inner_text()
    assert "+84981234567" in first and "10:00" in first  # newest first, shown at Hà Nội time
    with page.expect_navigation():
        page.click(".pager a:last-child")  # the next page
    assert page.locator("table.list tbody tr").count() == 13
    page.goto(portal.url + "/calls")
    page.fill('input[name="since"]', "2026-11-27T00:00")  # a day in the tenant's time zone
    page.fill('input[name="until"]', "2026-11-28T00:00")
    page.select_option('select[name="direction"]', "inbound")
    with page.expect_navigation():
        page.click("form.filters button")
    rows = page.locator("table.list tbody tr")
    assert rows.count() == 1 and "+84987111222" in rows.first.inner_text() and "Support" in rows.first.inner_text()
    with page.expect_download() as download:
        page.click("text=Xuất CSV")
    exported = list(csv.DictReader(io.StringIO(download.value.path().read_text())))
    assert [r["id"] for r in exported] == ["ca_today000000001"]
    assert exported[0]["started_at"] == "2026-11-27T02:00:00.000Z" and exported[0]["talk_seconds"] == "83.0"
    page.goto(portal.url + "/calls?end_reason=abandoned")
    assert "+84987333444" in page.locator("table.list tbody").inner_text()


def test_the_api_streams_the_whole_call_log_as_csv(portal):
    seed_calls(portal)
    r = httpx.get(portal.url + "/api/v1/calls", params={"limit": 5}, headers={
        "Authorization": f"Bearer {portal.keys['admin_key']}", "Accept": "text/csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == 63  # every call, not a page
    assert rows[0]["id"] == "ca_today000000002" and rows[-1]["id"] == "ca_older000000059"


def test_an_admin_sets_how_long_recordings_are_kept_from_the_call_log(portal, page):
    from tongdai.app.services import recordings
    sign_in(page, portal, next_path="/calls")
    page.wait_for_url(portal.url + "/calls")
    days = page.locator("form.retention input[name=days]")
    assert days.input_value() == "" and days.get_attribute("placeholder") == "90"  # the server's default
    days.fill("30")
    with page.expect_navigation():
        page.click("form.retention button")
    assert page.locator("form.retention [role=status]").inner_text() == "Đã lưu."
    assert page.locator("form.retention input[name=days]").input_value() == "30"
    with UnitOfWork(portal.engine) as uow:
        assert recordings.retention(uow, tenant_id=portal.keys["tenant_id"], default_days=90)["effective_days"] == 30
    # a value the browser lets through but the rule refuses (its min is only a hint to the browser)
    page.evaluate("document.querySelector('form.retention input[name=days]').removeAttribute('min')")
    page.fill("form.retention input[name=days]", "0")
    with page.expect_navigation():
        page.click("form.retention button")
    assert "Từ 1 đến 36.500 ngày" in page.locator("form.retention").inner_text()
    page.fill("form.retention input[name=days]", "")
    with page.expect_navigation():
        page.click("form.retention button")
    with UnitOfWork(portal.engine) as uow:
        assert recordings.retention(uow, tenant_id=portal.keys["tenant_id"], default_days=90)["days"] is None
