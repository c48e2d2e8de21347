"""An agent lives in the widget: signs in, registers over WebSocket, calls out with the hotline it picks,
takes a queue call showing the hotline and queue, and its state follows."""

from __future__ import annotations

import threading
import time

import pytest

from tests.sip import flows
from tests.sip.harness import Server, Sipp, agent_id, carrier, ok, rtp_packets_per_leg, wait_state

# the carrier answers with PCMA too and plays SIPp's 7 s of PCMA speech (its dtmf pcaps hold only events)
CARRIER_ANSWERS_PCMA = flows.ring_answer(codecs="8 0 101")
CARRIER_PLAYS_AUDIO = '''
  <nop><action><exec play_pcap_audio="/usr/share/sip-tester/g711a.pcap"/></action></nop>
'''
carrier_reinvite = flows.reinvite_answered
AGENT_USER = "an@demo.tongdai.local"
PASSWORD = "demo-portal-1"


def inbound_packets(page) -> int:
    """RTP packets the browser has received on the call's audio (its own statistics)."""
    return page.evaluate("""async () => {
        const stats = await window.tongdaiSession.connection.getStats();
        let packets = 0;
        stats.forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'audio') packets += s.packetsReceived; });
        return packets;
    }""")


def open_widget(browser, server: Server, email: str = AGENT_USER):
    context = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    context.set_default_timeout(15_000)
    page = context.new_page()
    base = f"http://127.0.0.1:{server.http_port}"
    page.goto(f"{base}/sign-in?next=/widget")
    page.fill('input[name="email"]', email)
    page.fill('input[name="password"]', PASSWORD)
    page.click("form[action='/sign-in'] button")
    page.wait_for_url(f"{base}/widget")
    page.wait_for_selector('[data-registration="registered"]')
    return context, page


def test_the_widget_registers_over_websocket_and_closing_it_removes_the_binding(server, browser):
    context, page = open_widget(browser, server)
    an = agent_id(server, "an")
    regs = server.get(f"/agents/{an}/registrations")["items"]
    assert [r["contact"].split("@")[1] for r in regs][0].endswith(".invalid;transport=ws"), regs
    page.wait_for_selector('[data-state="available"]')
    # away for lunch, from the widget: the switch says so, and the badge follows
    page.select_option("select[name=status]", "away")
    page.fill("input[name=reason]", "Ăn trưa")
    page.click("[data-apply-status]")
    page.wait_for_selector('[data-state="away"]')
    assert page.inner_text("[data-state]") == "Vắng mặt (Ăn trưa)"
    assert (lambda s: (s["state"], s["reason"]))(wait_state(server, an, "away")) == ("away", "Ăn trưa")
    page.select_option("select[name=status]", "available")
    page.click("[data-apply-status]")
    wait_state(server, an, "available")
    # the caller picker lists the agent's widget numbers, its default (the adaptive number) marked
    picked = page.locator("select[name=caller] option:checked").inner_text()
    assert picked.endswith("— mặc định") and "số thích ứng" in picked, picked
    context.close()
    deadline = time.monotonic() + 5
    while server.get(f"/agents/{an}/registrations")["items"] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert server.get(f"/agents/{an}/registrations")["items"] == []


def test_the_agent_calls_out_with_the_hotline_it_picks(server, browser, work):
    side = carrier(server, work, flows.carrier_invite("+84912000001") + CARRIER_ANSWERS_PCMA
                   + CARRIER_PLAYS_AUDIO + flows.CARRIER_WAIT_BYE)
    time.sleep(0.3)
    context, page = open_widget(browser, server)
    try:
        options = page.locator("select[name=caller] option")
        labels = options.all_inner_texts()
        assert any("+84912000001" in label for label in labels), labels
        page.select_option("select[name=caller]", label=next(lb for lb in labels if "+84912000001" in lb))
        page.fill("input[name=number]", "0981000123")
        page.click("[data-call-button]")
        page.wait_for_function("document.querySelector('[data-call-state]').textContent === 'Đang đàm thoại'")
        page.wait_for_timeout(2500)
        inbound = inbound_packets(page)
        assert inbound >= 8, inbound  # the carrier's pcap: 10 RTP packets
        page.click("[data-hangup]")
        page.wait_for_selector("[data-dial]:not([hidden])")
    finally:
        context.close()
    ok(side, "carrier")
    call = server.wait_call(lambda c: c["customer_number"] == "+84981000123" and c["ended_at"])
    assert call["hotline_number"] == "+84912000001" and call["talk_seconds"] > 0, call


