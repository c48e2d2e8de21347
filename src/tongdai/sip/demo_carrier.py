"""The demo's test carrier: a small SIP endpoint on loopback, where the demo trunk points, so a newcomer's
first call has somewhere to go. It answers every call tongdai sends it with a tone (440 Hz, PCMU, through
rtpengine like any carrier's media), answers OPTIONS (the trunk shows up), and on request (`tongdai demo
call-in`, through a Unix socket in the data directory) calls the demo hotline as a customer would, playing
another tone, and hangs up after a while. Not for production: it trusts loopback and checks nothing."""

from __future__ import annotations

import asyncio
import logging
import math
import re
import secrets
import socket
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger("tongdai.demo")

TONE_HZ, CALL_IN_HZ = 440, 660
MAX_SECONDS = 120  # a forgotten call ends by itself


def _ulaw(sample: int) -> int:
    sign = 0x80 if sample < 0 else 0
    magnitude = min(abs(sample), 32635) + 0x84
    exponent = max(0, magnitude.bit_length() - 8)
    return ~(sign | (exponent << 4) | ((magnitude >> (exponent + 3)) & 0x0F)) & 0xFF


def tone(hz: int) -> bytes:
    """One second of a tone as PCMU (a whole number of periods for 440 and 660 Hz: it loops cleanly)."""
    return bytes(_ulaw(round(6000 * math.sin(2 * math.pi * hz * n / 8000))) for n in range(8000))


@dataclass
class _Call:
    call_id: str
    media: socket.socket
    target: tuple[str, int] | None = None  # where its RTP goes (the SDP of the other side)
    task: asyncio.Task | None = None
    headers: dict[str, str] = field(default_factory=dict)  # for requests inside the dialog (call-in)
    cseq: int = 1


def _header(message: str, name: str) -> str:
    found = re.search(rf"^{name}:\s*(.*?)\r?$", message, re.I | re.M)
    return found.group(1).strip() if found else ""


def _media_of(message: str) -> tuple[str, int] | None:
    address = re.search(r"^c=IN IP4 (\S+)", message, re.M)
    port = re.search(r"^m=audio (\d+)", message, re.M)
    return (address.group(1), int(port.group(1))) if address and port else None


