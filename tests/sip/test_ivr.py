"""An IVR hotline on real calls: SIPp as the carrier, the caller's media on the test's own RTP socket
(it hears the prompts and sends keys as RFC 4733 packets taken from SIPp's shipped captures), rtpengine
playing the prompts and reporting the keys."""

from __future__ import annotations

import io
import os
import re
import signal
import socket
import struct
import time
import wave
from pathlib import Path

import httpx
import pytest

from . import flows
from .harness import Server, Sipp, agent_id, free_port, ok, register_phone
from .test_inbound import Events

PCAPS = Path("/usr/share/sip-tester")
HOTLINE = "0912000001"  # the demo's Vinaphone hotline


def rtp_of(pcap: Path) -> list[bytes]:
    """The RTP packets (UDP payloads) of a capture, in order."""
    data = pcap.read_bytes()
    packets, at = [], 24
    while at < len(data):
        length = struct.unpack("<I", data[at + 8:at + 12])[0]
        frame = data[at + 16:at + 16 + length]
        at += 16 + length
        ip = frame[14:]
        packets.append(ip[(ip[0] & 0x0F) * 4 + 8:])
    return packets


class Caller:
    """The caller's media end: a UDP socket on loopback."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]

    def hear(self, seconds: float) -> list[bytes]:
        self.sock.settimeout(0.2)
        got, deadline = [], time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                got.append(self.sock.recv(2048))
            except TimeoutError:
                continue
        return got

    def press(self, key: str, to: tuple[str, int]) -> None:
        name = {"#": "pound", "*": "star"}.get(key, key)
        for packet in rtp_of(PCAPS / f"dtmf_2833_{name}.pcap"):
            self.sock.sendto(packet, to)
            time.sleep(0.02)

    def close(self) -> None:
        self.sock.close()


def media_address(sipp: Sipp, timeout: float = 10) -> tuple[str, int]:
    """Where rtpengine receives the caller's media: from the SDP of the 200 that answered it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = re.search(r"SIP/2.0 200 OK.*?c=IN IP4 (\S+).*?m=audio (\d+)", sipp.messages(), re.S)
        if found:
            return found.group(1), int(found.group(2))
        time.sleep(0.05)
    raise AssertionError(f"no 200 with SDP: {sipp.messages()[-1500:]}")


def speech(packets: list[bytes]) -> int:
    """How many PCMU packets carry sound (not the 0xFF/0x7F of silence)."""
    return sum(1 for p in packets if p[1] & 0x7F == 0 and len(set(p[12:])) > 8)


@pytest.fixture
def server(tmp_path):
    s = Server(tmp_path / "data").start()
    yield s
    s.stop()


TALKS = '<nop><action><exec play_pcap_audio="/usr/share/sip-tester/g711a.pcap"/></action></nop>'  # PCMA audio


def answering(port: int, tmp_path, check: str | None = None) -> Sipp:
    """A phone (or the carrier) on `port` that rings, answers, talks PCMA and waits for the BYE; `check`:
    the E.164 number its INVITE's From must carry."""
    return Sipp("carrier", port=port, workdir=tmp_path,
                flow=flows.carrier_invite(check) + flows.reply_answer() + TALKS + flows.CARRIER_WAIT_BYE)


def ivr_hotline(server: Server, branches: dict, timeout: int = 2) -> dict:
    queue = server.get("/queues", name="Support")["items"][0]["id"]
    return use_tree(server, [{
        "id": "menu", "timeout_seconds": timeout,
        "prompt": {"type": "tts", "language": "vi", "text": "Xin chào. Bấm phím 1 để gặp nhân viên hỗ trợ."},
        "branches": {k: (v if v != "support" else {"type": "queue", "queue_id": queue}) for k, v in branches.items()}}])


