"""The switch's life: registrations kept across restarts, several contacts, throttling, calls torn down
by a crash, a clean Ctrl-C, one switch per port, and agent-to-agent calls."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from . import flows
from .harness import BIN, DOMAIN, Server, Sipp, agent, agent_id, carrier, free_port, ok, sip_exchange, wait_state


@pytest.fixture
def server(tmp_path):
    s = Server(tmp_path / "data")
    yield s
    s.stop()




def test_several_contacts_are_kept_across_a_restart(server, tmp_path):
    server.start()
    ok(agent("register", server, tmp_path, final="200"))
    ok(agent("register", server, tmp_path, final="200"))
    an = agent_id(server, "an")
    before = server.get(f"/agents/{an}/registrations")["items"]
    assert len(before) == 2 and len({r["contact"] for r in before}) == 2
    assert server.stop() == 0
    server.start()
    after = server.get(f"/agents/{an}/registrations")["items"]
    assert {r["contact"] for r in after} == {r["contact"] for r in before}


def test_repeated_failures_for_one_account_are_throttled_and_logged_and_others_on_the_address_are_not(
        server, tmp_path):
    server.start()
    port = free_port()
    for _ in range(5):
        ok(Sipp("register", port=port, target=server.sip_port, workdir=tmp_path, final="403",
                keys={"domain": "demo.tongdai.local", "user": "an"}, extra=["-au", "an", "-ap", "wrong"]))

    def register(user: str) -> str:
        return sip_exchange(server.sip_port, (
            f"REGISTER sip:{DOMAIN} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKr{time.time_ns()}\r\n"
            f"From: <sip:{user}@{DOMAIN}>;tag=r\r\nTo: <sip:{user}@{DOMAIN}>\r\nCall-ID: r{time.time_ns()}\r\n"
            f"CSeq: 1 REGISTER\r\nContact: <sip:{user}@127.0.0.1:9>\r\nMax-Forwards: 70\r\n"
            "Content-Length: 0\r\n\r\n"), timeout=1.0)
    assert register("an") == ""  # dropped unanswered: a guesser learns nothing, not even a 403
    assert register("binh").startswith("SIP/2.0 401")  # a colleague behind the same address is challenged
    assert f"throttling 127.0.0.1 for an@{DOMAIN}" in server.read_log()


def test_a_call_torn_down_by_a_crash_is_closed_as_interrupted_at_the_next_start(server, tmp_path):
    server.start()
    side = carrier(server, tmp_path, flows.carrier_invite() + flows.CARRIER_RING_ANSWER
                   + flows.CARRIER_WAIT_BYE)
    time.sleep(0.3)
    caller = agent("agent_call", server, tmp_path, keys={"dest": "0981000321"},
                   after_auth=flows.ANSWERED + flows.WAIT_BYE)
    server.wait_call(lambda c: c["customer_number"] == "+84981000321")  # the row is written at the start
    time.sleep(1.0)  # answered by now; the crash comes mid-call
    server.stop(signal.SIGKILL)
    caller.proc.kill()
    side.proc.kill()
    server.start()
    call = server.wait_call(lambda c: c["customer_number"] == "+84981000321")
    assert (call["end_reason"], call["hung_up_by"]) == ("interrupted", "system") and call["ended_at"]


def test_ctrl_c_stops_http_sip_and_rtpengine(server):
    server.start()
    pid_file = Path(server.data_dir) / "rtpengine" / "rtpengine.pid"
    rtpengine_pid = int(pid_file.read_text())
    assert Path(f"/proc/{rtpengine_pid}").exists()
    assert server.stop(signal.SIGINT) == 0
    for _ in range(50):
        if not Path(f"/proc/{rtpengine_pid}").exists():
            break
        time.sleep(0.1)
    assert not Path(f"/proc/{rtpengine_pid}").exists()
    import socket
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", server.sip_port))  # the SIP port is free again


def test_a_second_switch_on_the_same_sip_port_refuses_to_start(server, tmp_path):
    server.start()
    twin = Server(tmp_path / "twin")
    twin.env["TONGDAI_SIP_ADDR"] = f"127.0.0.1:{server.sip_port}"
    proc = subprocess.run([str(BIN), "serve"], env=twin.env, capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    assert "already" in proc.stdout + proc.stderr
    assert server.options_ok()


def test_dialling_an_extension_calls_the_agent_and_never_touches_a_trunk(server, tmp_path):
    server.start()
    binh = server.get("/agents", sip_username="binh")["items"][0]
    an = server.get("/agents", sip_username="an")["items"][0]
    port = free_port()  # binh's phone: registers from this port, then answers there
    ok(Sipp("register", port=port, target=server.sip_port, workdir=tmp_path, final="200",
            keys={"domain": "demo.tongdai.local", "user": "binh"}, extra=["-au", "binh", "-ap", "demo-secret-1"]))
    callee = Sipp("carrier", port=port, workdir=tmp_path,
                  flow=flows.carrier_invite(caller_user=an["extension"]) + flows.reply_answer() + flows.CARRIER_WAIT_BYE)
    time.sleep(1.0)
    ok(agent("agent_call", server, tmp_path, keys={"dest": binh["extension"]},
             after_auth=flows.ANSWERED + flows.HANG_UP), "caller")
    ok(callee, "callee")
    call = server.wait_call(lambda c: c["direction"] == "internal" and c["ended_at"])
    assert call["callee_agent_id"] == binh["id"] and call["agent_id"] == an["id"]
    assert call["hotline_id"] is None and call["end_reason"] == "completed" and call["answered_at"]
    # the callee was on_call from its first ring to the end, so no queue could offer it a call
    wait_state(server, binh["id"], "available")
    expected = [("offline", "available"), ("available", "on_call"), ("on_call", "available")]
    deadline = time.monotonic() + 5  # the history is written by the state writer, a moment after the change
    while True:
        changes = [(h["old"], h["new"]) for h in reversed(server.get(f"/agents/{binh['id']}/status-history")["items"])]
        if changes == expected or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert changes == expected


def test_agent_states_follow_registrations_calls_and_the_agents_own_choice(server, tmp_path):
    import httpx
    server.start()
    binh = agent_id(server, "binh")
    assert server.get(f"/agents/{binh}/status")["state"] == "offline"
    ok(agent("register", server, tmp_path, user="binh", final="200"))
    wait_state(server, binh, "available")
    key = httpx.post(f"{server.api}/agents/{binh}/api-keys", headers=server.admin).json()["key"]
    own = {"Authorization": f"Bearer {key}"}
    r = httpx.put(f"{server.api}/agents/{binh}/status", headers=own, json={"status": "away", "reason": "lunch"})
    assert r.status_code == 200 and (r.json()["state"], r.json()["reason"]) == ("away", "lunch")
    an = agent_id(server, "an")
    assert httpx.put(f"{server.api}/agents/{an}/status", headers=own, json={"status": "away"}).status_code == 403
    r = httpx.put(f"{server.api}/agents/{binh}/status", headers=own, json={"status": "available"})
    assert r.json()["state"] == "available"
    # an outbound call makes the agent on_call, then available again
    side = carrier(server, tmp_path, flows.carrier_invite("+84912000001") + flows.CARRIER_RING_ANSWER
                   + flows.CARRIER_WAIT_BYE)
    time.sleep(0.3)
    ok(agent("agent_call", server, tmp_path, user="binh", keys={"dest": "0912000123"},
             after_auth=flows.ANSWERED + flows.HANG_UP))
    ok(side, "carrier")
    wait_state(server, binh, "available")
    changes = [(h["old"], h["new"]) for h in reversed(server.get(f"/agents/{binh}/status-history")["items"])]
    assert changes == [("offline", "available"), ("available", "away"), ("away", "available"),
                       ("available", "on_call"), ("on_call", "available")]
    # away survives a restart (the binding does too)
    httpx.put(f"{server.api}/agents/{binh}/status", headers=own, json={"status": "away", "reason": "training"})
    time.sleep(0.3)
    assert server.stop() == 0
    server.start()
    status = wait_state(server, binh, "away")
    assert status["reason"] == "training"


def test_an_agent_over_its_call_rate_is_refused_with_a_reason_and_an_event(server, tmp_path):
    server.env["TONGDAI_MAX_CALL_RATE_PER_AGENT"] = "1"
    server.start()
    callee = carrier(server, tmp_path, flows.carrier_invite() + flows.CARRIER_RING_ANSWER + flows.CARRIER_WAIT_BYE)
    time.sleep(0.5)
    ok(agent("agent_call", server, tmp_path, keys={"dest": "0981000111"},
             after_auth=flows.ANSWERED + flows.HANG_UP), "first call")
    ok(callee, "carrier")
    with httpx.stream("GET", server.api + "/events", headers=server.admin, timeout=10) as events:
        ok(agent("agent_call", server, tmp_path, keys={"dest": "0981000222"},
                 after_auth=flows.final(403, "call_rate_exceeded")), "second call")
        refused = next(json.loads(line[len("data: "):]) for line in events.iter_lines()
                       if line.startswith("data: ") and '"call.refused"' in line)
    assert refused["data"]["code"] == "call_rate_exceeded" and refused["data"]["customer_number"] == "+84981000222"
    call = server.wait_call(lambda c: c["customer_number"] == "+84981000222")
    assert (call["sip_status"], call["end_reason"]) == (403, "refused")


def test_sigterm_with_a_call_up_hangs_up_both_legs_and_closes_the_row(server, tmp_path):
    server.env["TONGDAI_SHUTDOWN_GRACE_SECONDS"] = "0.5"
    server.start()
    side = carrier(server, tmp_path, flows.carrier_invite() + flows.CARRIER_RING_ANSWER + flows.CARRIER_WAIT_BYE)
    time.sleep(0.3)
    caller = agent("agent_call", server, tmp_path, keys={"dest": "0981000654"},
                   after_auth=flows.ANSWERED + flows.WAIT_BYE)
    server.wait_call(lambda c: c["customer_number"] == "+84981000654")  # the row is written at the start
    time.sleep(1.0)  # answered by now: the SIGTERM comes mid-call
    assert server.stop(signal.SIGTERM) in (0, -signal.SIGTERM)  # it stopped by itself (uvicorn re-raises the signal)
    ok(caller, "agent")  # the agent's phone got a BYE
    ok(side, "carrier")  # and so did the carrier
    server.start()
    call = server.wait_call(lambda c: c["customer_number"] == "+84981000654")
    assert (call["end_reason"], call["hung_up_by"]) == ("shutdown", "system") and call["talk_seconds"] is not None


def test_a_second_switch_on_the_same_rtpengine_ng_port_refuses_to_start(server, tmp_path):
    server.start()
    twin = Server(tmp_path / "twin")
    twin.env["TONGDAI_RTPENGINE_NG"] = server.env["TONGDAI_RTPENGINE_NG"]
    proc = subprocess.run([str(BIN), "serve"], env=twin.env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2  # one line naming the setting, no traceback
    assert proc.stderr.startswith(f"tongdai: TONGDAI_RTPENGINE_NG={server.env['TONGDAI_RTPENGINE_NG']}: UDP port "
                                  "already in use"), proc.stderr
    assert "Traceback" not in proc.stderr
    assert server.get("/health")["status"] == "ok"  # the first one is untouched


def test_calls_whose_media_rtpengine_lost_in_a_restart_are_ended_with_a_reason_and_an_event(server, tmp_path):
    """D11: rtpengine dies mid-call and the supervisor starts it again; the call it carried has no audio
    any more: both legs get BYE and the row ends as `media_lost`, announced by call.ended."""
    server.start()
    side = carrier(server, tmp_path, flows.carrier_invite() + flows.CARRIER_RING_ANSWER + flows.CARRIER_WAIT_BYE)
    time.sleep(0.3)
    with httpx.stream("GET", server.api + "/events", headers=server.admin, timeout=20) as events:
        caller = agent("agent_call", server, tmp_path, keys={"dest": "0981000655"},
                       after_auth=flows.ANSWERED + flows.WAIT_BYE)
        server.wait_call(lambda c: c["customer_number"] == "+84981000655")  # the row is written at the start
        time.sleep(1.0)  # answered by now
        pid = int((server.data_dir / "rtpengine" / "rtpengine.pid").read_text())
        os.kill(pid, signal.SIGKILL)
        ok(caller, "agent")  # BYE to the agent's phone
        ok(side, "carrier")  # and to the carrier
        ended = next(json.loads(line[len("data: "):]) for line in events.iter_lines()
                     if line.startswith("data: ") and '"call.ended"' in line)
    assert ended["data"]["end_reason"] == "media_lost"
    call = server.wait_call(lambda c: c["customer_number"] == "+84981000655" and c["ended_at"])
    assert (call["end_reason"], call["hung_up_by"]) == ("media_lost", "system")
    assert server.options_ok()  # and the switch goes on, with the new rtpengine
    assert "rtpengine restarted: 1 call(s) lost their media" in server.read_log()


def test_a_call_whose_carrier_forgot_it_is_ended_by_the_session_timer(server, tmp_path):
    """RFC 4028: tongdai offers session timers to the carrier and refreshes with UPDATE; a carrier that
    answers 481 (it restarted, or lost a BYE) no longer has the call, so tongdai ends the agent's side."""
    server.env["TONGDAI_SESSION_EXPIRES_SECONDS"] = "4"  # a refresh every 2 s (1800 s, every 15 min, by default)
    server.start()
    side = carrier(server, tmp_path, flows.carrier_invite() + flows.CARRIER_RING_ANSWER
                   + flows.carrier_forgets_the_call())
    time.sleep(0.3)
    ok(agent("agent_call", server, tmp_path, keys={"dest": "0981000656"}, after_auth=flows.ANSWERED + flows.WAIT_BYE),
       "agent")  # the agent's phone got a BYE
    ok(side, "carrier")
    invite = side.messages().split("INVITE sip:", 1)[1].split("\n\n", 1)[0]
    assert "Session-Expires: 4;refresher=uac" in invite and "Supported: timer" in invite
    call = server.wait_call(lambda c: c["customer_number"] == "+84981000656" and c["ended_at"])
    assert (call["end_reason"], call["hung_up_by"]) == ("session_expired", "system") and call["talk_seconds"] >= 1.5


