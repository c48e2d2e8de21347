"""rtpengine's DTMF reports become (call, tag, key); anything else there is dropped."""

import json
import socket
import time

from tongdai.media.dtmf import DtmfListener, key_of


def report(event, **extra) -> bytes:
    return json.dumps({"callid": "c1@x", "source_tag": "caller", "tags": ["caller", "ivr"], "type": "DTMF",
                       "event": event, "duration": 280, "volume": 10, **extra}).encode()


def test_reports_become_keys():
    assert key_of(report(1)) == ("c1@x", "caller", "1")
    assert key_of(report(10)) == ("c1@x", "caller", "*") and key_of(report(11))[2] == "#"
    assert key_of(report(16)) is None and key_of(b"garbage") is None and key_of(b"[]") is None


def test_the_listener_hands_keys_on_and_survives_garbage():
    got = []
    listener = DtmfListener("127.0.0.1", 0, lambda *k: got.append(k))
    listener.start()
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            for data in (b"\xff\x00", report(5), b'{"event": "x"}', report(11)):
                s.sendto(data, listener.address)
        deadline = time.monotonic() + 2
        while len(got) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        listener.stop()
    assert got == [("c1@x", "caller", "5"), ("c1@x", "caller", "#")] and listener.ignored == 2