def use_tree(server: Server, nodes: list[dict]) -> dict:
    """An IVR tree of `nodes` (the first is the root) on the demo's Vinaphone hotline."""
    tree = httpx.post(server.api + "/ivr-trees", headers=server.admin, json={
        "name": "Tổng đài", "root_node_id": nodes[0]["id"], "nodes": nodes})
    assert tree.status_code == 201, tree.text
    hotline = server.get("/hotlines", number="+84" + HOTLINE[1:])["items"][0]
    r = httpx.patch(f"{server.api}/hotlines/{hotline['id']}", headers=server.admin,
                    json={"ivr_enabled": True, "ivr_tree_id": tree.json()["id"]})
    assert r.status_code == 200, r.text
    time.sleep(1.0)  # the switch takes the new snapshot, with the prompt spoken into a file
    return tree.json()


def ivr_call(server: Server, tmp_path, caller: Caller, number: str, after_answer: str) -> Sipp:
    return Sipp("ivr_call", port=server.carrier_port, target=server.sip_port, workdir=tmp_path,
                keys={"hotline": HOTLINE, "customer": number}, rtp_port=str(caller.port), after_answer=after_answer)


def test_the_ivr_answers_speaks_its_menu_and_a_key_takes_the_caller_to_an_agent_without_a_reinvite(
        server, tmp_path):
    tree = ivr_hotline(server, {"1": "support"})
    queue_id = server.get("/queues", name="Support")["items"][0]["id"]
    binh = agent_id(server, "binh")
    phone = answering(register_phone(server, tmp_path, "binh"), tmp_path)
    events = Events(server)
    caller = Caller()
    try:
        customer = ivr_call(server, tmp_path, caller, "0987300001", flows.ivr_caller_hangs_up(6000))
        rtpengine = media_address(customer)
        heard = caller.hear(1.5)
        assert len(heard) > 40 and speech(heard) > 20, (len(heard), speech(heard))  # the menu, spoken
        caller.press("1", rtpengine)
        caller.hear(0.5)  # the rest of the prompt, cut short by the key
        bridged = caller.hear(2.0)
        assert sum(1 for p in bridged if p[1] & 0x7F == 8) > 20  # binh's phone's audio (PCMA), on the same port
        ok(customer, "customer")
        ok(phone, "binh's phone")  # it rang, answered, and got the BYE when the customer hung up
    finally:
        caller.close()
    assert customer.messages().count("INVITE sip:") == 1  # its own: tongdai sent the carrier no re-INVITE
    call = server.wait_call(lambda c: c["customer_number"] == "+84987300001" and c["ended_at"])
    assert (call["agent_id"], call["end_reason"]) == (binh, "completed") and call["answered_at"]
    assert (call["ivr_tree_id"], call["ivr_path"], call["ivr_keys"]) == (tree["id"], ["menu"], ["1"])
    assert 0 < call["ivr_seconds"] < 5 and call["queue_id"] == queue_id and call["queue_seconds"] is not None
    assert [e["ivr_tree_id"] for e in events.of("call.ivr_entered", call["id"])] == [tree["id"]]
    assert [(e["node_id"], e["key"]) for e in events.of("call.ivr_key", call["id"])] == [("menu", "1")]
    assert [(e["outcome"], e["reason"]) for e in events.of("call.ivr_left", call["id"])] == [
        (f"queue:{queue_id}", "1")]


