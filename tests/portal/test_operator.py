"""The operator's pages in Chromium: a tenant created with its first admin's sign-in (which then works),
a trunk and an inventory number added, and the tenant's pages closed to the operator."""

from __future__ import annotations

from .conftest import OPERATOR, sign_in


def test_the_operator_creates_a_tenant_whose_admin_signs_in_and_adds_trunks_and_numbers(portal, page, browser):
    sign_in(page, portal, email=OPERATOR, next_path="/operator/tenants")
    page.wait_for_url(portal.url + "/operator/tenants")
    page.fill('input[name="name"]', "Nhà thuốc An Khang")
    page.fill('input[name="sip_domain"]', "ankhang.tongdai.local")
    page.click("button:has-text('Tạo khách hàng')")
    email = page.locator("[data-admin-email]").inner_text()
    password = page.locator("[data-admin-password]").inner_text()
    assert email == "admin@ankhang.tongdai.local" and len(password) > 12
    assert "ankhang.tongdai.local" in page.locator("table.list").inner_text()

    other = browser.new_context()
    try:
        theirs = other.new_page()
        sign_in(theirs, portal, email=email, password=password, next_path="/hotlines")
        theirs.wait_for_url(portal.url + "/hotlines")
        assert theirs.locator("table.list tbody tr").inner_text() == "Không có hotline nào phù hợp."  # a new tenant
    finally:
        other.close()

    page.goto(portal.url + "/operator/trunks")
    page.fill('input[name="name"]', "Viettel SIP trunk")
    page.fill('input[name="host"]', "10.0.0.5")
    page.fill('input[name="source_addresses"]', "10.0.0.5:5060")
    with page.expect_navigation():
        page.click("button:has-text('Thêm trunk')")
    assert "10.0.0.5:5060" in page.locator('tr:has-text("Viettel SIP trunk")').inner_text()
    page.click('a:has-text("Viettel SIP trunk")')  # edit it: a second source address, a new port
    page.wait_for_url("**/operator/trunks/tk_*")
    page.fill('input[name="source_addresses"]', "10.0.0.5:5060, 10.0.0.6:5060")
    page.fill('input[name="port"]', "5070")
    with page.expect_navigation():
        page.click("form.card button.primary")
    row = page.locator('tr:has-text("Viettel SIP trunk")').inner_text()
    assert "10.0.0.5:5070" in row and "10.0.0.6:5060" in row

    page.goto(portal.url + "/operator/inventory")
    page.fill('input[name="number"]', "0981555666")
    page.select_option('select[name="trunk_id"]', label="Viettel SIP trunk")
    with page.expect_navigation():
        page.click("button:has-text('Thêm số')")
    assert "Viettel" in page.locator('tr:has-text("+84981555666")').inner_text()  # the carrier, from the number
    page.fill('input[name="number"]', "0981555666")  # the same number again
    page.select_option('select[name="trunk_id"]', label="Viettel SIP trunk")
    page.click("button:has-text('Thêm số')")
    assert page.locator('[data-error-for="number"]').is_visible()
    page.goto(portal.url + "/operator/inventory/+84981555666")  # assign it to the new tenant
    page.select_option('select[name="tenant_id"]', label="Nhà thuốc An Khang")
    with page.expect_navigation():
        page.click("form.card button.primary")
    assert "Nhà thuốc An Khang" in page.locator('tr:has-text("+84981555666")').inner_text()
    assert page.goto(portal.url + "/hotlines").status == 403  # the operator does not configure a tenant
