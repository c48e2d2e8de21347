"""An OPTIONS request to a peer (a carrier's trunk) through the switch's own SIP socket, so it leaves
from the address the carrier knows. Any final answer means the peer is reachable; silence is judged by
the caller (sippy's own timeout is 32 s)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sippy.SipAddress import SipAddress
from sippy.SipFrom import SipFrom
from sippy.SipRequest import SipRequest
from sippy.SipURL import SipURL

from .wire import valid_destination


def send_options(global_config: dict[str, Any], host: str, port: int, on_answer: Callable[[int], None]) -> bool:
    """SIP thread: send one OPTIONS to host:port; `on_answer(status)` when a final answer arrives
    (sippy's 408 after 32 s of silence included). False when the address cannot be used."""
    if not valid_destination((host, port)):
        return False
    ruri = SipURL(host=host, port=port)
    me = SipURL(username="tongdai", host=global_config["_sip_address"], port=global_config["_sip_port"])
    fr0m = SipFrom(address=SipAddress(url=me))
    fr0m.genTag()
    req = SipRequest(method="OPTIONS", ruri=ruri, fr0m=fr0m, cseq=1)

    def answered(resp: Any) -> None:
        status = resp.getSCode()[0]
        if status >= 200:
            on_answer(status)

    global_config["_sip_tm"].newTransaction(req, answered)
    return True
