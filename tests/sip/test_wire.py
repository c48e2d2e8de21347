"""What comes off the wire cannot silence the switch (findings D1, D13, D22): an impossible port,
a flood of mutated datagrams and a large legitimate message, against a real `tongdai serve`."""

from __future__ import annotations

import random
import socket
import time

import pytest

from .harness import DOMAIN, Server, sip_exchange


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("wire") / "data").start()
    yield s
    s.stop()


def options(branch: str, *, via: str = "127.0.0.1:9", body: str = "", extra: str = "") -> str:
    return (f"OPTIONS sip:{DOMAIN} SIP/2.0\r\nVia: SIP/2.0/UDP {via};branch=z9hG4bK{branch}\r\n"
            f"From: <sip:probe@{DOMAIN}>;tag=p{branch}\r\nTo: <sip:{DOMAIN}>\r\nCall-ID: {branch}\r\n"
            f"CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n{extra}Content-Length: {len(body.encode())}\r\n\r\n{body}")


def answered(server: Server, timeout: float = 2.0) -> bool:
    return sip_exchange(server.sip_port, options(f"alive{time.time_ns()}"), timeout).startswith("SIP/2.0 200")


def send_raw(port: int, datagrams: list[bytes]) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for n, d in enumerate(datagrams):
            s.sendto(d, ("127.0.0.1", port))
            if n % 200 == 199:
                time.sleep(0.02)  # a brisk flood, not a socket-buffer overflow


def test_one_datagram_with_an_impossible_via_port_no_longer_silences_the_switch(server):
    send_raw(server.sip_port, [options("d1", via="1.2.3.4:99999").encode()])
    time.sleep(0.3)
    assert answered(server)
    assert answered(server)
    assert "Traceback" not in server.read_log() and "OverflowError" not in server.read_log()


def test_a_registration_with_an_impossible_contact_port_is_refused_400(server):
    reply = sip_exchange(server.sip_port, (
        f"REGISTER sip:{DOMAIN} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKreg{time.time_ns()}\r\n"
        f"From: <sip:an@{DOMAIN}>;tag=r\r\nTo: <sip:an@{DOMAIN}>\r\nCall-ID: reg{time.time_ns()}\r\n"
        "CSeq: 1 REGISTER\r\nContact: <sip:an@127.0.0.1:99999>\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"))
    assert reply.startswith("SIP/2.0 400") and 'text="invalid_address"' in reply
    assert answered(server)


def mutations(seed: int, count: int) -> list[bytes]:
    """Datagrams mutated from valid messages: flipped, dropped and inserted bytes, truncations,
    impossible ports, broken UTF-8, duplicated and garbage headers, oversized fields."""
    rng = random.Random(seed)
    invite = (f"INVITE sip:0981234567@{DOMAIN} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKf;rport\r\n"
              f"From: <sip:an@{DOMAIN}>;tag=f\r\nTo: <sip:0981234567@{DOMAIN}>\r\nCall-ID: fuzz\r\n"
              "CSeq: 1 INVITE\r\nContact: <sip:an@127.0.0.1:9>\r\nMax-Forwards: 70\r\n"
              "Content-Type: application/sdp\r\nContent-Length: 88\r\n\r\n"
              "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n")
    seeds = [invite.encode(), options("f").encode(), invite.replace("INVITE", "REGISTER").encode(),
             b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKx\r\nFrom: <sip:a@b>;tag=1\r\n"
             b"To: <sip:c@d>;tag=2\r\nCall-ID: r\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"]
    ports = [b"0", b"65536", b"99999", b"-1", b"4294967296", b"x", b""]
    out = []
    for _ in range(count):
        data = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(1, 4)):
            kind = rng.randrange(8)
            at = rng.randrange(len(data)) if data else 0
            if kind == 0:
                data[at:at + 1] = bytes([rng.randrange(256)])
            elif kind == 1:
                del data[at:at + rng.randint(1, 20)]
            elif kind == 2:
                data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 20)))
            elif kind == 3:
                data = data[:rng.randrange(len(data) + 1)]
            elif kind == 4:
                data = data.replace(b"127.0.0.1:9", b"127.0.0.1:" + rng.choice(ports), 1)
            elif kind == 5:
                data[at:at] = b"\xff\xfe\xc3"
            elif kind == 6:
                data = data.replace(b"\r\n\r\n", b"\r\n" + rng.choice([b"Via: ", b"Contact: <>", b"CSeq: x",
                                                                     b"Content-Length: 999999", b"To: ;;;"])
                                    + b"\r\n\r\n", 1)
            else:
                data = data.replace(b"an@", b"a" * rng.randint(100, 3000) + b"@", 1)
        out.append(bytes(data))
    return out


