"""The agents' registrar: REGISTER with digest authentication, several contacts per agent, expiry.

The registrar owns the live bindings (one writer: the SIP thread). Every change is handed to
`on_change` so the application can persist it; `restore()` loads the persisted ones at start.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sippy.SipHeader import SipHeader

from ..domain.directory import Directory
from ..domain.model import Agent
from . import auth
from .headers import refusal

log = logging.getLogger("tongdai.sip")

MIN_EXPIRES, DEFAULT_EXPIRES, MAX_EXPIRES = 30, 3600, 3600
MAX_BINDINGS = 10  # phones per agent: a queue offer rings them all, so more would be an amplifier


@dataclass(frozen=True)
class Binding:
    agent_id: str
    tenant_id: str
    contact: str  # the Contact URI, e.g. sip:an@127.0.0.1:5070
    host: str  # where requests for it are sent (the address it registered from)
    port: int
    expires_at: float  # wall clock, seconds since the epoch
    user_agent: str = ""
    registered_at: float = 0.0  # when its last REGISTER came (0 for a binding restored at start)

    @property
    def transport(self) -> str:
        """`ws` for a browser's WebSocket connection (its host is the connection's `<id>.invalid`)."""
        return "ws" if self.host.endswith(WS_HOST_SUFFIX) else "udp"

    @property
    def next_hop(self) -> tuple[tuple[str, int], str]:
        """Where and how requests for it are sent (sippy's next hop and transport)."""
        return (self.host, self.port or 5060), self.transport


WS_HOST_SUFFIX = ".invalid"  # RFC 7118: a WebSocket client's Contact host, unresolvable on purpose


class Registrar:
    def __init__(self, on_change: Callable[[str, list[Binding]], None],
                 throttle: auth.Throttle | None = None, clock: Callable[[], float] = time.time,
                 browser: auth.BrowserAuth | None = None):
        self.on_change = on_change
        self.throttle = throttle or auth.Throttle()
        self.browser = browser  # the widget's short-lived credentials, when the switch takes them
        self.replays = auth.ReplayGuard()  # shared with INVITE authentication: one nonce, one use
        self.clock = clock
        self._bindings: dict[str, dict[str, Binding]] = {}
        self.count_change: Callable[[str], None] = lambda change: None  # "added" / "removed", for /metrics

    def count(self) -> int:
        """Live bindings of every agent."""
        now = self.clock()
        return sum(1 for bindings in self._bindings.values() for b in bindings.values() if b.expires_at > now)

    def restore(self, bindings: list[Binding]) -> None:
        """The bindings of the last run, but a browser's: its WebSocket connection ended with that run."""
        now = self.clock()
        for b in bindings:
            if b.expires_at > now and b.transport == "udp":
                self._bindings.setdefault(b.agent_id, {})[b.contact] = b

    def contacts(self, agent_id: str) -> list[Binding]:
        """Live bindings of an agent, the most recently registered first (not the longest expiry: a
        phone registered last is the one the agent is at); expired ones are dropped here."""
        now = self.clock()
        current = self._bindings.get(agent_id, {})
        live = [b for b in current.values() if b.expires_at > now]
        if len(live) != len(current):
            self._bindings[agent_id] = {b.contact: b for b in live}
        return sorted(live, key=lambda b: (-b.registered_at, -b.expires_at))

    def handle(self, req: Any, directory: Directory) -> Any:
        """Answer one REGISTER, with the configuration snapshot the switch routes by (None: drop it)."""
        to_url = req.getHFBody("to").getUrl()
        username = to_url.username or ""
        domain = directory.realm_for(to_url.host or "")  # only under the tenant's own domain
        agent = auth.authenticate(req, directory, domain=domain, username=username, throttle=self.throttle,
                                  replays=self.replays, proxy=False, asked_domain=to_url.host or "",
                                  browser=self.browser)
        if not isinstance(agent, Agent):
            return agent  # a refusal, or None: dropped unanswered
        host, port = req.getSource()
        if req.getSource(2)[1] == "wss":  # the connection is the binding: sippy put its id in the Contact
            contacts = [c for c in req.getHFBodys("contact") if not c.asterisk]
            connection = contacts[0].getUrl().host if contacts else ""
            if not connection.endswith(WS_HOST_SUFFIX):
                return refusal(req, 400, "Bad Request", "invalid_contact", "a WebSocket client registers one "
                               "Contact and no proxy in between")
            host, port = connection, 0
        return self._update(req, agent, host, port)

    def connection_closed(self, connection: str) -> None:
        """A browser's WebSocket closed: its bindings go at once, not when they expire."""
        for agent_id, bindings in list(self._bindings.items()):
            kept = {uri: b for uri, b in bindings.items() if b.host != connection}
            if len(kept) != len(bindings):
                self._bindings[agent_id] = kept
                log.info("agent %s: its browser's WebSocket closed; %d binding(s) left", agent_id, len(kept))
                self.on_change(agent_id, self.contacts(agent_id))

    def _update(self, req: Any, agent: Agent, host: str, port: int) -> Any:
        default = DEFAULT_EXPIRES
        if req.countHFs("expires") > 0:
            default = req.getHFBody("expires").getNum()
        now = self.clock()
        bindings = dict(self._bindings.get(agent.id, {}))  # changed as a whole, or not at all
        user_agent = str(req.getHFBody("user-agent")) if req.countHFs("user-agent") > 0 else ""
        for contact in req.getHFBodys("contact"):
            if contact.asterisk:
                if default == 0:
                    bindings.clear()
                continue
            param = contact.getUri().getParam("expires")
            expires = int(param) if param and param.isdigit() else default
            uri = str(contact.getUrl())
            if expires == 0:
                bindings.pop(uri, None)
                continue
            if expires < MIN_EXPIRES:
                resp = req.genResponse(423, "Interval Too Brief")
                resp.appendHeader(SipHeader(name="min-expires", bodys=str(MIN_EXPIRES)))
                return resp
            bindings[uri] = Binding(agent.id, agent.tenant_id, uri, host, port, now + min(expires, MAX_EXPIRES),
                                    user_agent, registered_at=now)
        if sum(1 for b in bindings.values() if b.expires_at > now) > MAX_BINDINGS:
            log.warning("REGISTER %s from %s:%d refused: more than %d phones", agent.sip_username, host, port,
                        MAX_BINDINGS)
            return refusal(req, 403, "Forbidden", "too_many_bindings",
                           f"an agent may register at most {MAX_BINDINGS} phones")
        before = self._bindings.get(agent.id, {})
        for uri in bindings.keys() - before.keys():
            self.count_change("added")
            log.info("registration added: agent=%s tenant=%s contact=%s source=%s:%d expires=%ds", agent.id,
                     agent.tenant_id, uri, host, port, int(bindings[uri].expires_at - now),
                     extra={"agent_id": agent.id, "tenant_id": agent.tenant_id})
        for uri in before.keys() - bindings.keys():
            self.count_change("removed")
            log.info("registration removed: agent=%s tenant=%s contact=%s", agent.id, agent.tenant_id, uri,
                     extra={"agent_id": agent.id, "tenant_id": agent.tenant_id})
        self._bindings[agent.id] = bindings
        live = self.contacts(agent.id)
        self.on_change(agent.id, live)
        resp = req.genResponse(200, "OK")
        for b in live:
            resp.appendHeader(SipHeader(name="contact", bodys=f"<{b.contact}>;expires={int(b.expires_at - now)}"))
        return resp