def test_health_is_503_while_rtpengine_does_not_answer(server):
    server.start()
    pid = int((server.data_dir / "rtpengine" / "rtpengine.pid").read_text())
    os.kill(pid, signal.SIGSTOP)  # alive but not answering: the supervisor sees nothing wrong
    try:
        r = httpx.get(server.api + "/health", timeout=10)
        assert r.status_code == 503 and r.json()["rtpengine"] == "unreachable"
    finally:
        os.kill(pid, signal.SIGCONT)
    r = httpx.get(server.api + "/health", timeout=10)
    assert r.status_code == 200 and r.json()["rtpengine"] == "ok"


def _own_rtpengine(ng_port: int, rtp: int, work: Path) -> subprocess.Popen:
    """An rtpengine run as its own service (not spawned by tongdai), as on a separate media host."""
    return subprocess.Popen(["rtpengine", "--config-file=none", "--table=-1", "--interface=127.0.0.1",
                             f"--listen-ng=127.0.0.1:{ng_port}", "--foreground", "--log-stderr",
                             f"--port-min={rtp}", f"--port-max={rtp + 39}", f"--pidfile={work / 'rtpe.pid'}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_a_restart_of_an_external_rtpengine_ends_the_calls_it_forgot_and_spares_later_ones(server, tmp_path):
    ng, rtp = free_port(), 21000 + (os.getpid() % 300) * 40
    media = _own_rtpengine(ng, rtp, tmp_path)
    try:
        server.env["TONGDAI_RTPENGINE"] = f"127.0.0.1:{ng}"
        server.env["TONGDAI_RTPENGINE_NG"] = f"127.0.0.1:{ng}"
        time.sleep(0.5)
        server.start()
        side = Sipp("carrier", port=server.carrier_port, workdir=tmp_path, calls=2,
                    flow=flows.carrier_invite() + flows.CARRIER_RING_ANSWER + flows.CARRIER_WAIT_BYE)
        time.sleep(0.3)
        caller = agent("agent_call", server, tmp_path, keys={"dest": "0981000657"},
                       after_auth=flows.ANSWERED + flows.WAIT_BYE)
        server.wait_call(lambda c: c["customer_number"] == "+84981000657")
        time.sleep(3.5)  # answered, and the watch has seen rtpengine's uptime grow
        media.kill()
        media.wait()
        media = _own_rtpengine(ng, rtp, tmp_path)  # its operator's supervisor starts it again
        time.sleep(0.3)
        later = agent("agent_call", server, tmp_path, user="binh", keys={"dest": "0981000658"},
                      after_auth=flows.ANSWERED + '<pause milliseconds="3000"/>' + flows.HANG_UP)
        ok(caller, "agent")  # BYE to the agent's phone
        ok(later, "binh")  # placed on the new rtpengine before the watch noticed: it goes on to its end
        ok(side, "carrier")  # BYE for the first call, binh's hang-up for the second
        call = server.wait_call(lambda c: c["customer_number"] == "+84981000657" and c["ended_at"])
        assert (call["end_reason"], call["hung_up_by"]) == ("media_lost", "system")
        call = server.wait_call(lambda c: c["customer_number"] == "+84981000658" and c["ended_at"])
        assert (call["end_reason"], call["hung_up_by"]) == ("completed", "agent")
    finally:
        server.stop()
        media.kill()
        media.wait()


def test_the_watch_tells_a_restart_from_time_passing():
    from tongdai.media.rtpengine import RtpengineWatch
    now = [100.0]
    watch = RtpengineWatch("127.0.0.1", 9, on_restart=lambda _uptime: None, clock=lambda: now[0])
    assert not watch.seen(50)
    now[0] += 2
    assert not watch.seen(52)
    now[0] += 30  # the watch was slow to ask: uptime grew as much
    assert not watch.seen(82)
    now[0] += 2
    assert watch.seen(1)  # started again a second ago