def test_a_queue_call_rings_the_widget_with_its_hotline_and_queue_and_the_agent_wraps_up(server, browser, work):
    binh = agent_id(server, "binh")
    context, page = open_widget(browser, server, "binh@demo.tongdai.local")
    try:
        wait_state(server, binh, "available")
        # the customer plays its pcap once the browser's DTLS is up, takes the agent's hold and resume, hangs up
        talk = ('\n  <pause milliseconds="1500"/>\n  <nop><action><exec play_pcap_audio='
                '"/usr/share/sip-tester/dtmf_2833_1.pcap"/></action></nop>\n'
                + carrier_reinvite("sendonly") + carrier_reinvite("sendrecv") + '\n  <pause milliseconds="300"/>\n')
        customer = Sipp("customer_call", port=server.carrier_port, target=server.sip_port, workdir=work,
                        keys={"hotline": "0912000001", "customer": "0987300001"},
                        after_ring=flows.customer_answered(talk))
        seen: dict[str, int] = {}
        counting = threading.Thread(target=lambda: seen.update(rtp_packets_per_leg(server.ng_port, customer.proc)))
        counting.start()
        page.wait_for_selector("[data-incoming]:not([hidden])")
        assert page.inner_text("[data-incoming-number]") == "+84987300001"
        assert page.inner_text("[data-incoming-hotline]") == "+84912000001 · Vinaphone line"
        assert page.inner_text("[data-incoming-queue]") == "Support"
        page.click("[data-answer]")
        page.wait_for_function("document.querySelector('[data-call-state]').textContent === 'Đang đàm thoại'")
        page.wait_for_timeout(2500)
        inbound = inbound_packets(page)
        assert inbound >= 8, inbound  # the customer's pcap: 10 RTP packets (RFC 4733 events)
        page.click("[data-hold]")  # the agent holds and resumes: re-INVITEs through rtpengine to the customer
        page.wait_for_function("document.querySelector('[data-call-state]').textContent === 'Đang giữ máy'")
        page.click("[data-hold]")
        page.wait_for_function("document.querySelector('[data-call-state]').textContent === 'Đang đàm thoại'")
        ok(customer, "customer")  # it hangs up
        counting.join()
        # rtpengine received the customer's packets and the browser's (its fake microphone never stops)
        legs = {tag: n for tag, n in seen.items() if not tag.startswith("<untagged")}
        assert len(legs) == 2 and min(legs.values()) >= 8, seen
        page.wait_for_selector("[data-dial]:not([hidden])")
        # the hotline's 30 s wrap-up, counted down in the widget; Ready ends it
        page.wait_for_selector("[data-wrapup]:not([hidden])")
        left = int(page.inner_text("[data-wrapup-left]"))
        assert 20 <= left <= 30, left
        assert wait_state(server, binh, "wrap_up")["wrap_up_until"]
        page.click("[data-ready]")
        wait_state(server, binh, "available")
        page.wait_for_selector('[data-state="available"]')
        recent = page.locator("[data-recent] li").first.inner_text()
        assert "+84987300001" in recent and "Vinaphone line" in recent, recent
    finally:
        context.close()
    call = server.wait_call(lambda c: c["customer_number"] == "+84987300001" and c["ended_at"])
    assert (call["agent_id"], call["end_reason"], call["hung_up_by"]) == (binh, "completed", "customer")


def test_hold_and_resume_go_through_rtpengine_to_the_carrier(server, browser, work):
    side = carrier(server, work, flows.carrier_invite("+84981000001") + CARRIER_ANSWERS_PCMA
                   + carrier_reinvite("sendonly") + carrier_reinvite("sendrecv") + flows.CARRIER_WAIT_BYE)
    time.sleep(0.3)
    context, page = open_widget(browser, server)
    try:
        page.fill("input[name=number]", "0981000124")  # the default caller ID: the Viettel line for Viettel
        page.click("[data-call-button]")
        page.wait_for_function("document.querySelector('[data-call-state]').textContent === 'Đang đàm thoại'")
        page.click("[data-hold]")
        page.wait_for_function("document.querySelector('[data-call-state]').textContent === 'Đang giữ máy'")
        assert page.inner_text("[data-hold]") == "Tiếp tục"
        page.click("[data-hold]")  # waits until the button is enabled again: the carrier answered the hold
        page.wait_for_function("document.querySelector('[data-call-state]').textContent === 'Đang đàm thoại'")
        page.click("[data-hangup]")
        page.wait_for_selector("[data-dial]:not([hidden])")
    finally:
        context.close()
    ok(side, "carrier")


