"""A first call in five minutes, as a newcomer makes it: `tongdai demo`, `tongdai serve`, a softphone
(baresip) registered with the demo's printed credentials dials any Vietnamese number and hears the demo
carrier's tone (440 Hz, found in what baresip played); `tongdai demo call-in` rings the agent, who hears
the caller's tone (660 Hz)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
import wave
from types import SimpleNamespace

import httpx
import numpy as np
import pytest

from .harness import BIN, free_port
from .test_baresip import baresip_config


def heard(home) -> tuple[float, float]:
    """What baresip heard (its sndfile module dumps each call's decoded audio): the loudest frequency and
    its RMS, over the part with sound."""
    dumps = sorted(home.glob("*-dec.wav"))
    assert dumps, sorted(p.name for p in home.iterdir())
    return loudest(dumps[-1])


def softphone(home, demo, **kw) -> None:
    baresip_config(home, demo, **kw)
    with open(home / "config", "a") as f:
        f.write(f"module sndfile.so\nsnd_path {home}\n")


def loudest(path) -> tuple[float, float]:
    """The loudest frequency of a WAV, and its RMS (over the part with sound)."""
    with wave.open(str(path)) as w:
        rate = w.getframerate()
        samples = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16).astype(float)
    frames = samples[: len(samples) // 160 * 160].reshape(-1, 160)
    loud = frames[np.sqrt((frames ** 2).mean(axis=1)) > 300].reshape(-1)
    if len(loud) < rate:
        return 0.0, 0.0
    spectrum = np.abs(np.fft.rfft(loud * np.hanning(len(loud))))
    return float(np.fft.rfftfreq(len(loud), 1 / rate)[int(np.argmax(spectrum))]), float(np.sqrt((loud ** 2).mean()))


@pytest.fixture
def demo(tmp_path):
    sip, http, ng, carrier = free_port(), free_port(), free_port(), free_port()
    rtp = 20000 + (os.getpid() % 500) * 40
    env = {**os.environ, "TONGDAI_DATA_DIR": str(tmp_path / "data"), "TONGDAI_SIP_ADDR": f"127.0.0.1:{sip}",
           "TONGDAI_HTTP_ADDR": f"127.0.0.1:{http}", "TONGDAI_RTPENGINE_NG": f"127.0.0.1:{ng}",
           "TONGDAI_RTP_PORTS": f"{rtp}-{rtp + 39}", "TONGDAI_DEMO_CARRIER_ADDR": f"127.0.0.1:{carrier}"}
    env.pop("TONGDAI_DATABASE_URL", None)
    env.pop("TONGDAI_DEMO_CARRIER", None)
    keys = json.loads(subprocess.run([str(BIN), "demo"], env=env, capture_output=True, text=True, check=True).stdout)
    log = open(tmp_path / "serve.log", "wb")
    server = subprocess.Popen([str(BIN), "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)
    api = f"http://127.0.0.1:{http}/api/v1"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(api + "/health", timeout=1).status_code == 200:
                break
        except httpx.TransportError:  # not listening yet
            time.sleep(0.2)
        assert time.monotonic() < deadline and server.poll() is None, (tmp_path / "serve.log").read_text()[-2000:]
        time.sleep(0.2)
    time.sleep(1.0)  # the demo carrier starts after the SIP engine
    yield SimpleNamespace(env=env, keys=keys, api=api, sip_port=sip, admin={"Authorization": f"Bearer {keys['admin_key']}"},
                          log=tmp_path / "serve.log")
    server.send_signal(2)
    server.wait(timeout=30)
    log.close()


def test_a_softphone_with_the_demo_credentials_hears_the_demo_carrier_and_a_call_in_rings_it(demo, tmp_path):
    assert demo.keys["sip_agents"]["an"] and demo.keys["sip_agents"]["binh"]  # printed by `tongdai demo`
    home = tmp_path / "an"
    home.mkdir()
    softphone(home, demo)
    phone = subprocess.Popen(["baresip", "-f", str(home), "-e", "/dial 0981234567", "-t", "10"], cwd=home,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True)
    output, _ = phone.communicate(timeout=40)
    assert "Call established" in output, output[-3000:]
    hz, rms = heard(home)
    assert abs(hz - 440) < 10 and rms > 1000, (hz, rms)  # the demo carrier's tone, through rtpengine
    # the demo hotline rings the agent: binh's baresip answers by itself and hears the caller's tone
    home = tmp_path / "binh"
    home.mkdir()
    softphone(home, demo, user="binh", answer="auto")
    phone = subprocess.Popen(["baresip", "-f", str(home), "-t", "16"], cwd=home, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True)
    binh = httpx.get(demo.api + "/agents", headers=demo.admin, params={"sip_username": "binh"}).json()["items"][0]["id"]
    deadline = time.monotonic() + 10
    while httpx.get(f"{demo.api}/agents/{binh}/status", headers=demo.admin).json()["state"] != "available":
        assert time.monotonic() < deadline, "binh's baresip never registered"
        time.sleep(0.2)
    called = subprocess.run([str(BIN), "demo", "call-in", "--seconds", "5"], env=demo.env, capture_output=True,
                            text=True, timeout=30)
    assert called.returncode == 0 and called.stdout.startswith("calling 0912000001"), called
    output, _ = phone.communicate(timeout=40)
    assert "Call established" in output, output[-3000:]
    hz, rms = heard(home)
    assert abs(hz - 660) < 10 and rms > 1000, (hz, rms)
    rows = httpx.get(demo.api + "/calls", headers=demo.admin, params={"direction": "inbound"}).json()["items"]
    assert rows and rows[0]["agent_id"] == binh and rows[0]["answered_at"], rows[:1]
    assert re.search(r"demo carrier on udp:127\.0\.0\.1:\d+", demo.log.read_text())
