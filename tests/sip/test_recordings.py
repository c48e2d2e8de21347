"""Recorded calls end to end: real SIP through `tongdai serve`, media through rtpengine, each side playing
its own tone (SIPp replays a pcap of it); the recording is then fetched from the API and listened to:
the customer's tone on the left channel, the agent's on the right, for the call's length."""

from __future__ import annotations

import signal
import time

import httpx
import miniaudio
import numpy as np
import pytest

from tests.media.pcaps import Leg, tone, write_pcap

from . import flows
from .harness import Server, Sipp, agent, agent_id, carrier, ok, register_phone
from .test_inbound import Events

CUSTOMER_HZ, AGENT_HZ = 1000, 440


@pytest.fixture
def server(tmp_path):
    s = Server(tmp_path / "data").start()
    yield s
    s.stop()


def tone_pcap(tmp_path, hz: int, seconds: float) -> str:
    return str(write_pcap(tmp_path / f"tone-{hz}.pcap", [Leg(port=9, audio=tone(hz, seconds), ssrc=hz)],
                          ethernet=True))


def plays(pcap: str) -> str:
    return f'\n  <nop><action><exec play_pcap_audio="{pcap}"/></action></nop>\n'


def wait_recording(server: Server, call_id: str, status: str = "ready", timeout: float = 40) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        items = server.get("/recordings", call_id=call_id)["items"]
        if items and items[0]["status"] == status:
            return items[0]
        assert time.monotonic() < deadline, items
        time.sleep(0.3)


def listen(server: Server, recording: dict) -> tuple[np.ndarray, np.ndarray, bytes]:
    r = httpx.get(f"http://127.0.0.1:{server.http_port}{recording['audio_url']}", headers=server.admin, timeout=10)
    assert r.status_code == 200 and r.headers["content-type"] == "audio/mpeg", r.text[:300]
    decoded = miniaudio.decode(r.content, output_format=miniaudio.SampleFormat.SIGNED16, nchannels=2,
                               sample_rate=8000)
    samples = np.frombuffer(decoded.samples, dtype=np.int16).reshape(-1, 2).astype(float)
    return samples[:, 0], samples[:, 1], r.content


def frequency(samples: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / 8000)[int(np.argmax(spectrum))])


