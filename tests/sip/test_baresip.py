"""baresip, a real softphone, as the agent: it registers, calls a customer out through the hotline the
caller-ID decision picks, and audio flows both ways through rtpengine."""

from __future__ import annotations

import math
import re
import struct
import subprocess
import time
import wave

import pytest

from . import flows
from .harness import DOMAIN, PASSWORD, Server, carrier, free_port


@pytest.fixture
def server(tmp_path):
    s = Server(tmp_path / "data").start()
    yield s
    s.stop()


def tone(path, seconds=4):
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / 8000)))
                               for i in range(8000 * seconds)))


def baresip_config(home, server: Server, user: str = "an", answer: str | None = None) -> None:
    tone(home / "in.wav")
    (home / "config").write_text("\n".join([
        "poll_method epoll", f"sip_listen 127.0.0.1:{free_port()}", "module_path /usr/lib/baresip/modules",
        "module stdio.so", "module g711.so", "module aufile.so", "module_app account.so", "module_app menu.so",
        f"audio_player aufile,{home / 'out.wav'}", f"audio_source aufile,{home / 'in.wav'}",
        f"audio_alert aufile,{home / 'alert.wav'}", "rtp_stats yes", ""]))
    (home / "accounts").write_text(
        f'<sip:{user}@{DOMAIN}>;auth_pass={PASSWORD};outbound="sip:127.0.0.1:{server.sip_port}";regint=60'
        + (f";answermode={answer}" if answer else "") + "\n")


def test_baresip_registers_calls_out_and_audio_flows_both_ways(server, tmp_path):
    home = tmp_path / "baresip"
    home.mkdir()
    baresip_config(home, server)
    side = carrier(server, tmp_path, flows.carrier_invite("+84981000001") + flows.CARRIER_RING_ANSWER
                   + flows.MEDIA + flows.CARRIER_WAIT_BYE)
    time.sleep(0.3)
    phone = subprocess.Popen(["baresip", "-f", str(home), "-e", "/dial 0981234567", "-t", "12"], cwd=home,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True)
    an = server.get("/agents", sip_username="an")["items"][0]["id"]
    registered = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not registered:
        registered = [r for r in server.get(f"/agents/{an}/registrations")["items"] if "baresip" in r["user_agent"]]
        time.sleep(0.2)
    output, _ = phone.communicate(timeout=30)
    assert side.wait() == 0, side.errors()
    assert registered, "baresip never showed up in the registrations"
    assert "Call established" in output, output[-3000:]
    sent, received = map(int, re.search(r"packets:\s+(\d+)\s+(\d+)", output).groups())
    assert sent > 100 and received >= 8, output[-1500:]  # tone out; the carrier's RTP in
    call = server.wait_call(lambda c: c["ended_at"] and c["customer_number"] == "+84981234567")
    assert call["hotline_number"] == "+84981000001" and call["answered_at"] and call["hung_up_by"] == "agent"
