"""SIP headers tongdai writes: its Contact, P-Asserted-Identity, and refusals that carry a machine code."""

from __future__ import annotations

from typing import Any

from sippy.SipContact import SipContact
from sippy.SipGenericHF import SipGenericHF
from sippy.SipHeader import SipHeader


def our_contact(global_config: dict[str, Any], user: str) -> SipContact:
    """tongdai's Contact for a leg, without sippy's default display name "Anonymous"."""
    contact = SipContact(body=f"<sip:{user}@{global_config['_sip_address']}:{global_config['_sip_port']}>")
    contact.parse()
    return contact


def asserted_identity(number: str, host: str) -> SipHeader:
    return SipHeader(name="p-asserted-identity", bodys=f"<sip:{number}@{host}>")


class _Named(SipGenericHF):
    """A header sippy does not know, written with its usual capitals (sippy would write `Session-expires`)."""

    def __init__(self, name: str, body: str):
        super().__init__(body, name.lower())
        self.canonical = name

    def getCopy(self) -> _Named:  # noqa: N802 - sippy's naming
        return _Named(self.canonical, self.body)

    def getCanName(self, name: str, compact: bool = False) -> str:  # noqa: N802 - sippy's naming
        return self.canonical


def named(name: str, body: str) -> SipHeader:
    return SipHeader(name=name.lower(), body=_Named(name, body))


def session_timer_headers(session_expires: int | None) -> tuple[SipHeader, ...]:
    """RFC 4028 in an INVITE to a carrier: tongdai supports session timers and refreshes the session."""
    if not session_expires:
        return ()
    return (SipHeader(name="supported", bodys="timer"),
            named("Session-Expires", f"{session_expires};refresher=uac"),
            named("Min-SE", str(min(90, session_expires))))


def reason_headers(status: int, code: str, why: str) -> tuple[SipHeader, SipHeader]:
    """`Reason` with the machine code and a readable `Warning`."""
    text = why.replace('"', "'")
    return (SipHeader(name="reason", bodys=f'SIP;cause={status};text="{code}"'),
            SipHeader(name="warning", bodys=f'399 tongdai "{code}: {text}"'))


def refusal(req: Any, status: int, reason: str, code: str, why: str) -> Any:
    """A final response that carries the machine code in Reason and a readable Warning."""
    resp = req.genResponse(status, reason)
    for header in reason_headers(status, code, why):
        resp.appendHeader(header)
    return resp


def contact_user(contact: str, default: str) -> str:
    """The user part of a registered Contact URI (what the phone expects in the Request-URI)."""
    return contact.split(":", 1)[1].split("@", 1)[0] if "@" in contact else default


def unusable(req: Any) -> tuple[str, str] | None:
    """Why a request cannot be used, as (code, explanation), or None: `malformed_request` for a header
    that does not parse (sippy parses them only when first read, so this reads them all now),
    `invalid_address` for a Via, Contact or Record-Route port outside 1-65535 (a response or a later
    request would go there)."""
    try:
        for header in req.headers:
            header.getBody()
        address = _unusable_address(req)
    except Exception as exc:  # whatever sippy's parsers raise on garbage
        return "malformed_request", f"a header does not parse ({type(exc).__name__}: {exc})"
    return ("invalid_address", address) if address is not None else None


def _unusable_address(req: Any) -> str | None:
    for via in req.getHFBodys("via"):
        host, port = via.getAddr()
        if port is not None and not _port_ok(port):
            return f"Via port {port}"
        rport = via.params.get("rport")
        if rport and not (rport.isdigit() and _port_ok(int(rport))):
            return f"Via rport {rport}"
    for name in ("contact", "record-route"):
        for body in req.getHFBodys(name):
            if getattr(body, "asterisk", False):
                continue
            port = body.getUrl().port
            if port is not None and not _port_ok(port):
                return f"{name.title()} port {port}"
    return None


def _port_ok(port: object) -> bool:
    return isinstance(port, int) and not isinstance(port, bool) and 0 < port < 65536
