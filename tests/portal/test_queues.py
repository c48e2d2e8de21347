"""Queues in Chromium: a queue created with tiers of groups, music while waiting and an overflow to
another queue; its rules refused beside their fields."""

from __future__ import annotations

from tongdai.store.uow import UnitOfWork

from .conftest import sign_in


def test_a_queue_is_created_with_tiers_music_and_an_overflow_and_its_errors_are_shown(portal, page):
    sign_in(page, portal, next_path="/queues/new")
    page.wait_for_url(portal.url + "/queues/new")
    page.fill('input[name="name"]', "Khiếu nại")
    page.select_option('select[aria-label="Support"]', "1")
    page.select_option('select[aria-label="Sales"]', "2")
    page.select_option('select[name="strategy"]', "round_robin")
    page.fill('input[name="ring_timeout_seconds"]', "2")  # below the 5 s a phone needs to be heard
    page.select_option('select[name="waiting_audio"]', "music")
    page.fill('input[name="max_wait_seconds"]', "120")
    page.select_option('select[name="max_wait_type"]', "queue")  # but no queue chosen
    page.click("button:has-text('Tạo hàng chờ')")
    assert "ngoài khoảng" in page.locator('[data-error-for="ring_timeout_seconds"]').inner_text()
    assert page.locator('[data-error-for="max_wait_action.queue_id"]').inner_text() == "Không có hàng chờ này."
    assert page.locator('select[aria-label="Sales"]').input_value() == "2"  # nothing chosen is lost
    page.fill('input[name="ring_timeout_seconds"]', "15")
    page.select_option('select[name="max_wait_queue_id"]', label="Support")
    page.click("button:has-text('Tạo hàng chờ')")
    page.wait_for_url("**/queues/qu_*?saved=1")
    with UnitOfWork(portal.engine) as uow:
        queue = next(q for q in uow.queues.all(portal.keys["tenant_id"]) if q.name == "Khiếu nại")
        groups = {g.id: g.name for g in uow.groups.all(portal.keys["tenant_id"])}
    assert sorted((groups[g.group_id], g.priority) for g in queue.groups) == [("Sales", 2), ("Support", 1)]
    assert (queue.strategy, queue.ring_timeout_seconds, queue.waiting_audio) == ("round_robin", 15, "music")
    assert (queue.max_wait_seconds, queue.max_wait_action.type) == (120, "queue")
    page.goto(portal.url + "/queues")
    assert "Nhạc chờ" in page.locator('tr:has-text("Khiếu nại")').inner_text()
