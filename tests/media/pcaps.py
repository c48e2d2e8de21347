"""Pcaps as userspace rtpengine writes them (raw IPv4, linktype 101), made from tones, for the recording
converter's tests and benchmark."""

from __future__ import annotations

import heapq
import math
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path


def ulaw(sample: int) -> int:
    """One 16-bit sample as G.711 µ-law (the encoder of ITU-T G.711's reference)."""
    sign = 0x80 if sample < 0 else 0
    magnitude = min(abs(sample), 32635) + 0x84
    exponent = max(0, magnitude.bit_length() - 8)
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF


def alaw(sample: int) -> int:
    sign = 0x80 if sample >= 0 else 0
    magnitude = min(abs(sample), 32635) >> 3
    if magnitude < 32:
        code = magnitude >> 1
    else:
        exponent = magnitude.bit_length() - 5
        code = (exponent << 4) | ((magnitude >> exponent) & 0x0F)
    return (sign | code) ^ 0x55


def tone(frequency: float, seconds: float, law=ulaw, amplitude: int = 8000) -> bytes:
    n = round(seconds * 8000)
    return bytes(law(round(amplitude * math.sin(2 * math.pi * frequency * i / 8000))) for i in range(n))


@dataclass
class Leg:
    """One leg's incoming RTP: sent from `source` to rtpengine's `port`, 20 ms frames of `audio`."""

    port: int
    audio: bytes
    payload_type: int = 0
    start: float = 0.0  # seconds after the pcap's first instant
    ssrc: int = 0x1234
    source: tuple[str, int] = ("127.0.0.1", 40000)
    repeat: int = 1  # the audio, this many times over (an hour's call from ten seconds of tone)

    def packets(self, t0: float) -> Iterator[tuple[float, bytes]]:
        frames = len(self.audio) // 160
        for n in range(frames * self.repeat):
            at = (n % frames) * 160
            rtp = struct.pack(">BBHII", 0x80, self.payload_type, n & 0xFFFF, (1000 + n * 160) & 0xFFFFFFFF,
                              self.ssrc) + self.audio[at:at + 160]
            yield t0 + self.start + n * 0.02, _ipv4_udp(self.source, self.port, rtp)


def _ipv4_udp(source: tuple[str, int], port: int, payload: bytes) -> bytes:
    udp = struct.pack(">HHHH", source[1], port, 8 + len(payload), 0) + payload
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                     bytes(map(int, source[0].split("."))), bytes([127, 0, 0, 1]))
    return ip + udp


def write_pcap(path: Path, legs: Iterable[Leg], t0: float = 1_800_000_000.0, cut: int = 0,
               ethernet: bool = False) -> Path:
    """The legs' packets in arrival order; `cut` bytes dropped from the end (a writer killed mid-packet);
    `ethernet`: Ethernet frames (linktype 1, what SIPp's play_pcap_audio reads) rather than raw IPv4."""
    packets: Iterable[tuple[float, bytes]] = heapq.merge(*(leg.packets(t0) for leg in legs), key=lambda p: p[0])
    if ethernet:
        packets = ((at, bytes(12) + b"\x08\x00" + data) for at, data in packets)
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1 if ethernet else 101))
        for at, data in packets:
            seconds = int(at)
            f.write(struct.pack("<IIII", seconds, round((at - seconds) * 1e6), len(data), len(data)) + data)
    if cut:
        with open(path, "r+b") as f:
            f.truncate(path.stat().st_size - cut)
    return path
