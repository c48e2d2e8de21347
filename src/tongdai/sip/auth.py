"""Digest authentication against stored HA1 values (MD5 and SHA-256), failure throttling, and replay
protection: a digest answers for its own Request-URI only, each nonce (and nonce count) is accepted
once, and a stale or reused nonce is challenged again with `stale=true`."""

from __future__ import annotations

import logging
import time
from collections import defaultdict, deque
from collections.abc import Callable
from typing import Any

from sippy.SipHeader import SipHeader
from sippy.SipProxyAuthenticate import SipProxyAuthenticate
from sippy.SipWWWAuthenticate import SipWWWAuthenticate

from ..domain import browser_credentials
from ..domain.directory import Directory
from ..domain.model import Agent

log = logging.getLogger("tongdai.sip")


NONCE_LIFETIME = 32.0  # seconds: sippy's nonces (an encrypted timestamp) are valid this long


def challenge(realm: str, *, proxy: bool, stale: bool = False) -> SipHeader:
    """A fresh WWW-Authenticate (REGISTER) or Proxy-Authenticate (INVITE) header for `realm`;
    `stale=true` tells the client its credentials were right but the nonce is used up or expired."""
    body = SipProxyAuthenticate(realm=realm) if proxy else SipWWWAuthenticate(realm=realm)
    name = "proxy-authenticate" if proxy else "www-authenticate"
    if stale:
        return SipHeader(name=name, bodys=f"{body},stale=true")
    return SipHeader(name=name, body=body)


class ReplayGuard:
    """Accepts each (nonce, nonce count) once while the nonce lives: a captured request cannot be
    sent again, neither to place calls nor to add or remove registrations."""

    def __init__(self, lifetime: float = NONCE_LIFETIME + 8, clock: Callable[[], float] = time.monotonic):
        self.lifetime = lifetime
        self.clock = clock
        self._seen: dict[tuple[str, str], float] = {}
        self._next_sweep = 0.0

    def first_use(self, nonce: str, nc: str | None) -> bool:
        now = self.clock()
        if now >= self._next_sweep:
            self._seen = {k: t for k, t in self._seen.items() if t > now}
            self._next_sweep = now + self.lifetime / 4
        key = (nonce, nc or "")
        if self._seen.get(key, 0.0) > now:
            return False
        self._seen[key] = now + self.lifetime
        return True


def nonce_fresh(creds: Any) -> bool:
    """The nonce is one of ours and has not expired (sippy's oracle decrypts its timestamp)."""
    from sippy.SipAuthorization import _HASH_FUNC
    try:
        return bool(creds.ho.validate_challenge(creds.nonce, (_HASH_FUNC[creds.algorithm][1],)))
    except Exception:  # an unknown algorithm or a nonce that is not ours
        return False


def uri_matches(creds: Any, req: Any) -> bool:
    """The digest was computed for this request's Request-URI (user, host and port compared)."""
    from sippy.SipURL import SipURL
    try:
        signed, ruri = SipURL(creds.uri), req.getRURI()
    except Exception:
        return False
    return (signed.username or "", (signed.host or "").lower(), signed.port) == \
        (ruri.username or "", (ruri.host or "").lower(), ruri.port)


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
    """Failed authentications per (source address, account): `limit` failures within `window_s` seconds
    block that pair for `block_s`, doubled each time the pair is blocked again (up to `block_most_s`) until
    it authenticates. Other accounts behind the same address are untouched, so a guesser (or a spoofer)
    cannot lock a whole office NAT out; a blocked pair's requests are dropped unanswered."""

    MOST_TRACKED = 100_000  # pairs remembered; beyond it the oldest are forgotten

    def __init__(self, limit: int = 5, window_s: float = 60.0, block_s: float = 60.0, block_most_s: float = 3600.0,
                 clock: Callable[[], float] = time.monotonic):
        self.limit, self.window_s, self.block_s, self.block_most_s = limit, window_s, block_s, block_most_s
        self.clock = clock
        self._failures: dict[tuple[str, str], deque[float]] = defaultdict(deque)
        self._blocked_until: dict[tuple[str, str], float] = {}
        self._strikes: dict[tuple[str, str], int] = {}  # how many times each pair was blocked

    def blocked(self, address: str, account: str) -> bool:
        key = (address, account)
        until = self._blocked_until.get(key)
        if until is None:
            return False
        if self.clock() >= until:
            del self._blocked_until[key]
            return False
        return True

    def failure(self, address: str, account: str) -> None:
        now = self.clock()
        key = (address, account)
        if len(self._failures) > self.MOST_TRACKED:
            self._forget(now)
        failures = self._failures[key]
        failures.append(now)
        while failures and failures[0] < now - self.window_s:
            failures.popleft()
        if len(failures) >= self.limit:
            strikes = self._strikes.get(key, 0) + 1
            self._strikes[key] = strikes
            block = min(self.block_s * 2 ** (strikes - 1), self.block_most_s)
            self._blocked_until[key] = now + block
            del self._failures[key]
            log.warning("throttling %s for %s: %d failed authentications within %.0f s; its requests are dropped "
                        "for %.0f s (block %d)", address, account, self.limit, self.window_s, block, strikes)

    def success(self, address: str, account: str) -> None:
        self._failures.pop((address, account), None)
        self._strikes.pop((address, account), None)

    def _forget(self, now: float) -> None:
        self._failures = defaultdict(deque, {k: v for k, v in self._failures.items()
                                             if v and v[-1] >= now - self.window_s})
        self._blocked_until = {k: t for k, t in self._blocked_until.items() if t > now}
        self._strikes = {k: n for k, n in self._strikes.items() if k in self._blocked_until or k in self._failures}


