"""The IVR editor in Chromium: a tree created, a node added with key branches to a queue and an agent,
its prompt played from the page (the same audio callers hear), an MP3 uploaded, and a branch to a node
that does not exist refused beside its node, with what was typed kept."""

from __future__ import annotations

import io
import wave

from tongdai.store.uow import UnitOfWork

from ..api.test_objects_api import mp3_bytes
from .conftest import sign_in


def branch(page, node: str, row: int, key: str, kind: str, value: str = "") -> None:
    box = page.locator(f'fieldset[data-node="{node}"]')
    box.locator(f'input[name$="[branches][{row}][key]"]').fill(key)
    box.locator(f'select[name$="[branches][{row}][type]"]').select_option(kind)
    box.locator(f'input[name$="[branches][{row}][value]"]').fill(value)


def test_an_admin_builds_a_menu_hears_its_prompt_and_uploads_an_mp3(portal, page, tmp_path):
    with UnitOfWork(portal.engine) as uow:
        tenant = portal.keys["tenant_id"]
        support = next(q.id for q in uow.queues.all(tenant) if q.name == "Support")
        an = next(a.id for a in uow.agents.all(tenant) if a.sip_username == "an")
    sign_in(page, portal, next_path="/ivr")
    page.wait_for_url(portal.url + "/ivr")
    page.fill('input[name="name"]', "Tổng đài CSKH")
    page.fill('textarea[name="text"]', "Xin chào. Bấm 1 để gặp hỗ trợ, bấm 2 để gặp anh An.")
    page.click("button:has-text('Tạo kịch bản IVR')")
    page.wait_for_url("**/ivr/iv_*?saved=1")
    branch(page, "menu", 0, "1", "queue", support)
    branch(page, "menu", 1, "2", "agent", an)
    branch(page, "menu", 2, "9", "node", "gio")  # a node not added yet
    page.click("form.ivr-editor button.primary")
    errors = page.locator('fieldset[data-node="menu"] [data-node-error]').all_inner_texts()
    assert any("Kịch bản không có nút này" in e for e in errors), errors
    assert page.locator('fieldset[data-node="menu"] input[name$="[branches][2][value]"]').input_value() == "gio"
    new = page.locator('fieldset[data-node="new"]')
    new.locator('input[name$="[id]"]').fill("gio")
    new.locator('textarea[name$="[text]"]').fill("Chúng tôi làm việc từ 8 giờ đến 17 giờ.")
    page.click("form.ivr-editor button.primary")
    page.wait_for_url("**?saved=1")
    with UnitOfWork(portal.engine) as uow:
        tree = next(t for t in uow.ivr_trees.all(tenant) if t.name == "Tổng đài CSKH")
    menu = next(n for n in tree.nodes if n.id == "menu")
    assert {k: (t.type, t.queue_id or t.agent_id or t.node_id) for k, t in menu.branches} == {
        "1": ("queue", support), "2": ("agent", an), "9": ("node", "gio")}
    src = page.locator('fieldset[data-node="menu"] audio').get_attribute("src")
    heard = page.context.request.get(portal.url + src)
    assert heard.status == 200 and heard.headers["content-type"] == "audio/wav"
    with wave.open(io.BytesIO(heard.body())) as w:
        assert w.getframerate() == 8000 and w.getnframes() > 8000  # the spoken menu, over a second

    mp3 = tmp_path / "nhac.mp3"
    mp3.write_bytes(mp3_bytes(1.5))
    page.set_input_files('form[action="/ivr/audio"] input[type="file"]', str(mp3))
    with page.expect_navigation():
        page.click('form[action="/ivr/audio"] button')
    gio = page.locator('fieldset[data-node="gio"]')
    assert "nhac.mp3" in gio.locator('select[name$="[audio_id]"]').inner_text()  # ready to be a node's prompt
    long_wav = tmp_path / "loi-chao-dai.wav"  # 3 MB: more than a form's usual 1 MiB, within the 5 MiB limit
    with wave.open(str(long_wav), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(bytes(range(256)) * (3 * 1024 * 1024 // 256))
    page.set_input_files('form[action="/ivr/audio"] input[type="file"]', str(long_wav))
    with page.expect_navigation():
        page.click('form[action="/ivr/audio"] button')
    assert "loi-chao-dai.wav" in page.locator('fieldset[data-node="gio"] select[name$="[audio_id]"]').inner_text()