def test_hold_and_resume_inside_a_call_tongdai_answered_are_answered_by_tongdai(server, tmp_path):
    """The agent's phone holds and resumes, later the customer does: tongdai answers each re-INVITE itself
    (the other side gets none: an unexpected INVITE fails its SIPp), in the direction that answers it, and
    the customer hears the queue's music while the agent holds, and nothing once it resumes."""
    ivr_hotline(server, {"1": "support"})
    caller = Caller()
    port = register_phone(server, tmp_path, "binh")
    phone = Sipp("carrier", port=port, workdir=tmp_path, flow=(
        flows.carrier_invite() + flows.reply_answer() + '\n  <pause milliseconds="800"/>\n'
        + flows.callee_reinvites("sendonly", first=True, cseq=1) + '\n  <pause milliseconds="2500"/>\n'
        + flows.callee_reinvites("sendrecv", first=False, cseq=2) + flows.CARRIER_WAIT_BYE))
    try:
        customer = ivr_call(server, tmp_path, caller, "0987300009", '\n  <pause milliseconds="8000"/>\n'
                            + flows.customer_reinvites("sendonly", cseq=2, rtp_port=caller.port)
                            + flows.customer_reinvites("sendrecv", cseq=3, rtp_port=caller.port)
                            + flows.customer_bye(4))
        rtpengine = media_address(customer)
        caller.hear(1.0)
        caller.press("1", rtpengine)
        wait_for(lambda: "a=recvonly" in phone.messages())  # tongdai answered the phone's hold
        held = caller.hear(1.5)
        wait_for(lambda: phone.messages().count("a=sendrecv") >= 2)  # its resume, answered
        caller.hear(0.5)
        resumed = caller.hear(1.0)
        ok(customer, "customer")
        ok(phone, "binh's phone")
    finally:
        caller.close()
    assert len(held) > 40 and speech(held) > 20, (len(held), speech(held))  # music on hold
    assert len(resumed) < 5, len(resumed)  # the phone sends nothing: the music stopped
    call = server.wait_call(lambda c: c["customer_number"] == "+84987300009" and c["ended_at"])
    assert (call["agent_id"], call["end_reason"]) == (agent_id(server, "binh"), "completed"), call