class BrowserAuth:
    """Checks the widget's short-lived credentials (`domain.browser_credentials`): the secret they are
    derived with, and the ids revoked before they expire (a sign-out). Owned by the SIP thread; `revoke`
    is handed to it."""

    def __init__(self, secret: bytes, clock: Callable[[], float] = time.time):
        self.secret = secret
        self.clock = clock
        self._revoked: dict[str, float] = {}  # id -> its expiry (forgotten after it)

    def revoke(self, credential_id: str, expires_at: float) -> None:
        now = self.clock()
        self._revoked = {k: t for k, t in self._revoked.items() if t > now}
        self._revoked[credential_id] = expires_at

    def verify(self, creds: Any, agent: Agent, method: str) -> bool:
        """The digest was made with a live browser credential of this very agent."""
        claim = browser_credentials.claim(creds.username or "")
        if claim is None or claim.sip_username != agent.sip_username or claim.expires_at <= self.clock() \
                or claim.id in self._revoked:
            return False
        password = browser_credentials.password(self.secret, agent.id, creds.username)
        algorithm = (creds.algorithm or "MD5").upper()
        if algorithm not in ("MD5", "SHA-256"):
            return False
        ha1 = browser_credentials.ha1(creds.username, creds.realm, password, algorithm)
        try:
            return bool(creds.verifyHA1(ha1.encode(), method, None))
        except Exception:  # a malformed header must never take the engine down
            return False


def authenticate(req: Any, directory: Directory, *, domain: str | None, username: str, throttle: Throttle,
                 replays: ReplayGuard, proxy: bool, asked_domain: str = "",
                 browser: BrowserAuth | None = None) -> Agent | Any | None:
    """The agent `username@domain` whose digest credentials this request carries, or the response
    that refuses it: 403 for an unknown domain or wrong credentials (each failure counts towards the
    throttle of this address and account), 401/407 with a fresh challenge when credentials are missing
    or for another realm; None (drop it unanswered) while this address is throttled for this account.
    REGISTER (`proxy=False`) and INVITE (`proxy=True`) share every step. The digest is made with the
    agent's own SIP password, or with a browser credential of that agent (`browser`)."""
    host, port = req.getSource()
    account = f"{username}@{domain or asked_domain.lower()}"
    if throttle.blocked(host, account):
        return None
    if domain is None:
        throttle.failure(host, account)
        return req.genResponse(403, "Forbidden")
    creds = credentials(req)
    if creds is None or creds.realm != domain:
        return _challenged(req, domain, proxy, stale=False)
    if not nonce_fresh(creds):
        return _challenged(req, domain, proxy, stale=True)
    agent = directory.agent_at(domain, username)
    if agent is None or not (
            (creds.username == username and verify(creds, req.getMethod(), agent.sip_ha1_md5, agent.sip_ha1_sha256))
            or (browser is not None and browser.verify(creds, agent, req.getMethod()))):
        throttle.failure(host, account)
        log.info("%s %s@%s from %s:%d refused: bad credentials", req.getMethod(), username, domain, host, port)
        return req.genResponse(403, "Forbidden")
    if not uri_matches(creds, req):  # a digest captured for one request, sent with another target
        throttle.failure(host, account)
        log.warning("%s %s@%s from %s:%d refused: the digest was made for %s", req.getMethod(), username, domain,
                    host, port, creds.uri)
        return req.genResponse(403, "Forbidden (digest uri)")
    if not replays.first_use(creds.nonce, creds.nc):
        log.info("%s %s@%s from %s:%d: nonce used before, challenged again", req.getMethod(), username, domain,
                 host, port)
        return _challenged(req, domain, proxy, stale=True)
    throttle.success(host, account)
    return agent


def _challenged(req: Any, domain: str, proxy: bool, *, stale: bool) -> Any:
    resp = req.genResponse(407, "Proxy Authentication Required") if proxy else req.genResponse(401, "Unauthorized")
    resp.appendHeader(challenge(domain, proxy=proxy, stale=stale))
    return resp
