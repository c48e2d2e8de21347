"""The baseline for bench/switch_bench.py: a bare sippy B2BUA with the same signalling work as
tongdai's outbound path (challenge the agent with digest, check the answer, place the second leg with
a rewritten caller ID), and nothing else: no rtpengine, no caller-ID decision, no call log.

Run: python bench/bare_b2bua.py LISTEN_PORT CARRIER_PORT [--inbound]

With --inbound it is the baseline for bench/inbound_bench.py: INVITEs are not challenged and go
straight to CARRIER_PORT (there: the agents' SIPp), with no queue, agent states or media.
"""

from __future__ import annotations

import hashlib
import sys

from tongdai.sip import auth, compat

compat.apply()

from sippy.CCEvents import CCEventDisconnect, CCEventTry  # noqa: E402
from sippy.Core.EventDispatcher import ED2  # noqa: E402
from sippy.SipLogger import SipLogger  # noqa: E402
from sippy.SipTransactionManager import SipTransactionManager  # noqa: E402
from sippy.UA import UA  # noqa: E402

REALM, USER, PASSWORD = "demo.tongdai.local", "an", "demo-secret-1"
HA1 = hashlib.md5(f"{USER}:{REALM}:{PASSWORD}".encode()).hexdigest()


class Call:
    def __init__(self, config, carrier):
        self.config, self.carrier = config, carrier
        self.a = UA(config, self.from_a)
        self.b = None

    def from_a(self, event, ua):
        if self.b is None:
            if not isinstance(event, CCEventTry):
                self.a.recvEvent(CCEventDisconnect())
                return
            _cid, _cli, cld, body, _auth, _name = event.getData()
            self.b = UA(self.config, self.from_b, nh_address=("127.0.0.1", self.carrier))
            self.b.recvEvent(CCEventTry((None, "+84981000001", cld, body, None, None)))
            return
        self.b.recvEvent(event)

    def from_b(self, event, ua):
        self.a.recvEvent(event)


def main() -> None:
    port, carrier = int(sys.argv[1]), int(sys.argv[2])
    inbound = "--inbound" in sys.argv[3:]
    config = {**compat.configure_address("127.0.0.1", port), "_sip_logger": SipLogger("bare")}

    def on_request(req, sip_t):
        if req.getHFBody("to").getTag() is not None:
            return (req.genResponse(481, "Call Leg/Transaction Does Not Exist"), None, None)
        if req.getMethod() != "INVITE":
            return (req.genResponse(501, "Not Implemented"), None, None)
        if inbound:
            return Call(config, carrier).a.recvRequest(req, sip_t)
        creds = auth.credentials(req)
        if creds is None:
            resp = req.genResponse(407, "Proxy Authentication Required")
            resp.appendHeader(auth.challenge(REALM, proxy=True))
            return (resp, None, None)
        if not auth.verify(creds, "INVITE", HA1, ""):
            return (req.genResponse(403, "Forbidden"), None, None)
        return Call(config, carrier).a.recvRequest(req, sip_t)

    config["_sip_tm"] = SipTransactionManager(config, on_request)
    ED2.loop()


if __name__ == "__main__":
    main()
