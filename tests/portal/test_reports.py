"""Reports in Chromium and through the API: totals per queue over the tenant's days, a chart by day, the
same figures as CSV."""

from __future__ import annotations

import csv
import io

import httpx

from .conftest import SUPERVISOR, sign_in
from .test_calls import seed_calls


def test_a_supervisor_reads_the_figures_per_queue_by_day_with_a_chart_and_csv(portal, page):
    ids = seed_calls(portal)
    sign_in(page, portal, email=SUPERVISOR)
    page.wait_for_url(portal.url + "/")
    page.goto(portal.url + "/reports?by=queue&bucket=day&first=2026-11-26&last=2026-11-27")
    support = page.locator(f'[data-totals] tr[data-key="{ids["queue"]}"]')
    cells = support.locator("td").all_inner_texts()
    assert cells[:3] == ["2", "1", "1"]  # offered, answered, abandoned: today's answered call, yesterday's abandon
    assert cells[3] == "50 %" and cells[4] == "50 %"  # abandon rate; answered within 20 s (the hotline has no alert)
    assert page.locator(".chart svg rect.answered").count() == 2  # a bar per day
    assert page.locator("[data-outbound] tbody tr").count() == 1  # the seeded outbound calls have no hotline
    with page.expect_download() as download:
        page.click("text=Xuất CSV")
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text())))
    assert [(r["bucket"], r["offered"], r["abandoned"]) for r in rows] == [("2026-11-26", "1", "1"),
                                                                         ("2026-11-27", "1", "0")]
    page.goto(portal.url + "/reports?first=2026-11-27&last=2026-11-01")  # the range backwards
    assert page.locator('[data-error-for="last"]').is_visible()


def test_the_api_gives_the_same_figures_as_json_and_csv(portal):
    ids = seed_calls(portal)
    admin = {"Authorization": f"Bearer {portal.keys['admin_key']}"}
    params = {"since": "2026-11-26T00:00:00+07:00", "until": "2026-11-28T00:00:00+07:00", "by": "agent",
              "bucket": "all"}
    r = httpx.get(portal.url + "/api/v1/reports", params=params, headers=admin)
    assert r.status_code == 200, r.text
    assert [(x["key"], x["offered"], x["answered"], x["avg_handle"]) for x in r.json()["inbound"]] == [
        (ids["binh"], 1, 1, 83.0)]
    as_csv = httpx.get(portal.url + "/api/v1/reports", params=params, headers={**admin, "Accept": "text/csv"})
    assert as_csv.headers["content-type"].startswith("text/csv") and ids["binh"] in as_csv.text
    backwards = httpx.get(portal.url + "/api/v1/reports", headers=admin, params={
        "since": "2026-11-28T00:00:00Z", "until": "2026-11-26T00:00:00Z"})
    assert backwards.status_code == 422 and backwards.json()["errors"][0]["field"] == "until"


def test_a_long_table_shows_its_first_rows_and_says_the_csv_has_them_all(portal, page):
    from datetime import UTC, datetime, timedelta

    from tongdai.store.uow import UnitOfWork

    tenant = portal.keys["tenant_id"]
    with UnitOfWork(portal.engine) as uow:
        queue = uow.queues.all(tenant)[0].id
        start = datetime(2026, 10, 1, 17, 0, tzinfo=UTC)  # 00:00 on 2 October in Hà Nội
        uow.calls.insert([{
            "id": f"ca_many{n:09d}", "tenant_id": tenant, "direction": "inbound", "caller_id_reasons": [],
            "recorded": False, "agents_offered": [], "ivr_path": [], "ivr_keys": [], "queue_id": queue,
            "started_at": start + timedelta(hours=n), "queue_seconds": 3.0, "end_reason": "abandoned"}
            for n in range(520)])  # one call in each of 520 hours
    sign_in(page, portal, email=SUPERVISOR)
    page.wait_for_url(portal.url + "/")
    page.goto(portal.url + "/reports?by=queue&bucket=hour&first=2026-10-02&last=2026-10-31")
    assert page.locator("[data-rows] tbody tr").count() == 500
    assert page.locator("[data-capped]").inner_text() == "500 dòng đầu trong 520 dòng; tệp CSV có tất cả."
    totals = page.locator(f'[data-totals] tr[data-key="{queue}"] td').all_inner_texts()
    assert totals[:3] == ["520", "0", "520"]
    with page.expect_download() as download:
        page.click("text=Xuất CSV")
    assert len(list(csv.DictReader(io.StringIO(download.value.path().read_text())))) == 520
