"""A recorded call's audio: rtpengine's pcap turned into one stereo MP3, streaming.

Userspace rtpengine writes each call it records as a pcap (raw IPv4, or Ethernet) holding every leg's
**incoming** RTP, decrypted. `convert()` reads it packet by packet, decodes G.711 (PCMU, PCMA), places
each frame by its RTP timestamp on the call's timeline (a stream starts where it arrived; a timestamp
that jumps more than a second from its arrival is placed by arrival instead), and encodes blocks of five
seconds to MP3 as soon as no late packet can change them: memory stays flat whatever the call's length.
Left channel: the customer (the streams rtpengine received on the customer's ports); right: the agent.
Where a leg sent nothing the channel is silent; the file lasts exactly from `start` to `end`. RTCP,
RFC 4733 events and comfort noise are skipped; other codecs (opus) are counted and left silent.
"""

from __future__ import annotations

import os
import resource
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

RATE = 8000  # G.711: 8,000 samples a second
BLOCK = 5 * RATE  # samples encoded at once
LATE = RATE  # a packet may arrive this late (in samples) and still be placed
JUMP = RATE  # a timestamp further than this from its arrival is placed by arrival
BIT_RATE = 32  # kbit/s for both channels: 14.4 MB an hour

PCAP_MAGIC = {b"\xd4\xc3\xb2\xa1": ("<", 1e-6), b"\xa1\xb2\xc3\xd4": (">", 1e-6),
              b"\x4d\x3c\xb2\xa1": ("<", 1e-9), b"\xa1\xb2\x3c\x4d": (">", 1e-9)}
LINK_OFFSET = {101: 0, 228: 0, 1: 14, 113: 16, 276: 20}  # raw IPv4, IPv4, Ethernet, Linux cooked v1, v2


class NotAPcap(ValueError):
    """The file is not a pcap this converter reads."""


def _ulaw_table() -> np.ndarray:
    table = np.zeros(256, dtype=np.int16)
    for byte in range(256):
        u = ~byte & 0xFF
        magnitude = (((u & 0x0F) << 3) + 0x84) << ((u & 0x70) >> 4)
        table[byte] = (0x84 - magnitude) if u & 0x80 else (magnitude - 0x84)
    return table


def _alaw_table() -> np.ndarray:
    table = np.zeros(256, dtype=np.int16)
    for byte in range(256):
        a = byte ^ 0x55
        exponent, mantissa = (a & 0x70) >> 4, a & 0x0F
        value = (mantissa << 4) + 8 if exponent == 0 else ((mantissa << 4) + 0x108) << (exponent - 1)
        table[byte] = value if a & 0x80 else -value
    return table


DECODERS = {0: _ulaw_table(), 8: _alaw_table()}
SKIPPED = {13, 19, 101, 126, 96, 97, 98, 99, 100, 110, 112, 120, 127}  # comfort noise, telephone-event


@dataclass
class Packet:
    at: float  # arrival, seconds since the epoch
    port: int  # rtpengine's port that received it (whose leg sent it)
    ssrc: int
    payload_type: int
    timestamp: int
    payload: bytes


def read_packets(path: Path) -> Iterator[Packet]:
    """The RTP packets of a pcap, in the order written (arrival). A file cut short (rtpengine killed) ends
    at its last whole packet; anything not IPv4/UDP/RTP version 2, and RTCP, is skipped."""
    with open(path, "rb") as f:
        header = f.read(24)
        if len(header) < 24 or header[:4] not in PCAP_MAGIC:
            raise NotAPcap(f"{path.name}: not a pcap file")
        order, unit = PCAP_MAGIC[header[:4]]
        link = struct.unpack(order + "I", header[20:24])[0]
        if link not in LINK_OFFSET:
            raise NotAPcap(f"{path.name}: link type {link} is not read")
        skip = LINK_OFFSET[link]
        record = struct.Struct(order + "IIII")
        while True:
            head = f.read(16)
            if len(head) < 16:
                return
            seconds, fraction, length, _original = record.unpack(head)
            data = f.read(length)
            if len(data) < length:
                return
            packet = _rtp(data, skip, seconds + fraction * unit)
            if packet is not None:
                yield packet