def wait_for(condition, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_no_key_repeats_the_menu_then_says_goodbye_and_hangs_up(server, tmp_path):
    ivr_hotline(server, {"1": "support"}, timeout=1)
    caller = Caller()
    try:
        customer = ivr_call(server, tmp_path, caller, "0987300002", flows.IVR_HUNG_UP_ON)
        assert customer.wait(timeout=60) == 0, customer.errors()[-1500:]  # tongdai's BYE ended it
    finally:
        caller.close()
    call = server.wait_call(lambda c: c["customer_number"] == "+84987300002" and c["ended_at"])
    assert (call["end_reason"], call["hung_up_by"]) == ("ivr_no_input", "system")
    assert call["ivr_path"] == ["menu"] and call["ivr_keys"] == [] and call["ivr_seconds"] > 3


def test_a_caller_who_came_through_the_ivr_hears_music_while_nobody_answers(server, tmp_path):
    ivr_hotline(server, {"1": "support"})  # nobody is registered: the call waits in the queue
    caller = Caller()
    try:
        customer = ivr_call(server, tmp_path, caller, "0987300003", flows.ivr_caller_hangs_up(5000))
        rtpengine = media_address(customer)
        caller.hear(0.8)
        caller.press("1", rtpengine)
        caller.hear(0.5)  # the prompt's end, cut by the key
        waiting = caller.hear(2.0)
        ok(customer, "customer")
    finally:
        caller.close()
    assert speech(waiting) > 50  # the music, not silence: the call was answered by the IVR, so no ringback
    call = server.wait_call(lambda c: c["customer_number"] == "+84987300003" and c["ended_at"])
    assert (call["end_reason"], call["queue_id"]) == ("abandoned", server.get("/queues", name="Support")[
        "items"][0]["id"])


def test_a_caller_hanging_up_during_the_prompt_is_logged_and_a_late_key_changes_nothing(server, tmp_path):
    ivr_hotline(server, {"1": "support"})
    caller = Caller()
    try:
        customer = ivr_call(server, tmp_path, caller, "0987300004", flows.ivr_caller_hangs_up(800))
        rtpengine = media_address(customer)
        ok(customer, "customer")
        caller.press("1", rtpengine)  # after the BYE: rtpengine has forgotten the call, or tongdai ignores it
    finally:
        caller.close()
    call = server.wait_call(lambda c: c["customer_number"] == "+84987300004" and c["ended_at"])
    assert (call["end_reason"], call["hung_up_by"], call["ivr_keys"]) == ("ivr_hangup", "customer", [])
    assert server.get("/queues/" + server.get("/queues", name="Support")["items"][0]["id"] + "/live")[
        "waiting"] == []
    assert "Traceback" not in server.read_log()


def test_a_prompt_can_be_heard_before_callers_do(server):
    tree = ivr_hotline(server, {"1": "support"})
    r = httpx.get(f"{server.api}/ivr-trees/{tree['id']}/nodes/menu/prompt", headers=server.admin, timeout=10)
    assert r.status_code == 200 and r.headers["content-type"] == "audio/wav"
    with wave.open(io.BytesIO(r.content)) as w:
        assert (w.getframerate(), w.getnchannels()) == (8000, 1) and w.getnframes() > 8000 * 2
    missing = httpx.get(f"{server.api}/ivr-trees/{tree['id']}/nodes/nope/prompt", headers=server.admin, timeout=10)
    assert missing.status_code == 404


def test_an_hours_node_sends_callers_to_the_menu_when_open_and_to_the_closed_message_otherwise(server, tmp_path):
    """Both sides of the boundary, set through the tenant's opening hours (a holiday today closes it all day);
    the exact boundaries are tested on the rule itself, with the time given (tests/domain/test_hours.py)."""
    from datetime import datetime as dt
    from zoneinfo import ZoneInfo
    now = dt.now(ZoneInfo("Asia/Ho_Chi_Minh"))
    if now.hour == 23 and now.minute >= 58:  # the period below ends at 23:59
        time.sleep(130)
        now = dt.now(ZoneInfo("Asia/Ho_Chi_Minh"))
    every_day = [{"day": d, "opens": "00:00", "closes": "23:59"} for d in ("mon", "tue", "wed", "thu", "fri", "sat",
                                                                          "sun")]
    tree = httpx.post(server.api + "/ivr-trees", headers=server.admin, json={
        "name": "Giờ làm việc", "root_node_id": "hours", "nodes": [
            {"id": "hours", "type": "hours", "branches": {"open": {"type": "node", "node_id": "menu"},
                                                          "closed": {"type": "node", "node_id": "closed"}}},
            {"id": "menu", "prompt": {"type": "tts", "text": "Bấm phím 1 để gặp nhân viên."},
             "branches": {"no_input": {"type": "hangup"}}},
            {"id": "closed", "timeout_seconds": 1,
             "prompt": {"type": "tts", "text": "Chúng tôi đã hết giờ làm việc. Xin gọi lại sau."},
             "branches": {"no_input": {"type": "hangup"}}}]})
    assert tree.status_code == 201, tree.text
    hotline = server.get("/hotlines", number="+84" + HOTLINE[1:])["items"][0]
    assert httpx.patch(f"{server.api}/hotlines/{hotline['id']}", headers=server.admin, json={
        "ivr_enabled": True, "ivr_tree_id": tree.json()["id"]}).status_code == 200
    for number, holidays, path in (("0987300005", [], ["hours", "menu"]),
                                   ("0987300006", [now.date().isoformat()], ["hours", "closed"])):
        r = httpx.put(server.api + "/opening-hours", headers=server.admin,
                      json={"time_zone": "Asia/Ho_Chi_Minh", "periods": every_day, "holidays": holidays})
        assert r.status_code == 200, r.text
        time.sleep(1.0)  # the switch takes the new snapshot
        caller = Caller()
        try:
            ok(ivr_call(server, tmp_path, caller, number, flows.ivr_caller_hangs_up(1500)), number)
        finally:
            caller.close()
        call = server.wait_call(lambda c, n=number: c["customer_number"] == "+84" + n[1:] and c["ended_at"])
        assert call["ivr_path"] == path, call


def test_opening_hours_are_checked_field_by_field(server):
    r = httpx.put(server.api + "/opening-hours", headers=server.admin, json={
        "time_zone": "Mars/Olympus", "periods": [{"day": "mon", "opens": "18:00", "closes": "08:00"}]})
    assert r.status_code == 422
    assert {(e["field"], e["code"]) for e in r.json()["errors"]} == {("time_zone", "invalid_value"),
                                                                       ("periods", "invalid_value")}
    assert httpx.get(server.api + "/opening-hours", headers=server.admin).json() == {
        "time_zone": "Asia/Ho_Chi_Minh", "periods": [], "holidays": []}  # unchanged: none set, always open


def test_an_extension_typed_by_the_caller_rings_that_agent_and_bridges_it_without_a_reinvite(server, tmp_path):
    use_tree(server, [{"id": "ext", "type": "extension", "timeout_seconds": 3,
                       "prompt": {"type": "tts", "text": "Xin nhập số máy lẻ, kết thúc bằng phím thăng."}}])
    an = agent_id(server, "an")
    phone = answering(register_phone(server, tmp_path, "an"), tmp_path)
    events = Events(server)
    caller = Caller()
    try:
        customer = ivr_call(server, tmp_path, caller, "0987300011", flows.ivr_caller_hangs_up(7000))
        rtpengine = media_address(customer)
        caller.hear(0.8)
        for key in "101#":  # an's extension
            caller.press(key, rtpengine)
        caller.hear(0.8)
        bridged = caller.hear(2.0)
        assert sum(1 for p in bridged if p[1] & 0x7F == 8) > 20  # an's phone's audio (PCMA), on the same port
        ok(customer, "customer")
        ok(phone, "an's phone")
    finally:
        caller.close()
    assert customer.messages().count("INVITE sip:") == 1  # no re-INVITE to the carrier
    call = server.wait_call(lambda c: c["customer_number"] == "+84987300011" and c["ended_at"])
    assert (call["agent_id"], call["end_reason"], call["queue_id"]) == (an, "completed", None)
    assert call["ivr_keys"] == ["1", "0", "1", "#"] and call["answered_at"]
    assert [(e["outcome"], e["reason"]) for e in events.of("call.ivr_left", call["id"])] == [(f"agent:{an}", "101")]


def test_an_agent_who_cannot_answer_sends_the_caller_back_to_the_ivr_and_its_no_answer_branch(server, tmp_path):
    binh = agent_id(server, "binh")  # not registered: the call cannot ring him
    use_tree(server, [
        {"id": "menu", "timeout_seconds": 3, "prompt": {"type": "tts", "text": "Bấm phím 2 để gặp anh Bình."},
         "branches": {"2": {"type": "agent", "agent_id": binh}, "no_answer": {"type": "node", "node_id": "sorry"}}},
        {"id": "sorry", "timeout_seconds": 1, "prompt": {"type": "tts", "text": "Anh Bình đang bận."},
         "branches": {"no_input": {"type": "hangup"}}}])
    events = Events(server)
    caller = Caller()
    try:
        customer = ivr_call(server, tmp_path, caller, "0987300012", flows.IVR_HUNG_UP_ON)
        rtpengine = media_address(customer)
        caller.hear(0.5)
        caller.press("2", rtpengine)
        assert customer.wait(timeout=30) == 0, customer.errors()[-1500:]  # "sorry", then tongdai's BYE
    finally:
        caller.close()
    call = server.wait_call(lambda c: c["customer_number"] == "+84987300012" and c["ended_at"])
    assert (call["ivr_path"], call["end_reason"], call["agent_id"]) == (["menu", "sorry"], "ivr_hangup", None)
    assert [(e["outcome"], e["reason"]) for e in events.of("call.ivr_left", call["id"])] == [
        (f"agent:{binh}", "2"), ("hangup", "no_input")]


def test_a_key_to_an_external_number_dials_it_through_the_hotline_with_the_hotline_as_caller_id(server, tmp_path):
    trunk = server.get("/trunks", headers=server.operator)["items"][0]
    forward_port = free_port()  # the carrier takes the forwarded call on the trunk's port
    assert httpx.patch(f"{server.api}/trunks/{trunk['id']}", headers=server.operator,
                       json={"port": forward_port}).status_code == 200
    ivr_hotline(server, {"3": {"type": "external", "number": "0987654329"}})
    external = answering(forward_port, tmp_path, check="+84912000001")
    caller = Caller()
    try:
        customer = ivr_call(server, tmp_path, caller, "0987300013", flows.ivr_caller_hangs_up(6000))
        rtpengine = media_address(customer)
        caller.hear(0.5)
        caller.press("3", rtpengine)
        caller.hear(1.0)
        bridged = caller.hear(2.0)
        assert sum(1 for p in bridged if p[1] & 0x7F == 8) > 20  # the external party's audio, same port
        ok(customer, "customer")
        ok(external, "the external number")
    finally:
        caller.close()
    assert "sip:+84987654329@" in external.messages()  # dialled in E.164, From the hotline (checked by the flow)
    assert customer.messages().count("INVITE sip:") == 1
    call = server.wait_call(lambda c: c["customer_number"] == "+84987300013" and c["ended_at"])
    assert (call["overflow"], call["end_reason"], call["ivr_keys"]) == ("external:+84987654329", "completed", ["3"])


def test_rtpengine_restarting_mid_ivr_ends_the_call_with_a_reason_and_the_switch_goes_on(server, tmp_path):
    ivr_hotline(server, {"1": "support"}, timeout=10)
    caller = Caller()
    try:
        customer = ivr_call(server, tmp_path, caller, "0987300014", flows.IVR_HUNG_UP_ON)
        media_address(customer)
        caller.hear(0.5)
        pid = int((server.data_dir / "rtpengine" / "rtpengine.pid").read_text())
        os.kill(pid, signal.SIGKILL)  # the supervisor starts it again
        assert customer.wait(timeout=30) == 0, customer.errors()[-1500:]  # tongdai's BYE
    finally:
        caller.close()
    call = server.wait_call(lambda c: c["customer_number"] == "+84987300014" and c["ended_at"])
    assert (call["end_reason"], call["hung_up_by"], call["ivr_path"]) == ("media_lost", "system", ["menu"])
    assert "Traceback" not in server.read_log()
    second = Caller()  # the next caller is served by the new rtpengine
    (tmp_path / "next").mkdir()  # its own SIPp message file: the first call's 200 is not this one's
    try:
        again = ivr_call(server, tmp_path / "next", second, "0987300015", flows.ivr_caller_hangs_up(2500))
        media_address(again)
        heard = second.hear(1.2)
        ok(again, "the next caller")
    finally:
        second.close()
    assert speech(heard) > 20


def zero_crossings_per_second(packets: list[bytes]) -> float:
    """The pitch of what PCMU packets carry, as sign changes per second (a 440 Hz tone: about 880)."""
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import audioop
    pcm = audioop.ulaw2lin(b"".join(p[12:] for p in packets if p[1] & 0x7F == 0), 2)
    samples = struct.unpack(f"<{len(pcm) // 2}h", pcm)
    crossings = sum(1 for a, b in zip(samples, samples[1:], strict=False) if (a < 0) != (b < 0))
    return crossings / (len(samples) / 8000)


def test_a_queue_with_music_answers_at_once_and_plays_its_uploaded_mp3_until_an_agent_takes_the_call(
        server, tmp_path):
    from tests.api.test_objects_api import mp3_bytes
    queue = server.get("/queues", name="Support")["items"][0]["id"]
    upload = httpx.post(server.api + "/audio", headers=server.admin,
                        files={"file": ("nhac-cho.mp3", mp3_bytes(4.0), "audio/mpeg")}, timeout=10)
    assert upload.status_code == 201, upload.text
    r = httpx.patch(f"{server.api}/queues/{queue}", headers=server.admin,
                    json={"waiting_audio": "music", "music_audio_id": upload.json()["id"]})
    assert r.status_code == 200 and r.json()["waiting_audio"] == "music", r.text
    time.sleep(1.0)  # the switch takes the new snapshot, with the music written for rtpengine
    binh = agent_id(server, "binh")
    caller = Caller()
    try:  # the Vinaphone hotline, IVR off, sends its callers to Support
        customer = ivr_call(server, tmp_path, caller, "0987300021", flows.ivr_caller_hangs_up(7000))
        media_address(customer)  # answered at once, by tongdai
        music = caller.hear(1.5)
        phone = answering(register_phone(server, tmp_path, "binh", state="ringing"), tmp_path)
        caller.hear(1.5)  # binh's phone is offered the call (the INVITE is sent again until it listens) and answers
        bridged = caller.hear(2.0)
        ok(customer, "customer")
        ok(phone, "binh's phone")
    finally:
        caller.close()
    assert speech(music) > 50 and 800 < zero_crossings_per_second(music) < 960  # the upload's 440 Hz tone
    assert sum(1 for p in bridged if p[1] & 0x7F == 8) > 20  # then binh's audio (PCMA), on the same port
    assert customer.messages().count("INVITE sip:") == 1  # no re-INVITE to the carrier
    call = server.wait_call(lambda c: c["customer_number"] == "+84987300021" and c["ended_at"])
    assert (call["agent_id"], call["queue_id"], call["end_reason"], call["ivr_tree_id"]) == (
        binh, queue, "completed", None)
    assert call["queue_seconds"] >= 1.0


def test_music_is_an_upload_of_the_tenant_and_an_upload_in_use_cannot_be_deleted(server):
    queue = server.get("/queues", name="Support")["items"][0]["id"]
    r = httpx.patch(f"{server.api}/queues/{queue}", headers=server.admin,
                    json={"waiting_audio": "jazz", "music_audio_id": "au_nothere000000"})
    assert r.status_code == 422
    fields = {(e["field"], e["code"]) for e in r.json()["errors"]}
    assert ("waiting_audio", "invalid_value") in fields
    upload = httpx.post(server.api + "/audio", headers=server.admin,
                        files={"file": ("tone.wav", wave_tone(), "audio/wav")}, timeout=10).json()
    assert httpx.patch(f"{server.api}/queues/{queue}", headers=server.admin,
                       json={"music_audio_id": "au_nothere000000"}).json()["errors"][0]["code"] == "unknown_audio"
    assert httpx.patch(f"{server.api}/queues/{queue}", headers=server.admin,
                       json={"music_audio_id": upload["id"]}).status_code == 200
    assert httpx.delete(f"{server.api}/audio/{upload['id']}", headers=server.admin).status_code == 409


def wave_tone() -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"".join(struct.pack("<h", (i % 16) * 500) for i in range(8000)))
    return out.getvalue()