def sip_register(server: Server, username: str, password: str, n: int) -> int:
    """A REGISTER for an over UDP with this digest username and password: its final status."""
    import hashlib
    import re

    from tests.sip.harness import DOMAIN, free_port, sip_exchange

    port = free_port()

    def message(authorization: str = "") -> str:
        return (f"REGISTER sip:{DOMAIN} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bKr{n}{len(authorization)}\r\n"
                f"From: <sip:an@{DOMAIN}>;tag=r{n}\r\nTo: <sip:an@{DOMAIN}>\r\nCall-ID: reg{n}@test\r\n"
                f"CSeq: {1 + bool(authorization)} REGISTER\r\nContact: <sip:an@127.0.0.1:{port}>\r\nExpires: 60\r\n"
                f"Max-Forwards: 70\r\n{authorization}Content-Length: 0\r\n\r\n")

    challenge = sip_exchange(server.sip_port, message(), source_port=port)
    nonce = re.search(r'nonce="([^"]+)"', challenge).group(1)
    uri = f"sip:{DOMAIN}"
    ha1 = hashlib.md5(f"{username}:{DOMAIN}:{password}".encode()).hexdigest()
    ha2 = hashlib.md5(f"REGISTER:{uri}".encode()).hexdigest()
    response = hashlib.md5(f"{ha1}:{nonce}:{ha2}".encode()).hexdigest()
    header = (f'Authorization: Digest username="{username}",realm="{DOMAIN}",nonce="{nonce}",uri="{uri}",'
              f'response="{response}",algorithm=MD5\r\n')
    return int(sip_exchange(server.sip_port, message(header), source_port=port).split()[1])


def test_signing_out_revokes_the_widgets_sip_credential(server, browser):
    context, page = open_widget(browser, server)
    try:
        credential = page.evaluate("""async () => {
            const csrf = JSON.parse(document.getElementById('widget-config').textContent).csrf;
            const r = await fetch('/widget/credential', {method: 'POST', headers: {'X-CSRF-Token': csrf}});
            return await r.json();
        }""")
        assert credential["uri"] == "sip:an@demo.tongdai.local" and "password" in credential
        assert sip_register(server, credential["authorization_user"], credential["password"], 1) == 200
        # without the session's CSRF token, no credential
        assert page.evaluate("async () => (await fetch('/widget/credential', {method: 'POST'})).status") == 403
        page.goto(f"http://127.0.0.1:{server.http_port}/")
        page.click("form[action='/sign-out'] button")
        page.wait_for_url("**/sign-in")
        assert sip_register(server, credential["authorization_user"], credential["password"], 2) == 403
    finally:
        context.close()


def test_a_udp_phone_and_the_widget_call_each_other(server, browser, work):
    from tests.sip.harness import agent, register_phone

    context, page = open_widget(browser, server)  # an, extension 101
    try:
        # binh's UDP phone (SIPp) calls an's extension: the widget rings and answers; binh hangs up
        caller = agent("agent_call", server, work, user="binh", keys={"dest": "101"},
                       after_auth=flows.ANSWERED + '\n  <pause milliseconds="1500"/>\n' + flows.HANG_UP)
        page.wait_for_selector("[data-incoming]:not([hidden])")
        assert page.inner_text("[data-incoming-number]") == "102"
        page.click("[data-answer]")
        page.wait_for_function("document.querySelector('[data-call-state]').textContent === 'Đang đàm thoại'")
        ok(caller, "binh's phone")
        page.wait_for_selector("[data-dial]:not([hidden])")
        first = server.wait_call(lambda c: c["direction"] == "internal" and c["ended_at"] and c["talk_seconds"])
        assert first["hung_up_by"] in ("caller", "agent") and first["callee_agent_id"] == agent_id(server, "an")
        # the widget calls binh's UDP phone by extension; the phone answers, the widget hangs up
        phone = Sipp("carrier", port=register_phone(server, work, "binh"), workdir=work,
                     flow=flows.carrier_invite() + flows.reply_answer() + flows.CARRIER_WAIT_BYE)
        time.sleep(0.3)
        page.fill("input[name=number]", "102")
        page.click("[data-call-button]")
        page.wait_for_function("document.querySelector('[data-call-state]').textContent === 'Đang đàm thoại'")
        page.wait_for_timeout(500)
        page.click("[data-hangup]")
        ok(phone, "binh's phone")
    finally:
        context.close()
    second = server.wait_call(lambda c: c["direction"] == "internal" and c["ended_at"]
                              and c["callee_agent_id"] == agent_id(server, "binh"))
    assert second["agent_id"] == agent_id(server, "an") and second["answered_at"], second


