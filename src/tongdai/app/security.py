"""Secrets: SIP digest HA1 values for agents, and API keys hashed with argon2."""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ..domain.errors import Forbidden

log = logging.getLogger("tongdai.api")

_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def sip_ha1(username: str, realm: str, password: str) -> tuple[str, str]:
    """HA1 = H(user:realm:password) in MD5 and in SHA-256 (RFC 8760); never the password itself."""
    a1 = f"{username}:{realm}:{password}".encode()
    return hashlib.md5(a1).hexdigest(), hashlib.sha256(a1).hexdigest()


@dataclass(frozen=True, slots=True)
class Principal:
    """Who an API key speaks for."""

    key_id: str
    role: str  # operator | admin | agent
    tenant_id: str | None = None
    agent_id: str | None = None

    @property
    def tenant(self) -> str:
        """The tenant an admin or agent key speaks for (an operator key has none)."""
        if self.tenant_id is None:
            raise Forbidden("this needs a tenant admin or agent key")
        return self.tenant_id


def hash_secret(secret: str) -> str:
    """An argon2 hash of a password or key secret."""
    return _hasher.hash(secret)


def new_api_key(key_id: str) -> tuple[str, str]:
    """A fresh key `tdk_<key id hex>_<secret hex>` and the argon2 hash of its secret."""
    secret = secrets.token_hex(24)
    return f"tdk_{key_id.removeprefix('ak_')}_{secret}", hash_secret(secret)


def split_key(key: str) -> tuple[str, str] | None:
    """(key id, secret) of a well-formed key, else None."""
    parts = key.split("_")
    if len(parts) != 3 or parts[0] != "tdk" or not parts[1].isalnum() or not parts[2].isalnum():
        return None
    return "ak_" + parts[1], parts[2]


# argon2 costs ~19 MiB and tens of ms per check: a few at a time, so a burst of guesses cannot take
# every core and gigabytes of memory (finding D6)
_argon2_slots = threading.BoundedSemaphore(2)


def verify_secret(secret: str, secret_hash: str) -> bool:
    with _argon2_slots:
        try:
            return _hasher.verify(secret_hash, secret)
        except (VerificationError, InvalidHashError):
            return False


class KeyFailures:
    """Refuses a client address (or any key: an email signing in) for `block_s` seconds after `limit`
    failures within `window_s` (answered 429 with Retry-After); the first refusal of each block is logged
    as `what`."""

    def __init__(self, limit: int = 10, window_s: float = 60.0, block_s: float = 60.0,
                 clock: Callable[[], float] = time.monotonic, what: str = "API: unknown keys"):
        self.limit, self.window_s, self.block_s, self.clock = limit, window_s, block_s, clock
        self.what = what
        self._failures: dict[str, list[float]] = {}
        self._blocked_until: dict[str, float] = {}
        self._lock = threading.Lock()

    def retry_after(self, address: str) -> int:
        """Seconds until this address may try again; 0 when it may now."""
        with self._lock:
            until = self._blocked_until.get(address, 0.0)
            left = until - self.clock()
            if left <= 0:
                self._blocked_until.pop(address, None)
                return 0
            return int(left) + 1

    def failed(self, address: str) -> None:
        now = self.clock()
        with self._lock:
            recent = [t for t in self._failures.get(address, []) if t > now - self.window_s] + [now]
            if len(self._failures) > 10_000:  # many addresses: forget the quiet ones
                self._failures = {a: f for a, f in self._failures.items() if f and f[-1] > now - self.window_s}
            self._failures[address] = recent
            if len(recent) >= self.limit:
                self._blocked_until[address] = now + self.block_s
                self._failures.pop(address, None)
                log.warning("%s: %d from %s within %.0f s: refused for %.0f s", self.what, self.limit,
                            address, self.window_s, self.block_s)


class VerifiedKeyCache:
    """Remembers keys verified recently so each request does not pay argon2's cost again.

    Only a SHA-256 of the full key is kept in memory; entries expire after `ttl` seconds.
    """

    def __init__(self, ttl: float = 60.0):
        self.ttl = ttl
        self._entries: dict[str, tuple[float, Principal]] = {}
        self._revoked: set[str] = set()
        self._lock = threading.Lock()

    @staticmethod
    def _digest(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    def get(self, key: str) -> Principal | None:
        with self._lock:
            entry = self._entries.get(self._digest(key))
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, key: str, principal: Principal) -> None:
        with self._lock:
            if len(self._entries) > 10_000:
                self._entries.clear()
            self._entries[self._digest(key)] = (time.monotonic() + self.ttl, principal)

    def forget_key(self, key_id: str) -> None:
        with self._lock:
            for k in [k for k, (_, p) in self._entries.items() if p.key_id == key_id]:
                del self._entries[k]
            self._revoked.add(key_id)

    def revoked(self, key_id: str) -> bool:
        """Revoked in this process since it started (an open event stream closes on it)."""
        return key_id in self._revoked

    def clear(self) -> None:
        """Forget every verification (keys changed in another process)."""
        with self._lock:
            self._entries.clear()

    def forget_tenant(self, tenant_id: str) -> None:
        with self._lock:
            for k in [k for k, (_, p) in self._entries.items() if p.tenant_id == tenant_id]:
                del self._entries[k]