def test_ten_thousand_mutated_datagrams_leave_the_switch_answering_without_a_traceback(server):
    send_raw(server.sip_port, mutations(seed=7, count=10_000))
    time.sleep(1.0)
    assert answered(server)
    log = server.read_log()
    assert "Traceback" not in log
    assert "SIP malformed from 127.0.0.1" in log  # counted and logged, once per source per interval
    assert log.count("SIP malformed from 127.0.0.1") <= 2


def test_a_message_larger_than_8_kb_is_read_whole(server):
    sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n" + "a=x-pad:" + "y" * 12_000 + "\r\n"
    reply = sip_exchange(server.sip_port, options(f"big{time.time_ns()}", body=sdp,
                                                  extra="Content-Type: application/sdp\r\n"))
    assert reply.startswith("SIP/2.0 200"), reply[:200]


def test_health_reports_the_sip_engine_answering_its_probe_and_what_the_socket_counted(server):
    deadline = time.monotonic() + 15
    health = server.get("/health")
    while health["sip"]["answering"] is not True and time.monotonic() < deadline:
        time.sleep(0.5)
        health = server.get("/health")
    assert health["status"] == "ok" and health["database"] == "ok" and health["sip"]["answering"] is True
    assert health["rtpengine"] == "ok"
    assert health["sip"]["malformed"] > 0 and health["sip"]["unsendable"] > 0  # the datagrams above
    assert health["sip"]["datagrams"] > health["sip"]["malformed"] + health["sip"]["unsendable"]
    assert set(health["writers"]) == {"call-log", "agent-states", "registrations"}


def read_everything(server: Server, before: dict) -> tuple[dict, float]:
    """Wait until the server has read every datagram it will read (its count stops moving); return its
    counters and when they first showed that count, the end of the time it spent reading them."""
    last, last_at = before, time.monotonic()
    deadline = last_at + 30
    while time.monotonic() < deadline:
        time.sleep(0.3)
        now = server.get("/health")["sip"]
        if now["datagrams"] == last["datagrams"]:
            return now, last_at
        last, last_at = now, time.monotonic()
    raise AssertionError(f"the server was still reading after 30 s: {last}")


def test_a_flood_from_one_address_is_dropped_unread_and_others_are_still_answered(server):
    """D14: a source over its rate (200 datagrams/s by default, bursts of 400) is dropped before parsing;
    another address (and the carrier's) is answered all along."""
    rate, burst = 200, 400
    before = server.get("/health")["sip"]
    answers = 0
    started = time.monotonic()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as flood:
        flood.bind(("127.0.0.2", 0))  # another host on loopback: not the trunk's address
        flood.settimeout(0.0)
        port = flood.getsockname()[1]
        for n in range(2000):
            flood.sendto(options(f"flood{n}", via=f"127.0.0.2:{port}").encode(), ("127.0.0.1", server.sip_port))
            if n % 100 == 99:
                time.sleep(0.01)  # about 2,000 a second for one second
        assert answered(server, timeout=10)  # from 127.0.0.1, meanwhile (queued behind the flood's datagrams)
        after, read_by = read_everything(server, before)
        flood.settimeout(0.2)
        while True:
            try:
                flood.recv(65535)
                answers += 1
            except (TimeoutError, BlockingIOError):
                break
    # What the limiter let in is bounded by the burst and the rate over the time the server spent reading
    # (on a busy machine that is longer than the sending); the kernel may drop some before they are read.
    read = after["datagrams"] - before["datagrams"]  # the flood's datagrams read, and the one probe above
    limited = after["rate_limited"] - before["rate_limited"]
    let_in = read - limited
    allowed = burst + rate * (read_by - started) + 5
    assert read >= burst and min(burst, read) <= let_in <= allowed and answers > 0, (read, let_in, allowed, answers)
    assert limited > 0 and "SIP rate limited from 127.0.0.2" in server.read_log()
    time.sleep(2.5)  # its bucket fills again: a well-behaved source is let back at once
    assert sip_exchange(server.sip_port, options(f"back{time.time_ns()}"), source_port=0).startswith("SIP/2.0 200")


def test_the_limiter_allows_a_burst_then_the_rate_and_never_limits_a_carrier():
    from tongdai.sip.wire import SourceLimiter
    now = [0.0]
    limiter = SourceLimiter(rate=10, burst=20, clock=lambda: now[0])
    limiter.exempt = frozenset({"192.0.2.1"})
    assert sum(limiter.allow("198.51.100.7") for _ in range(50)) == 20  # the burst
    now[0] += 1.0
    assert sum(limiter.allow("198.51.100.7") for _ in range(50)) == 10  # then the rate
    assert all(limiter.allow("192.0.2.1") for _ in range(1000))  # the carrier
    assert limiter.allow("198.51.100.8")  # another source has its own bucket