def test_click_to_call_rings_the_widget_first_then_calls_the_customer(server, browser, work):
    import httpx

    an = agent_id(server, "an")
    new = httpx.post(f"{server.api}/agents", headers=server.admin, json={
        "name": "Chi", "sip_username": "chi", "extension": "109", "sip_password": "a-good-pass-9"})
    assert new.status_code == 201, new.text
    time.sleep(0.4)  # the switch reloads its configuration
    offline = httpx.post(f"{server.api}/calls", headers=server.admin,
                         json={"agent_id": new.json()["id"], "destination": "0981000126"})
    assert offline.status_code == 422 and offline.json()["errors"][0]["code"] == "callee_offline", offline.text
    side = carrier(server, work, flows.carrier_invite("+84912000001") + flows.CARRIER_RING_ANSWER
                   + flows.CARRIER_WAIT_BYE)
    time.sleep(0.3)
    context, page = open_widget(browser, server)
    try:
        abroad = httpx.post(f"{server.api}/calls", headers=server.admin,
                            json={"agent_id": an, "destination": "+88213000000"})
        assert abroad.status_code == 422 and abroad.json()["errors"][0]["code"] == "destination_not_allowed"
        r = httpx.post(f"{server.api}/calls", headers=server.admin,
                       json={"agent_id": an, "destination": "0981000125", "caller": "+84912000001"})
        assert r.status_code == 202, r.text
        call_id = r.json()["call_id"]
        page.wait_for_selector("[data-incoming]:not([hidden])")  # the agent's widget rings first
        assert page.inner_text("[data-incoming-number]") == "+84981000125"
        page.click("[data-answer]")  # then the carrier gets the INVITE, from the chosen hotline
        page.wait_for_function("document.querySelector('[data-call-state]').textContent === 'Đang đàm thoại'")
        page.wait_for_timeout(800)
        page.click("[data-hangup]")
        page.wait_for_selector("[data-dial]:not([hidden])")
    finally:
        context.close()
    ok(side, "carrier")
    call = server.wait_call(lambda c: c["id"] == call_id and c["ended_at"])
    assert (call["agent_id"], call["hotline_number"], call["customer_number"]) == (an, "+84912000001",
                                                                                  "+84981000125")
    assert call["answered_at"] and call["end_reason"] == "completed" and call["hung_up_by"] == "agent", call


def test_dtmf_keys_from_the_widget_reach_the_carrier_as_rfc_4733(server, browser, work):
    """The carrier's answer points the media at this test's socket and mirrors Chrome's telephone-event
    payload type (126), as RFC 3264 asks an answerer to: the keys pressed arrive as RFC 4733 events."""
    import socket

    media = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    media.bind(("127.0.0.1", 0))
    media.settimeout(0.2)
    port = media.getsockname()[1]
    answer = flows.ring_answer(codecs="0 126", media=("127.0.0.1", port))
    side = carrier(server, work, flows.carrier_invite("+84912000001") + answer + flows.CARRIER_WAIT_BYE)
    time.sleep(0.3)
    context, page = open_widget(browser, server)
    audio, events = 0, []
    try:
        page.select_option("select[name=caller]", label=next(
            lb for lb in page.locator("select[name=caller] option").all_inner_texts() if "+84912000001" in lb))
        page.fill("input[name=number]", "0981000127")
        page.click("[data-call-button]")
        page.wait_for_function("document.querySelector('[data-call-state]').textContent === 'Đang đàm thoại'")
        page.wait_for_timeout(1000)  # DTLS up; then three keys, as an agent types them in an IVR
        for key in "15#":
            page.click(f'[data-dtmf] [data-key="{key}"]')
            page.wait_for_timeout(400)
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            try:
                packet = media.recv(2048)
            except TimeoutError:
                continue
            payload_type = packet[1] & 0x7F
            if payload_type == 126:
                event = packet[12]
                if not events or events[-1] != event:
                    events.append(event)
            elif payload_type == 0:
                audio += 1
        page.click("[data-hangup]")
    finally:
        context.close()
        media.close()
    ok(side, "carrier")
    assert audio > 50, audio  # the browser's microphone, through rtpengine as PCMU
    assert events == [1, 5, 11], events  # RFC 4733: '#' is event 11


