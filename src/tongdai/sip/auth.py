"""Digest authentication against stored HA1 values (MD5 and SHA-256), and failure throttling."""

from __future__ import annotations

import logging
import time
from collections import defaultdict, deque
from typing import Any

from sippy.SipHeader import SipHeader
from sippy.SipProxyAuthenticate import SipProxyAuthenticate
from sippy.SipWWWAuthenticate import SipWWWAuthenticate

from ..domain.directory import Directory
from ..domain.model import Agent

log = logging.getLogger("tongdai.sip")


def challenge(realm: str, *, proxy: bool) -> SipHeader:
    """A fresh WWW-Authenticate (REGISTER) or Proxy-Authenticate (INVITE) header for `realm`."""
    body = SipProxyAuthenticate(realm=realm) if proxy else SipWWWAuthenticate(realm=realm)
    return SipHeader(name="proxy-authenticate" if proxy else "www-authenticate", body=body)


def credentials(req: Any) -> Any:
    """The Authorization or Proxy-Authorization body of a request, parsed, or None."""
    for name in ("proxy-authorization", "authorization"):
        if req.countHFs(name) > 0:
            body = req.getHFBody(name)
            if not body.parsed:
                body.parse()
            return body
    return None


def verify(auth, method: str, ha1_md5: str, ha1_sha256: str) -> bool:
    """Check a digest response with the stored HA1 of the algorithm the client used."""
    algorithm = (auth.algorithm or "MD5").upper()
    if algorithm == "MD5":
        ha1 = ha1_md5
    elif algorithm == "SHA-256":
        ha1 = ha1_sha256
    else:
        return False
    try:
        return auth.verifyHA1(ha1.encode(), method, None)  # sippy hashes HA1 as bytes
    except Exception:  # a malformed header must never take the engine down
        return False


class Throttle:
    """Refuse an address for `block_s` seconds after `limit` failures within `window_s` seconds."""

    def __init__(self, limit: int = 5, window_s: float = 60.0, block_s: float = 60.0, clock=time.monotonic):
        self.limit, self.window_s, self.block_s, self.clock = limit, window_s, block_s, clock
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._blocked_until: dict[str, float] = {}

    def blocked(self, address: str) -> bool:
        until = self._blocked_until.get(address)
        if until is None:
            return False
        if self.clock() >= until:
            del self._blocked_until[address]
            return False
        return True

    def failure(self, address: str) -> None:
        now = self.clock()
        failures = self._failures[address]
        failures.append(now)
        while failures and failures[0] < now - self.window_s:
            failures.popleft()
        if len(failures) >= self.limit:
            self._blocked_until[address] = now + self.block_s
            failures.clear()
            log.warning("throttling %s: %d failed authentications within %.0f s; refused for %.0f s",
                        address, self.limit, self.window_s, self.block_s)

    def success(self, address: str) -> None:
        self._failures.pop(address, None)


def authenticate(req: Any, directory: Directory, *, domain: str | None, username: str, throttle: Throttle,
                 proxy: bool) -> Agent | Any:
    """The agent `username@domain` whose digest credentials this request carries, or the response
    that refuses it: 403 for a throttled address, an unknown domain or wrong credentials (each
    failure counts towards the throttle), 401/407 with a fresh challenge when credentials are missing
    or for another realm. REGISTER (`proxy=False`) and INVITE (`proxy=True`) share every step."""
    host, port = req.getSource()
    if throttle.blocked(host):
        return req.genResponse(403, "Forbidden (too many failures)")
    if domain is None:
        throttle.failure(host)
        return req.genResponse(403, "Forbidden")
    creds = credentials(req)
    if creds is None or creds.realm != domain:
        resp = req.genResponse(407, "Proxy Authentication Required") if proxy else \
            req.genResponse(401, "Unauthorized")
        resp.appendHeader(challenge(domain, proxy=proxy))
        return resp
    agent = directory.agent_at(domain, username)
    if agent is None or creds.username != username or not verify(
            creds, req.getMethod(), agent.sip_ha1_md5, agent.sip_ha1_sha256):
        throttle.failure(host)
        log.info("%s %s@%s from %s:%d refused: bad credentials", req.getMethod(), username, domain, host, port)
        return req.genResponse(403, "Forbidden")
    throttle.success(host)
    return agent