def loud(samples: np.ndarray) -> np.ndarray:
    """The stretch where the channel carries sound (RMS over 20 ms windows above silence)."""
    frames = samples[: len(samples) // 160 * 160].reshape(-1, 160)
    on = np.sqrt((frames ** 2).mean(axis=1)) > 500
    return frames[on].reshape(-1)


def check_channels(left: np.ndarray, right: np.ndarray) -> None:
    assert len(loud(left)) > 8000 * 2 and len(loud(right)) > 8000 * 2, (len(loud(left)), len(loud(right)))
    assert abs(frequency(loud(left)) - CUSTOMER_HZ) < 15, frequency(loud(left))
    assert abs(frequency(loud(right)) - AGENT_HZ) < 15, frequency(loud(right))


def test_an_outbound_call_on_a_recording_hotline_becomes_a_stereo_mp3_with_range_requests(server, tmp_path):
    hotline = server.get("/hotlines", number="+84981000001")["items"][0]
    r = httpx.patch(f"{server.api}/hotlines/{hotline['id']}", headers=server.admin, json={"record_calls": True})
    assert r.status_code == 200, r.text
    time.sleep(1.0)
    events = Events(server)
    side = carrier(server, tmp_path, flows.carrier_invite("+84981000001") + flows.CARRIER_RING_ANSWER
                   + plays(tone_pcap(tmp_path, CUSTOMER_HZ, 4.0)) + flows.CARRIER_WAIT_BYE)
    time.sleep(0.3)
    caller = agent("agent_call", server, tmp_path, keys={"dest": "0981000901"},
                   after_auth=flows.ANSWERED + plays(tone_pcap(tmp_path, AGENT_HZ, 4.0))
                   + '\n  <pause milliseconds="5000"/>\n' + flows.HANG_UP)
    ok(caller, "agent")
    ok(side, "carrier")
    call = server.wait_call(lambda c: c["customer_number"] == "+84981000901" and c["ended_at"])
    assert call["recorded"] and call["recorded_by"] == "hotline" and call["recording_id"], call
    recording = wait_recording(server, call["id"])
    assert recording["id"] == call["recording_id"] and recording["recorded_by"] == "hotline"
    assert (recording["format"], recording["channels"], recording["agent_id"]) == ("mp3", 2, agent_id(server, "an"))
    assert abs(recording["duration_ms"] / 1000 - call["talk_seconds"]) <= 0.5, (recording, call["talk_seconds"])
    left, right, data = listen(server, recording)
    assert abs(len(left) / 8000 - call["talk_seconds"]) <= 0.5, (len(left) / 8000, call["talk_seconds"])
    check_channels(left, right)
    # Range: a browser's <audio> seeks
    url = f"http://127.0.0.1:{server.http_port}{recording['audio_url']}"
    part = httpx.get(url, headers={**server.admin, "Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == data[100:200], part.headers
    assert part.headers["content-range"] == f"bytes 100-199/{len(data)}"
    tail = httpx.get(url, headers={**server.admin, "Range": "bytes=-50"})
    assert tail.status_code == 206 and tail.content == data[-50:]
    beyond = httpx.get(url, headers={**server.admin, "Range": f"bytes={len(data)}-"})
    assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{len(data)}"
    # the event stream said so
    deadline = time.monotonic() + 5
    while not events.of("recording.ready", call["id"]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [(e["id"], e["status"]) for e in events.of("recording.ready", call["id"])] == [(recording["id"], "ready")]
    # rtpengine's pcap is gone once the MP3 was verified
    assert not list((server.data_dir / "rtpengine" / "recordings" / "pcaps").glob("*.pcap"))


def test_an_inbound_call_is_recorded_by_its_queue_customer_left_agent_right(server, tmp_path):
    queue = server.get("/queues", name="Support")["items"][0]
    r = httpx.patch(f"{server.api}/queues/{queue['id']}", headers=server.admin, json={"record_calls": True})
    assert r.status_code == 200, r.text
    time.sleep(1.0)
    port = register_phone(server, tmp_path, "binh")
    binh = agent_id(server, "binh")  # the log has a line for the registration, naming the agent and tenant
    assert f"registration added: agent={binh} tenant={server.keys['tenant_id']} " in server.read_log()
    phone = Sipp("carrier", port=port, workdir=tmp_path, flow=(
        flows.carrier_invite() + flows.reply_answer() + plays(tone_pcap(tmp_path, AGENT_HZ, 4.0))
        + flows.CARRIER_WAIT_BYE))
    customer = Sipp("customer_call", port=server.carrier_port, target=server.sip_port, workdir=tmp_path,
                    keys={"hotline": "0912000001", "customer": "0987300901"},
                    after_ring=flows.customer_answered(plays(tone_pcap(tmp_path, CUSTOMER_HZ, 4.0))
                                                       + '\n  <pause milliseconds="5000"/>\n'))
    ok(customer, "customer")
    ok(phone, "binh's phone")
    call = server.wait_call(lambda c: c["customer_number"] == "+84987300901" and c["ended_at"])
    assert call["recorded_by"] == "queue" and call["agent_id"] == agent_id(server, "binh"), call
    recording = wait_recording(server, call["id"])
    left, right, _ = listen(server, recording)
    assert abs(len(left) / 8000 - call["talk_seconds"]) <= 0.5
    check_channels(left, right)
    # a supervisor finds yesterday's call in the call log, plays it in Chromium and seeks (Range requests)
    from playwright.sync_api import sync_playwright
    from scripts.screenshots import sign_in

    from tests.portal.conftest import CHROMIUM
    base = f"http://127.0.0.1:{server.http_port}"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=["--no-sandbox", "--autoplay-policy=no-user-gesture-required"])
        try:
            page = browser.new_page()
            sign_in(page, base, "supervisor@demo.tongdai.local", "vi")
            page.goto(f"{base}/calls")
            page.check("input[name=recorded]")
            page.click("form.filters button")
            page.wait_for_url("**recorded=1**")
            assert page.locator("table.list tbody tr").count() == 1
            row = page.locator("table.list tbody tr").first
            assert "+84987300901" in row.inner_text() and "Tải về" in row.inner_text()
            player = row.locator(f'audio[data-recording="{recording["id"]}"]')
            player.evaluate("a => a.play()")
            page.wait_for_function(f"document.querySelector('audio[data-recording=\"{recording['id']}\"]')"
                                   ".currentTime > 0.5")
            duration = player.evaluate("a => a.duration")
            assert abs(duration - call["talk_seconds"]) <= 0.5, duration
            player.evaluate("a => { a.pause(); a.currentTime = a.duration - 1; }")
            page.wait_for_function(f"document.querySelector('audio[data-recording=\"{recording['id']}\"]')"
                                   ".readyState >= 2")
            assert player.evaluate("a => a.currentTime") > duration - 1.5
        finally:
            browser.close()


def test_a_crash_mid_call_leaves_a_pcap_that_is_converted_at_restart(server, tmp_path):
    hotline = server.get("/hotlines", number="+84981000001")["items"][0]
    httpx.patch(f"{server.api}/hotlines/{hotline['id']}", headers=server.admin, json={"record_calls": True})
    time.sleep(1.0)
    side = carrier(server, tmp_path, flows.carrier_invite("+84981000001") + flows.CARRIER_RING_ANSWER
                   + plays(tone_pcap(tmp_path, CUSTOMER_HZ, 4.0)) + '\n  <pause milliseconds="30000"/>\n')
    time.sleep(0.3)
    caller = agent("agent_call", server, tmp_path, keys={"dest": "0981000902"},
                   after_auth=flows.ANSWERED + plays(tone_pcap(tmp_path, AGENT_HZ, 4.0))
                   + '\n  <pause milliseconds="30000"/>\n')
    deadline = time.monotonic() + 15
    while not any(c["customer_number"] == "+84981000902" and c["recorded"] for c in server.calls(limit=5)):
        assert time.monotonic() < deadline, "the recording never started"
        time.sleep(0.2)
    time.sleep(4.0)  # both tones were played and written
    server.stop(signal.SIGKILL)
    for sipp in (caller, side):
        sipp.proc.kill()
    server.start()
    call = server.wait_call(lambda c: c["customer_number"] == "+84981000902" and c["ended_at"])
    assert call["end_reason"] == "interrupted" and call["recording_id"], call
    recording = wait_recording(server, call["id"])
    left, right, _ = listen(server, recording)
    check_channels(left, right)


def test_a_hotline_that_announces_recording_has_the_customer_hear_it_before_recording_starts(server, tmp_path):
    import socket
    from datetime import datetime

    hotline = server.get("/hotlines", number="+84981000001")["items"][0]
    r = httpx.patch(f"{server.api}/hotlines/{hotline['id']}", headers=server.admin,
                    json={"record_calls": True, "recording_announcement": True})
    assert r.status_code == 200 and r.json()["recording_announcement"] is True, r.text
    time.sleep(1.5)  # the switch takes the new snapshot, with the announcement spoken into a file
    media = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    media.bind(("127.0.0.1", 0))
    media.settimeout(0.2)
    side = carrier(server, tmp_path, flows.carrier_invite("+84981000001")
                   + flows.ring_answer(media=("127.0.0.1", media.getsockname()[1])) + flows.CARRIER_WAIT_BYE)
    time.sleep(0.3)
    caller = agent("agent_call", server, tmp_path, keys={"dest": "0981000903"},
                   after_auth=flows.ANSWERED + '\n  <pause milliseconds="9000"/>\n' + flows.HANG_UP)
    heard: list[bytes] = []
    deadline = time.monotonic() + 3.0
    try:
        while not heard or time.monotonic() < deadline:
            try:
                heard.append(media.recv(2048))
            except TimeoutError:
                if time.monotonic() > deadline + 5:
                    break
        ok(caller, "agent")
        ok(side, "carrier")
    finally:
        media.close()
    spoken = [p for p in heard if p[1] & 0x7F == 0 and len(set(p[12:])) > 8]
    assert len(spoken) > 40, (len(heard), len(spoken))  # the announcement, said to the customer (PCMU)
    call = server.wait_call(lambda c: c["customer_number"] == "+84981000903" and c["ended_at"])
    recording = wait_recording(server, call["id"])
    waited = (datetime.fromisoformat(recording["started_at"]) - datetime.fromisoformat(call["answered_at"]))
    assert 2.0 < waited.total_seconds() < 8.0, waited  # recording started once it was said
    assert abs(recording["duration_ms"] / 1000 - (call["talk_seconds"] - waited.total_seconds())) <= 0.5