def pcmu_heard(media, seconds: float) -> tuple[int, int]:
    """PCMU packets received on `media` for `seconds`, and how many carry sound (not a silence pattern)."""
    packets = sound = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            packet = media.recv(2048)
        except TimeoutError:
            continue
        if packet[1] & 0x7F == 0:
            packets += 1
            sound += len(set(packet[12:])) > 8
    return packets, sound


def test_mute_silences_the_microphone_and_unmute_brings_it_back(server, browser, work):
    """The carrier's media is this test's socket: Chrome's fake microphone beeps; muted, the packets carry
    silence; unmuted, the beeps are back."""
    import socket

    media = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    media.bind(("127.0.0.1", 0))
    media.settimeout(0.2)
    answer = flows.ring_answer(codecs="0 126", media=("127.0.0.1", media.getsockname()[1]))
    side = carrier(server, work, flows.carrier_invite("+84912000001") + answer + flows.CARRIER_WAIT_BYE)
    time.sleep(0.3)
    context, page = open_widget(browser, server)
    try:
        page.select_option("select[name=caller]", label=next(
            lb for lb in page.locator("select[name=caller] option").all_inner_texts() if "+84912000001" in lb))
        page.fill("input[name=number]", "0981000126")
        page.click("[data-call-button]")
        page.wait_for_function("document.querySelector('[data-call-state]').textContent === 'Đang đàm thoại'")
        page.wait_for_timeout(800)
        before = pcmu_heard(media, 2.0)
        unmuted_label = page.inner_text("[data-mute]")
        page.click("[data-mute]")
        page.wait_for_function(f"document.querySelector('[data-mute]').textContent !== {unmuted_label!r}")
        page.wait_for_timeout(300)
        muted = pcmu_heard(media, 2.0)
        page.click("[data-mute]")
        page.wait_for_function(f"document.querySelector('[data-mute]').textContent === {unmuted_label!r}")
        page.wait_for_timeout(300)
        after = pcmu_heard(media, 2.0)
        page.click("[data-hangup]")
    finally:
        context.close()
        media.close()
    ok(side, "carrier")
    # measured: about half the packets carry the beep (64 of 141 in 2 s); muted, a stray one or two at most
    assert before[0] > 50 and before[1] >= 30, before
    assert muted[0] > 50 and muted[1] <= 4, muted
    assert after[1] >= 30, after


def test_declining_a_queue_call_frees_the_agent_and_the_customer_keeps_waiting(server, browser, work):
    """Decline answers the offer 603: the agent is available again (not offered that call again) and the
    customer, still waiting in the queue, hangs up: abandoned, nobody answered."""
    binh = agent_id(server, "binh")
    context, page = open_widget(browser, server, "binh@demo.tongdai.local")
    try:
        wait_state(server, binh, "available")
        customer = Sipp("customer_call", port=server.carrier_port, target=server.sip_port, workdir=work,
                        keys={"hotline": "0912000001", "customer": "0987300041"},
                        after_ring=flows.CUSTOMER_HANGS_UP_WHILE_RINGING.replace("${wait_ms}", "4000"))
        page.wait_for_selector("[data-incoming]:not([hidden])")
        assert page.inner_text("[data-incoming-number]") == "+84987300041"
        page.click("[data-decline]")
        page.wait_for_selector("[data-incoming]", state="hidden")
        wait_state(server, binh, "available")
        ok(customer, "customer")
    finally:
        context.close()
    call = server.wait_call(lambda c: c["customer_number"] == "+84987300041" and c["ended_at"])
    assert (call["agent_id"], call["answered_at"], call["end_reason"]) == (None, None, "abandoned"), call


