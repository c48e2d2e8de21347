"""SIP over WebSocket (RFC 7118) for the browser widget, served by tongdai's own HTTP server at `/sip`.

Each browser's WebSocket is one connection of a single sippy "server" whose transport is `wss`: its
messages enter sippy's transaction manager in the SIP thread like datagrams, with the connection's id
(`<uuid>.invalid`) as the address sippy writes into the Contact and Via, and what sippy sends to that
address goes down that socket, in order. When the socket closes, the registrar drops its bindings at once.
The same per-source rate limit as UDP applies (to the browser's IP address)."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from typing import Any

from sippy.Network_server import Network_server, Network_server_opts, Remote_address
from sippy.Time.MonoTime import MonoTime
from starlette.websockets import WebSocket, WebSocketDisconnect

from . import wire
from .engine import Bridge
from .registrar import WS_HOST_SUFFIX

log = logging.getLogger("tongdai.sip")

MAX_MESSAGE = 64 * 1024  # a SIP message over a WebSocket; larger ones close the connection
SUBPROTOCOL = "sip"


class WebSocketTransport(Network_server):
    """sippy's view of every browser connection: `send_to` runs in the SIP thread and queues the message
    for the connection's writer on the asyncio loop; `handle_read` is called in the SIP thread."""

    transport = "wss"

    def __init__(self, data_callback: Callable[..., Any], laddress: tuple[str, int]):
        super().__init__(Network_server_opts(laddress, data_callback))
        self.loop: asyncio.AbstractEventLoop | None = None
        self.connections: dict[str, asyncio.Queue[str]] = {}

    def send_to(self, data: bytes | str, address: Any, delayed: bool = False) -> None:
        queue = self.connections.get(address[0])
        if queue is None or self.loop is None:
            return  # the browser has gone: like a datagram to nobody
        text = data.decode() if isinstance(data, bytes) else data
        wire.stats.sent_message(text)
        try:
            self.loop.call_soon_threadsafe(queue.put_nowait, text)
        except RuntimeError:  # the loop is closing
            return

    def join(self) -> None:
        return


class SipWebSocket:
    """The `/sip` endpoint. `attach` is called in the SIP thread once the engine runs (sippy's transaction
    manager is then known); until then, and after `detach`, connections are refused."""

    def __init__(self, global_config: dict[str, Any], on_closed: Callable[[str], None]):
        self.global_config = global_config
        self.on_closed = on_closed  # in the SIP thread: the registrar forgets the connection's bindings
        self.transport: WebSocketTransport | None = None

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        tm = self.global_config["_sip_tm"]
        transport = WebSocketTransport(tm.handleIncoming, (self.global_config["_sip_address"],
                                                           self.global_config["_sip_port"]))
        transport.loop = loop
        self.global_config["_wss_server"] = transport
        self.transport = transport

    def detach(self) -> None:
        self.global_config.pop("_wss_server", None)
        self.transport = None

    async def endpoint(self, ws: WebSocket) -> None:
        transport = self.transport
        if SUBPROTOCOL not in ws.scope.get("subprotocols", []) or transport is None:
            await ws.close(code=1002 if transport is not None else 1013)
            return
        await ws.accept(subprotocol=SUBPROTOCOL)
        client = ws.client
        peer = (client.host, client.port) if client is not None else ("0.0.0.0", 0)
        connection = f"{uuid.uuid4().hex}{WS_HOST_SUFFIX}"
        outgoing: asyncio.Queue[str] = asyncio.Queue()
        transport.connections[connection] = outgoing
        writer = asyncio.create_task(self._write(ws, outgoing))
        address = Remote_address(peer, "wss")
        address.received = connection
        log.info("SIP WebSocket %s from %s:%d", connection, *peer)
        try:
            while True:
                message = await ws.receive()
                if message["type"] == "websocket.disconnect":
                    break
                data = message.get("text")
                if data is None and message.get("bytes") is not None:
                    data = message["bytes"].decode("utf-8", "replace")
                if not data:
                    continue
                if len(data) > MAX_MESSAGE:
                    wire.stats.count("malformed", f"ws:{peer[0]}", f"a message of {len(data)} bytes")
                    await ws.close(code=1009)
                    break
                if not wire.limiter.allow(peer[0]):
                    wire.stats.count("rate_limited", f"ws:{peer[0]}", "over the source's rate")
                    continue  # dropped, as a datagram would be
                Bridge.to_sip(transport.handle_read, data, address, MonoTime())
        except (WebSocketDisconnect, RuntimeError):  # the browser left without a close frame
            log.debug("SIP WebSocket %s dropped", connection)
        finally:
            transport.connections.pop(connection, None)
            writer.cancel()
            Bridge.to_sip(self.on_closed, connection)
            log.info("SIP WebSocket %s closed", connection)

    @staticmethod
    async def _write(ws: WebSocket, outgoing: asyncio.Queue[str]) -> None:
        try:
            while True:
                await ws.send_text(await outgoing.get())
        except (WebSocketDisconnect, RuntimeError, asyncio.CancelledError):
            return
        except Exception:  # the socket broke while writing: the reader sees the close
            log.debug("SIP WebSocket write failed", exc_info=True)