def test_an_unmapped_key_follows_the_invalid_input_branch(server, tmp_path):
    ivr_hotline(server, {"1": "support", "invalid_input": {"type": "hangup"}}, timeout=10)
    events = Events(server)
    caller = Caller()
    try:
        customer = ivr_call(server, tmp_path, caller, "0987300031", flows.IVR_HUNG_UP_ON)
        rtpengine = media_address(customer)
        caller.hear(0.5)
        caller.press("7", rtpengine)
        assert customer.wait(timeout=20) == 0, customer.errors()[-1500:]  # the hangup branch: tongdai's BYE
    finally:
        caller.close()
    call = server.wait_call(lambda c: c["customer_number"] == "+84987300031" and c["ended_at"])
    assert (call["ivr_keys"], call["end_reason"], call["hung_up_by"]) == (["7"], "ivr_hangup", "system")
    assert [(e["outcome"], e["reason"]) for e in events.of("call.ivr_left", call["id"])] == [
        ("hangup", "invalid_input")]


def test_a_prompt_file_gone_is_logged_and_the_node_still_takes_keys(server, tmp_path):
    ivr_hotline(server, {"1": "support"}, timeout=10)
    for prompt in (server.data_dir / "prompts").glob("*.wav"):
        prompt.unlink()  # rtpengine cannot play any of them now
    queue_id = server.get("/queues", name="Support")["items"][0]["id"]
    caller = Caller()
    try:
        customer = ivr_call(server, tmp_path, caller, "0987300032", flows.ivr_caller_hangs_up(3000))
        rtpengine = media_address(customer)
        silence = caller.hear(0.6)
        caller.press("1", rtpengine)
        ok(customer, "customer")
    finally:
        caller.close()
    assert speech(silence) == 0  # no menu to hear
    call = server.wait_call(lambda c: c["customer_number"] == "+84987300032" and c["ended_at"])
    assert (call["ivr_keys"], call["queue_id"], call["end_reason"]) == (["1"], queue_id, "abandoned")
    log = server.read_log()
    assert "could not play the prompt" in log and "Traceback" not in log