def call_from_the_frame(page, frame, number: str) -> list[str]:
    """In the framed widget: once registered, call `number`, hang up when answered; the call events the
    embedding page listed."""
    frame.locator('[data-registration="registered"]').wait_for()
    frame.locator("input[name=number]").fill(number)
    frame.locator("[data-call-button]").click()
    frame.locator("[data-call-state]", has_text="Đang đàm thoại").wait_for()
    frame.locator("[data-hangup]").click()
    page.locator('[data-events] li[data-type="call.ended"]').wait_for()
    return page.locator("[data-events] li").all_inner_texts()


def test_a_page_that_frames_the_widget_hears_its_call_events(server, browser, work, crm_origin):
    """What a CRM does (docs/widget.md), on the example page tongdai serves: the widget in an iframe posts
    call.started, call.answered and call.ended to its parent; other portal pages refuse to be framed."""
    side = carrier(server, work, flows.carrier_invite() + flows.CARRIER_RING_ANSWER + flows.CARRIER_WAIT_BYE)
    time.sleep(0.3)
    context, page = open_widget(browser, server)
    try:
        base = f"http://127.0.0.1:{server.http_port}"
        response = page.goto(f"{base}/widget/embed-example")
        assert response.headers["x-frame-options"] == "SAMEORIGIN"  # the example page itself: not frameable
        framing = page.request.get(f"{base}/widget").headers["content-security-policy"]
        assert framing == f"frame-ancestors 'self' {crm_origin}", framing  # TONGDAI_WIDGET_EMBED_ORIGINS
        assert page.request.get(f"{base}/calls").headers["content-security-policy"] == "frame-ancestors 'self'"
        events = call_from_the_frame(page, page.frame_locator("[data-widget-frame]"), "0981000128")
    finally:
        context.close()
    ok(side, "carrier")
    assert [e.split()[0] for e in events] == ["call.started", "call.answered", "call.ended"], events
    assert all(" outbound 0981000128" in e for e in events), events


def test_a_crm_on_another_site_frames_the_widget_signs_in_there_and_hears_its_call_events(server, browser, work,
                                                                                            crm):
    """A CRM page on another site (localhost, tongdai on 127.0.0.1) listed in TONGDAI_WIDGET_EMBED_ORIGINS:
    the agent signs in inside the frame (its cookies are partitioned for that site, as a Lax one would never
    come back there), the widget registers, calls out, and the CRM hears call.started/answered/ended."""
    side = carrier(server, work, flows.carrier_invite() + flows.CARRIER_RING_ANSWER + flows.CARRIER_WAIT_BYE)
    time.sleep(0.3)
    context = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        page.goto(crm)
        frame = page.frame_locator("[data-widget]")
        frame.locator('input[name="email"]').fill(AGENT_USER)
        frame.locator('input[name="password"]').fill(PASSWORD)
        frame.locator("form[action='/sign-in'] button").click()
        events = call_from_the_frame(page, frame, "0981000125")
        session = [c for c in context.cookies() if c["name"] == "tongdai_session"]
    finally:
        context.close()
    ok(side, "carrier")
    assert [e.split()[0] for e in events] == ["call.started", "call.answered", "call.ended"], events
    assert all(" outbound 0981000125" in e for e in events), events
    assert len(session) == 1 and session[0]["sameSite"] == "None" and session[0]["secure"], session


def browser_audio_ssrcs(page) -> dict[str, list[int]]:
    """The SSRCs of the browser's audio streams, by direction (`inbound-rtp`, `outbound-rtp`)."""
    return page.evaluate("""async () => {
        const stats = await window.tongdaiSession.connection.getStats();
        const found = {'inbound-rtp': [], 'outbound-rtp': []};
        stats.forEach((s) => { if (s.kind === 'audio' && s.type in found) found[s.type].push(s.ssrc); });
        return found;
    }""")


def send_tone(sock, to: tuple[str, int], ssrc: int, packets: int) -> None:
    """PCMU packets with a square-wave tone, 20 ms apart, from the caller's own socket."""
    payload = bytes([0x20, 0xA0] * 80)
    for n in range(packets):
        header = bytes([0x80, 0]) + n.to_bytes(2, "big") + (n * 160).to_bytes(4, "big") + ssrc.to_bytes(4, "big")
        sock.sendto(header + payload, to)
        time.sleep(0.02)