def _rtp(frame: bytes, skip: int, at: float) -> Packet | None:
    ip = frame[skip:]
    if len(ip) < 28 or ip[0] >> 4 != 4 or ip[9] != 17:
        return None
    udp = (ip[0] & 0x0F) * 4
    port = (ip[udp + 2] << 8) | ip[udp + 3]
    rtp = ip[udp + 8:]
    if len(rtp) < 12 or rtp[0] >> 6 != 2 or 192 <= rtp[1] <= 223:  # not RTP, or RTCP (rtcp-mux)
        return None
    start = 12 + 4 * (rtp[0] & 0x0F)
    if rtp[0] & 0x10 and len(rtp) >= start + 4:  # a header extension
        start += 4 + 4 * ((rtp[start + 2] << 8) | rtp[start + 3])
    end = len(rtp) - (rtp[-1] if rtp[0] & 0x20 and rtp[-1] else 0)  # padding
    if start >= end:
        return None
    ssrc = int.from_bytes(rtp[8:12], "big")
    return Packet(at, port, ssrc, rtp[1] & 0x7F, int.from_bytes(rtp[4:8], "big"), rtp[start:end])


@dataclass
class _Stream:
    channel: int
    origin: int  # the timeline sample of `origin_timestamp`
    origin_timestamp: int


@dataclass
class Conversion:
    """What `convert` made: the file's length, size and what it left out."""

    duration_ms: int
    size: int
    packets: int = 0
    late: int = 0  # packets that arrived after their block was encoded
    undecoded: dict[int, int] = field(default_factory=dict)  # payload type -> packets (left silent)
    streams: int = 0


class _Timeline:
    """Two channels of samples, encoded block by block once no packet can still land in a block."""

    def __init__(self, total: int, out, encoder):
        self.total = total
        self.out = out
        self.encoder = encoder
        self.flushed = 0  # blocks encoded
        self.blocks: dict[int, np.ndarray] = {}

    def place(self, position: int, samples: np.ndarray, channel: int) -> bool:
        if position < 0:
            samples, position = samples[-position:], 0
        end = min(position + len(samples), self.total)
        if position >= end:
            return True
        if position < self.flushed * BLOCK:
            return False
        while position < end:
            index = position // BLOCK
            block = self.blocks.get(index)
            if block is None:
                block = self.blocks[index] = np.zeros((BLOCK, 2), dtype=np.int16)
            offset = position - index * BLOCK
            n = min(end - position, BLOCK - offset)
            block[offset:offset + n, channel] = samples[:n]
            samples, position = samples[n:], position + n
        return True

    def advance(self, now: int) -> None:
        """Encode every block that ends before `now - LATE` (a packet for it would be too late)."""
        while (self.flushed + 1) * BLOCK <= min(now - LATE, self.total):
            self._encode(self.flushed, BLOCK)

    def finish(self) -> None:
        while self.flushed * BLOCK < self.total:
            self._encode(self.flushed, min(BLOCK, self.total - self.flushed * BLOCK))
        self.out.write(self.encoder.flush())

    def _encode(self, index: int, length: int) -> None:
        block = self.blocks.pop(index, None)
        if block is None:
            block = np.zeros((BLOCK, 2), dtype=np.int16)
        self.out.write(self.encoder.encode(block[:length].tobytes()))
        self.flushed += 1