class DemoCarrier(asyncio.DatagramProtocol):
    def __init__(self, address: tuple[str, int], switch: tuple[str, int], control: Path):
        self.address = address  # where the demo trunk points
        self.switch = switch  # tongdai's SIP address (for calls in)
        self.control = control  # the Unix socket `tongdai demo call-in` speaks to
        self.transport: asyncio.DatagramTransport | None = None
        self.calls: dict[str, _Call] = {}
        self._server: asyncio.AbstractServer | None = None
        self._tones = {TONE_HZ: tone(TONE_HZ), CALL_IN_HZ: tone(CALL_IN_HZ)}

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        await loop.create_datagram_endpoint(lambda: self, local_addr=self.address)
        self.control.unlink(missing_ok=True)
        self._server = await asyncio.start_unix_server(self._command, path=str(self.control))
        log.info("demo carrier on udp:%s:%d (calls out are answered with a tone; `tongdai demo call-in` calls "
                 "the demo hotline)", *self.address)

    async def stop(self) -> None:
        for call in list(self.calls.values()):
            self._end(call)
        if self._server is not None:
            self._server.close()
        self.control.unlink(missing_ok=True)
        if self.transport is not None:
            self.transport.close()

    def connection_made(self, transport) -> None:
        self.transport = transport

    # -- SIP ----------------------------------------------------------------------------------------

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        try:
            message = data.decode("utf-8", "replace")
            first = message.split("\r\n", 1)[0]
            if first.startswith("SIP/2.0 "):
                self._response(message, int(first.split()[1]))
                return
            method = first.split(" ", 1)[0]
            if method == "INVITE":
                self._invite(message, addr)
            elif method == "BYE":
                self._reply(message, addr, "200 OK")
                call = self.calls.get(_header(message, "call-id"))
                if call is not None:
                    self._end(call)
            elif method == "CANCEL":
                self._reply(message, addr, "200 OK")
            elif method != "ACK":
                self._reply(message, addr, "200 OK")  # OPTIONS (the trunk's health check), and the rest
        except Exception:  # noqa: BLE001 - a test endpoint never takes the process down
            log.exception("demo carrier: a datagram from %s:%d was not handled", *addr)

    def _reply(self, request: str, addr: tuple[str, int], status: str, body: str = "", to_tag: str = "") -> None:
        to = _header(request, "to")
        if to_tag and "tag=" not in to:
            to += f";tag={to_tag}"
        lines = [f"SIP/2.0 {status}"] + [f"Via: {v}" for v in re.findall(r"^Via:\s*(.*?)\r?$", request, re.I | re.M)]
        lines += [f"From: {_header(request, 'from')}", f"To: {to}", f"Call-ID: {_header(request, 'call-id')}",
                  f"CSeq: {_header(request, 'cseq')}", f"Contact: <sip:carrier@{self.address[0]}:{self.address[1]}>"]
        lines += ["Content-Type: application/sdp"] if body else []
        lines += [f"Content-Length: {len(body.encode())}", "", body]
        assert self.transport is not None
        self.transport.sendto("\r\n".join(lines).encode(), addr)

    def _sdp(self, media: socket.socket) -> str:
        host, port = media.getsockname()[:2]
        return (f"v=0\r\no=- 1 1 IN IP4 {host}\r\ns=-\r\nc=IN IP4 {host}\r\nt=0 0\r\nm=audio {port} RTP/AVP 0 101\r\n"
                "a=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n")

    def _invite(self, message: str, addr: tuple[str, int]) -> None:
        call_id = _header(message, "call-id")
        call = self.calls.get(call_id)
        if call is None:  # a new call from tongdai: ring, answer, play the tone
            call = self.calls[call_id] = _Call(call_id, self._media_socket())
            call.headers["to_tag"] = secrets.token_hex(4)
            self._reply(message, addr, "180 Ringing", to_tag=call.headers["to_tag"])
        call.target = _media_of(message) or call.target
        self._reply(message, addr, "200 OK", body=self._sdp(call.media), to_tag=call.headers["to_tag"])
        if call.task is None:
            call.task = asyncio.get_running_loop().create_task(self._play(call, TONE_HZ))

    def _media_socket(self) -> socket.socket:
        media = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        media.bind((self.address[0], 0))
        media.setblocking(False)
        return media

    async def _play(self, call: _Call, hz: int, seconds: float = MAX_SECONDS) -> None:
        """20 ms PCMU frames of the tone to the call's media target, until it ends (or `seconds`)."""
        audio = self._tones[hz]
        ssrc = secrets.randbits(32)
        loop = asyncio.get_running_loop()
        start = loop.time()
        n = 0
        while loop.time() - start < seconds and call.call_id in self.calls:
            if call.target is not None:
                frame = audio[(n % 50) * 160:(n % 50 + 1) * 160]
                header = bytes([0x80, 0]) + (n & 0xFFFF).to_bytes(2, "big") + (n * 160 & 0xFFFFFFFF).to_bytes(
                    4, "big") + ssrc.to_bytes(4, "big")
                try:
                    call.media.sendto(header + frame, call.target)
                except OSError as exc:  # the far side's port is gone: the call ends by BYE or by its time
                    log.debug("demo carrier: RTP to %s not sent: %s", call.target, exc)
            n += 1
            await asyncio.sleep(max(0.0, start + n * 0.02 - loop.time()))
        if call.call_id in self.calls:  # it ran its time: hang up
            self._bye(call)

    def _end(self, call: _Call) -> None:
        self.calls.pop(call.call_id, None)
        if call.task is not None and call.task is not asyncio.current_task():
            call.task.cancel()
        call.media.close()

    # -- a call to the demo hotline -------------------------------------------------------------------

    def call_in(self, number: str, seconds: float) -> str:
        call_id = f"demo-{secrets.token_hex(8)}@{self.address[0]}"
        call = self.calls[call_id] = _Call(call_id, self._media_socket())
        host, port = self.switch
        tag = secrets.token_hex(4)
        call.headers.update({"uri": f"sip:{number}@{host}:{port}", "from": f"<sip:0987654321@carrier.demo>;tag={tag}",
                             "to": f"<sip:{number}@{host}>", "seconds": str(seconds)})
        self._request(call, "INVITE", self._sdp(call.media))
        return call_id

    def _request(self, call: _Call, method: str, body: str = "") -> None:
        h = call.headers
        cseq = call.cseq if method == "ACK" else (call.cseq + (0 if method == "INVITE" else 1))
        if method not in ("ACK", "INVITE"):
            call.cseq = cseq
        lines = [f"{method} {h['uri']} SIP/2.0",
                 f"Via: SIP/2.0/UDP {self.address[0]}:{self.address[1]};rport;branch=z9hG4bK{secrets.token_hex(6)}",
                 f"From: {h['from']}", f"To: {h['to']}", f"Call-ID: {call.call_id}", f"CSeq: {cseq} {method}",
                 f"Contact: <sip:0987654321@{self.address[0]}:{self.address[1]}>", "Max-Forwards: 70"]
        lines += ["Content-Type: application/sdp"] if body else []
        lines += [f"Content-Length: {len(body.encode())}", "", body]
        assert self.transport is not None
        self.transport.sendto("\r\n".join(lines).encode(), self.switch)

    def _response(self, message: str, status: int) -> None:
        call = self.calls.get(_header(message, "call-id"))
        method = _header(message, "cseq").split()[-1] if _header(message, "cseq") else ""
        if call is None or method != "INVITE" or "uri" not in call.headers:
            return
        if status >= 300:
            self._request(call, "ACK")
            log.info("demo carrier: the call to the hotline was refused (%d)", status)
            self._end(call)
        elif status == 200:
            call.headers["to"] = _header(message, "to")  # with tongdai's tag
            contact = re.search(r"<([^>]+)>", _header(message, "contact"))
            if contact:
                call.headers["uri"] = contact.group(1)
            self._request(call, "ACK")
            call.target = _media_of(message)
            if call.task is None:
                call.task = asyncio.get_running_loop().create_task(
                    self._play(call, CALL_IN_HZ, float(call.headers["seconds"])))

    def _bye(self, call: _Call) -> None:
        if "uri" in call.headers:
            self._request(call, "BYE")
        self._end(call)

    # -- the control socket -------------------------------------------------------------------------

    async def _command(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            words = (await asyncio.wait_for(reader.readline(), 5)).decode().split()
            if len(words) == 3 and words[0] == "call-in" and words[1].lstrip("+").isdigit():
                call_id = self.call_in(words[1], min(float(words[2]), MAX_SECONDS))
                writer.write(f"calling {words[1]} ({call_id})\n".encode())
            else:
                writer.write(b"error: usage: call-in <number> <seconds>\n")
            await writer.drain()
        except (OSError, ValueError, TimeoutError) as exc:
            log.warning("demo carrier: control request failed: %s", exc)
        finally:
            writer.close()
