"""The hotline pages in Chromium, as the seed's "Cấu hình hotline" walks them."""

from __future__ import annotations

from datetime import UTC, datetime

from tongdai.app.services import hotlines, operator, queues
from tongdai.store.uow import UnitOfWork

from .conftest import sign_in


def open_hotlines(page, portal, path="/hotlines"):
    sign_in(page, portal, next_path=path)
    page.wait_for_url(portal.url + path)


def error_for(page, field: str) -> str:
    return page.locator(f'[data-error-for="{field}"]').inner_text()


def test_the_list_shows_the_tenants_hotlines_and_filters_them(portal, page):
    open_hotlines(page, portal)
    rows = page.locator("table.list tbody tr")
    assert rows.count() == 5  # the demo's: three mobile, one toll-free, one virtual
    page.select_option('select[name="line_type"]', "toll_free")
    with page.expect_navigation():
        page.click("form.filters button")
    assert rows.count() == 1 and "Toll-free customer care" in rows.first.inner_text()
    assert "IVR" in rows.first.inner_text()  # it routes to the demo's IVR tree


def test_a_carrier_hotline_is_created_from_the_available_inventory_numbers(portal, page):
    open_hotlines(page, portal, "/hotlines/new")
    numbers = page.locator('select[name="number"] option')
    offered = sorted(numbers.all_inner_texts())
    assert offered == ["+84901000002 · MobiFone", "+84912000002 · Vinaphone", "+84981000002 · Viettel"]
    page.select_option('select[name="line_type"]', "local")  # the inventory's fixed-line numbers come in
    page.wait_for_function("document.querySelector('select[name=number]').options[0].value.startsWith('+842')")
    assert sorted(numbers.all_inner_texts()) == ["+842438250001", "+842838250001"]
    page.select_option('select[name="number"]', "+842838250001")
    page.fill('input[name="name"]', "Tổng đài Hồ Chí Minh")
    page.check('input[name="outbound_enabled"]')
    page.check('input[name="groups_mode"][value="selected"]')
    page.check('label:has-text("Sales") input')
    page.check('input[name="record_calls"]')
    page.check('input[name="recording_announcement"]')  # the customer hears it is recorded, first
    assert page.locator('label:has-text("Kịch bản IVR")').is_hidden()  # IVR off: a queue is chosen
    page.select_option('select[name="queue_id"]', label="Support")
    page.click("text=Tạo hotline")
    page.wait_for_url("**/hotlines/hl_*?saved=1")
    assert page.locator(".notice").inner_text() == "Đã lưu."
    assert "+842838250001" in page.locator("h1").inner_text()
    assert page.locator('input[name="outbound_enabled"]').is_checked()
    assert page.locator('input[name="recording_announcement"]').is_checked()
    assert page.locator('label:has-text("Sales") input').is_checked()
    assert not page.locator('label:has-text("Support") input').is_checked()
    page.goto(portal.url + "/hotlines/new")  # the number is taken now: no longer offered
    page.select_option('select[name="line_type"]', "local")
    page.wait_for_function("document.querySelector('select[name=number]').options[0].value.startsWith('+842')")
    assert page.locator('select[name="number"] option').all_inner_texts() == ["+842438250001"]


def test_a_virtual_number_cannot_call_out_and_the_form_says_why(portal, page):
    open_hotlines(page, portal, "/hotlines/new")
    page.check('input[name="outbound_enabled"]')
    page.check('input[name="number_type"][value="virtual"]')
    outbound = page.locator('input[name="outbound_enabled"]')
    assert outbound.is_disabled() and not outbound.is_checked()
    reason = page.locator("[data-virtual-reason]")
    assert reason.is_visible() and "Số ảo không thể gọi ra" in reason.inner_text()
    page.fill('input[name="number"]:not([disabled])', "02838250777")
    page.fill('input[name="name"]', "Chiến dịch web")
    page.select_option('select[name="queue_id"]', label="Support")
    # a browser that posts it anyway (no script, or a crafted form) gets the rule's answer beside the field
    page.evaluate("""() => { document.activeElement.blur();  // its change event would run the form's script again
                             const box = document.querySelector('input[name=outbound_enabled]');
                             box.disabled = false; box.checked = true; }""")
    page.click("text=Tạo hotline")
    assert "Số ảo không thể gọi ra" in error_for(page, "outbound_enabled")
    assert page.locator('input[name="name"]').input_value() == "Chiến dịch web"  # nothing typed is lost


def test_a_carrier_number_that_is_not_in_the_inventory_cannot_be_chosen(portal, page):
    open_hotlines(page, portal, "/hotlines/new")
    page.evaluate("""() => { const s = document.querySelector('select[name=number]');
                             s.add(new Option('+84981777777', '+84981777777')); s.value = '+84981777777'; }""")
    page.fill('input[name="name"]', "Không có trong kho")
    page.select_option('select[name="queue_id"]', label="Support")
    page.click("text=Tạo hotline")
    assert error_for(page, "number") == "Số này không có trong kho số trống của nhà vận hành."
    page.goto(portal.url + "/hotlines")
    assert "Không có trong kho" not in page.content()


def test_the_detail_page_changes_the_widget_wrap_up_and_alert_settings(portal, page):
    open_hotlines(page, portal)
    page.click("tr:has-text(\"Vinaphone line\") a")
    page.wait_for_url("**/hotlines/hl_*")
    page.uncheck('input[name="show_in_widget"]')
    page.fill('input[name="wrap_up_seconds"]', "45")
    page.fill('input[name="notify_answer_seconds"]', "20")
    page.click("form[data-hotline-form] button.primary")
    page.wait_for_url("**?saved=1")
    page.reload()
    assert not page.locator('input[name="show_in_widget"]').is_checked()
    assert page.locator('input[name="wrap_up_seconds"]').input_value() == "45"
    assert page.locator('input[name="notify_answer_seconds"]').input_value() == "20"
    page.evaluate("document.querySelector('input[name=wrap_up_seconds]').removeAttribute('max')")
    page.fill('input[name="wrap_up_seconds"]', "99999")
    page.click("form[data-hotline-form] button.primary")
    assert "ngoài khoảng cho phép" in error_for(page, "wrap_up_seconds")
    page.fill('input[name="wrap_up_seconds"]', "45")  # what was typed came back; put a valid one again
    page.check('input[name="ivr_enabled"]')  # IVR on with no tree chosen
    page.click("form[data-hotline-form] button.primary")
    assert error_for(page, "ivr_tree_id") == "Hãy chọn kịch bản IVR (IVR đang bật)."


def test_another_tenants_hotline_is_not_found(portal, page):
    with UnitOfWork(portal.engine) as uow:
        other, _key = operator.create_tenant(uow, name="Other Shop", sip_domain="other.tongdai.local",
                                             now=datetime.now(UTC))
        queue = queues.create_queue(uow, tenant_id=other.id, data={"name": "Their queue"})
        theirs = hotlines.create_hotline(uow, tenant_id=other.id, now=datetime.now(UTC), data={
            "number_type": "virtual", "country": "VN", "line_type": "local", "number": "02838250999",
            "name": "Their line", "ivr_enabled": False, "queue_id": queue.id})
    open_hotlines(page, portal)
    response = page.goto(f"{portal.url}/hotlines/{theirs.id}")
    assert response.status == 404 and page.locator("h1").inner_text() == "Không tìm thấy"
    assert "Their line" not in page.content()
