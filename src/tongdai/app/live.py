"""The running switch as the API sees it: a small typed facade that does the hop into the SIP thread
itself (the switch's state has one owner, that thread) and turns refusals into rule violations."""

from __future__ import annotations

from typing import Any, Protocol

from ..domain.errors import RuleViolation, Violation
from ..sip.engine import Bridge


class SwitchPort(Protocol):
    """What the switch answers; every method runs in the SIP thread."""

    def agent_status(self, agent_id: str) -> dict[str, Any]: ...
    def set_agent_status(self, agent_id: str, status: str, reason: str | None) -> dict[str, Any]: ...
    def agent_ready(self, agent_id: str) -> dict[str, Any]: ...
    def queue_live(self, queue_id: str) -> dict[str, Any]: ...


class LiveSwitch:
    def __init__(self, switch: SwitchPort, timeout: float = 5.0):
        self._switch = switch
        self.timeout = timeout

    def agent_status(self, agent_id: str) -> dict[str, Any]:
        """offline, available, ringing, on_call, wrap_up or away, with the reason and wrap-up end."""
        return Bridge.ask_sip(self._switch.agent_status, agent_id, timeout=self.timeout)

    def set_agent_status(self, agent_id: str, status: str, reason: str | None) -> dict[str, Any]:
        try:
            return Bridge.ask_sip(self._switch.set_agent_status, agent_id, status, reason, timeout=self.timeout)
        except ValueError as exc:
            raise RuleViolation(Violation("status", "invalid_transition", str(exc))) from None

    def agent_ready(self, agent_id: str) -> dict[str, Any]:
        return Bridge.ask_sip(self._switch.agent_ready, agent_id, timeout=self.timeout)

    def queue_live(self, queue_id: str) -> dict[str, Any]:
        return Bridge.ask_sip(self._switch.queue_live, queue_id, timeout=self.timeout)


def not_running() -> RuleViolation:
    return RuleViolation(Violation("switch", "switch_not_running", "the SIP switch is not running (TONGDAI_SIP=off)"))
