"""The MediaWorker's commands against a real rtpengine (spawned on free loopback ports): a call's SDP
through offer and answer, a prompt played into it and stopped, the call deleted."""

from __future__ import annotations

import socket
import threading
import wave

import pytest

from tongdai.media.rtpengine import MediaWorker, NgClient, RtpengineOptions, RtpengineSupervisor


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _sdp(port: int) -> str:
    return ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
            f"m=audio {port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")


@pytest.fixture
def rtpengine(tmp_path):
    ng_port, low = _free_port(), 41000 + (_free_port() % 200) * 20
    supervisor = RtpengineSupervisor(RtpengineOptions(ng_port=ng_port, port_min=low, port_max=low + 19,
                                                      work_dir=tmp_path / "rtpengine"))
    supervisor.start()
    yield ng_port
    supervisor.stop()


class Replies:
    def __init__(self):
        self.got: dict[str, object] = {}
        self.done = threading.Event()

    def __call__(self, name: str):
        def receive(value: object = None) -> None:
            self.got[name] = value
            self.done.set()
        return receive

    def wait(self, name: str) -> object:
        assert self.done.wait(5), self.got
        self.done.clear()
        return self.got[name]


def test_offer_answer_play_stop_and_delete(rtpengine, tmp_path):
    prompt = tmp_path / "prompt.wav"
    with wave.open(str(prompt), "wb") as w:  # one second of 8 kHz silence
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(8000)
        w.writeframes(b"\0\0" * 8000)
    worker = MediaWorker(NgClient("127.0.0.1", rtpengine), deliver=lambda fn, *args: fn(*args))
    worker.start()
    replies = Replies()
    try:
        worker.offer("c1", "caller", _sdp(40000), replies("offer"), replies("error"))
        offered = replies.wait("offer")
        assert isinstance(offered, str) and "m=audio" in offered and "40000" not in offered
        worker.answer("c1", "caller", "agent", _sdp(40002), replies("answer"), replies("error"))
        assert "m=audio" in str(replies.wait("answer"))
        worker.play("c1", "caller", str(prompt), replies("play"), replies("error"))
        assert replies.wait("play") == 1000
        worker.stop_playing("c1", "caller")
        worker.play("c1", "caller", str(tmp_path / "missing.wav"), replies("play"), replies("error"))
        assert isinstance(replies.wait("error"), Exception)  # a prompt rtpengine cannot read is an error
        worker.delete("c1")
    finally:
        worker.stop()
    assert "c1" not in NgClient("127.0.0.1", rtpengine).command("list").get("calls", [])