def convert(pcap: Path, target: Path, *, customer_ports: set[int], start: float | None = None,
            end: float | None = None) -> Conversion:
    """Write `target` (MP3, stereo, 8 kHz) from `pcap`: customer left, agent right, from `start` to `end`
    (seconds since the epoch; by default the first and last packet). Written to a temporary name and
    renamed, so `target` is either whole or absent."""
    import lameenc

    if start is None or end is None:
        first = last = None
        for packet in read_packets(pcap):
            first = packet.at if first is None else first
            last = packet.at
        start = start if start is not None else (first or 0.0)
        end = end if end is not None else (last + 0.02 if last is not None else start)
    total = max(0, round((end - start) * RATE))
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(BIT_RATE)
    encoder.set_in_sample_rate(RATE)
    encoder.set_channels(2)
    encoder.set_quality(7)  # fast; telephone audio loses nothing audible
    partial = target.with_name(target.name + ".part")
    result = Conversion(duration_ms=round(total * 1000 / RATE), size=0)
    streams: dict[tuple[int, int], _Stream] = {}
    first_port: int | None = None
    try:
        with open(partial, "wb") as out:
            timeline = _Timeline(total, out, encoder)
            for packet in read_packets(pcap):
                result.packets += 1
                arrival = round((packet.at - start) * RATE)
                timeline.advance(arrival)
                table = DECODERS.get(packet.payload_type)
                if table is None:
                    if packet.payload_type not in SKIPPED:
                        result.undecoded[packet.payload_type] = result.undecoded.get(packet.payload_type, 0) + 1
                    continue
                if first_port is None:
                    first_port = packet.port
                key = (packet.port, packet.ssrc)
                stream = streams.get(key)
                if stream is None:
                    channel = 0 if (packet.port in customer_ports if customer_ports else packet.port == first_port) \
                        else 1
                    stream = streams[key] = _Stream(channel, arrival, packet.timestamp)
                offset = (packet.timestamp - stream.origin_timestamp + 2**31) % 2**32 - 2**31
                position = stream.origin + offset
                if abs(position - arrival) > JUMP:  # a new talk spurt's clock, or a sender that jumped
                    stream.origin, stream.origin_timestamp, position = arrival, packet.timestamp, arrival
                if not timeline.place(position, table[np.frombuffer(packet.payload, dtype=np.uint8)], stream.channel):
                    result.late += 1
            timeline.finish()
            out.flush()
            os.fsync(out.fileno())
        result.streams = len(streams)
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    result.size = target.stat().st_size
    return result


MP3_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}  # by version bits
MP3_BIT_RATES = {3: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
                 2: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)}


def mp3_duration_ms(path: Path) -> int:
    """The playing time of an MP3 (Layer III) by walking its frame headers (reading 4 bytes a frame): what
    a player will show. Raises ValueError when the file holds no frames or is cut inside one."""
    samples = rate = 0
    size = path.stat().st_size
    with open(path, "rb") as f:
        offset = 0
        while offset < size:
            f.seek(offset)
            head = f.read(4)
            if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
                raise ValueError(f"{path.name}: no MP3 frame at byte {offset}")
            version, layer = (head[1] >> 3) & 3, (head[1] >> 1) & 3
            if version == 1 or layer != 1:
                raise ValueError(f"{path.name}: not MPEG audio Layer III at byte {offset}")
            bit_rate = MP3_BIT_RATES[3 if version == 3 else 2][head[2] >> 4] * 1000
            rate = MP3_RATES[version][(head[2] >> 2) & 3]
            per_frame = 1152 if version == 3 else 576
            length = per_frame // 8 * bit_rate // rate + ((head[2] >> 1) & 1)
            if length <= 4 or offset + length > size:
                raise ValueError(f"{path.name}: cut inside the frame at byte {offset}")
            samples += per_frame
            offset += length
    if not samples:
        raise ValueError(f"{path.name}: no MP3 frames")
    return round(samples * 1000 / rate)


def convert_measured(pcap: str, target: str, customer_ports: list[int], start: float, end: float | None
                     ) -> tuple[Conversion, int]:
    """`convert`, as the recording worker process runs it: the conversion and that process's peak resident
    memory (KiB). Module-level, so a process pool can send it."""
    done = convert(Path(pcap), Path(target), customer_ports=set(customer_ports), start=start, end=end)
    return done, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
