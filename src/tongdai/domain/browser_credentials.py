"""Short-lived SIP credentials for the browser widget: the browser never holds an agent's own SIP password.

After a portal sign-in, the widget is given a digest username of the form
`<agent's SIP username>~<expiry, epoch seconds>~<credential id>` and a password derived from it with a
secret only tongdai knows (HMAC-SHA256). The switch checks one without storing it: the username names the
agent (so it is useless for another), carries its expiry, and its id can be revoked (a sign-out)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

LIFETIME_SECONDS = 3600  # the widget asks for a new one well before
SEPARATOR = "~"


@dataclass(frozen=True)
class BrowserCredential:
    agent_id: str
    sip_username: str  # the agent's address of record (what the widget registers)
    username: str  # the digest username
    password: str
    expires_at: float
    id: str


@dataclass(frozen=True)
class Claim:
    """What a digest username of this form says (not yet proven)."""
    sip_username: str
    expires_at: float
    id: str


def issue(secret: bytes, *, agent_id: str, sip_username: str, now: float,
          lifetime: float = LIFETIME_SECONDS) -> BrowserCredential:
    expires_at = int(now + lifetime)
    credential_id = secrets.token_hex(8)
    username = SEPARATOR.join((sip_username, str(expires_at), credential_id))
    return BrowserCredential(agent_id, sip_username, username, password(secret, agent_id, username), expires_at,
                             credential_id)


def password(secret: bytes, agent_id: str, username: str) -> str:
    mac = hmac.new(secret, f"{agent_id}\n{username}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:24]).decode()


def claim(username: str) -> Claim | None:
    """The parts of a browser credential's username, or None when it is not one."""
    parts = username.split(SEPARATOR)
    if len(parts) != 3 or not parts[0] or not parts[1].isdigit() or len(parts[1]) > 12 or not parts[2].isalnum():
        return None
    return Claim(parts[0], float(parts[1]), parts[2])


def ha1(username: str, realm: str, secret_password: str, algorithm: str) -> str:
    """The digest HA1 (RFC 7616) the switch checks a browser's response with."""
    text = f"{username}:{realm}:{secret_password}".encode()
    return (hashlib.sha256 if algorithm.upper() == "SHA-256" else hashlib.md5)(text).hexdigest()