@pytest.mark.parametrize("answered_by", ["music", "ivr"])
def test_a_call_tongdai_answered_itself_reaches_the_widget_with_audio_both_ways(server, browser, work, answered_by):
    """A call tongdai answered itself (its queue waits with music, or its hotline's IVR sends it to the
    queue by a key): the browser is bridged through a call of its own in rtpengine. The agent sees the
    hotline and queue, answers, and each side receives the other's own stream (by SSRC: the caller's tone
    in the browser, the browser's microphone at the caller)."""
    import httpx

    from tests.sip.test_ivr import HOTLINE, Caller, ivr_call, ivr_hotline, media_address

    queue = server.get("/queues", name="Support")["items"][0]["id"]
    hotline = server.get("/hotlines", number="+84" + HOTLINE[1:])["items"][0]
    if answered_by == "music":
        r = httpx.patch(f"{server.api}/queues/{queue}", headers=server.admin, json={"waiting_audio": "music"})
        assert r.status_code == 200, r.text
        time.sleep(1.0)  # the switch takes the new snapshot
    else:
        ivr_hotline(server, {"1": "support"}, timeout=5)
    binh = agent_id(server, "binh")
    number = "098730003" + ("1" if answered_by == "music" else "2")
    caller = Caller()
    context, page = open_widget(browser, server, "binh@demo.tongdai.local")
    try:
        wait_state(server, binh, "available")
        customer = ivr_call(server, work, caller, number, flows.ivr_caller_hangs_up(14000))
        rtpengine = media_address(customer)  # answered at once, by tongdai: music, or the IVR's menu
        before = caller.hear(1.0)
        if answered_by == "ivr":
            caller.press("1", rtpengine)
        page.wait_for_selector("[data-incoming]:not([hidden])")
        assert page.inner_text("[data-incoming-hotline]") == "+84912000001 · Vinaphone line"
        assert page.inner_text("[data-incoming-queue]") == "Support"
        page.click("[data-answer]")
        page.wait_for_function("document.querySelector('[data-call-state]').textContent === 'Đang đàm thoại'")
        send_tone(caller.sock, rtpengine, 0x7E57, 100)
        heard = caller.hear(1.0)
        ssrcs = browser_audio_ssrcs(page)
        inbound = inbound_packets(page)
        assert ssrcs["inbound-rtp"] == [0x7E57] and inbound >= 80, (ssrcs, inbound)
        microphone = ssrcs["outbound-rtp"][0]
        from_browser = [p for p in heard if int.from_bytes(p[8:12], "big") == microphone]
        assert len(from_browser) >= 30, (len(heard), {int.from_bytes(p[8:12], "big") for p in heard})
        # hold: tongdai answers the browser's re-INVITE itself and the caller hears the queue's music
        page.click("[data-hold]")
        page.wait_for_function("document.querySelector('[data-call-state]').textContent === 'Đang giữ máy'")
        caller.hear(0.3)
        held = caller.hear(1.0)
        music = [p for p in held if int.from_bytes(p[8:12], "big") != microphone]
        assert len(music) >= 30, (len(held), len(music))
        page.click("[data-hold]")
        page.wait_for_function("document.querySelector('[data-call-state]').textContent === 'Đang đàm thoại'")
        caller.hear(0.3)
        again = [p for p in caller.hear(1.0) if int.from_bytes(p[8:12], "big") == microphone]
        assert len(again) >= 30, len(again)
        ok(customer, "customer")
        wait_state(server, binh, "wrap_up")
        page.click("[data-ready]")
        wait_state(server, binh, "available")
    finally:
        caller.close()
        context.close()
        httpx.patch(f"{server.api}/queues/{queue}", headers=server.admin, json={"waiting_audio": "ringback"})
        httpx.patch(f"{server.api}/hotlines/{hotline['id']}", headers=server.admin, json={"ivr_enabled": False})
        time.sleep(1.0)
    assert len(before) > 30
    call = server.wait_call(lambda c: c["customer_number"] == "+84" + number[1:] and c["ended_at"])
    assert (call["agent_id"], call["queue_id"], call["end_reason"]) == (binh, queue, "completed"), call
    assert bool(call["ivr_tree_id"]) is (answered_by == "ivr"), call
