"""The running switch as the API sees it: a small typed facade that does the hop into the SIP thread
itself, with the `ask` the composition root hands it (the bridge's: the switch's state has one
owner, that thread), and turns refusals into rule violations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from ..domain.errors import RuleViolation, Violation


class SwitchPort(Protocol):
    """What the switch answers; every method runs in the SIP thread."""

    def agent_status(self, agent_id: str) -> dict[str, Any]: ...
    def set_agent_status(self, agent_id: str, status: str, reason: str | None) -> dict[str, Any]: ...
    def agent_ready(self, agent_id: str) -> dict[str, Any]: ...
    def queue_live(self, queue_id: str) -> dict[str, Any]: ...
    def trunk_health(self) -> dict[str, dict[str, Any]]: ...
    def revoke_browser_credential(self, credential_id: str, expires_at: float) -> None: ...
    def click_to_call(self, agent_id: str, destination: str, caller: str | None) -> dict[str, Any]: ...
    def metrics_view(self) -> dict[str, Any]: ...


Ask = Callable[..., Any]  # ask(fn, *args): run fn(*args) in the SIP thread and wait for its result


class LiveSwitch:
    def __init__(self, switch: SwitchPort, ask: Ask):
        self._switch = switch
        self._ask = ask  # the bridge's hop into the SIP thread (sip.engine.Bridge.ask_sip)

    def metrics(self) -> dict[str, Any]:
        """The switch's live figures for /metrics."""
        return self._ask(self._switch.metrics_view)

    def agent_status(self, agent_id: str) -> dict[str, Any]:
        """offline, available, ringing, on_call, wrap_up or away, with the reason and wrap-up end."""
        return self._ask(self._switch.agent_status, agent_id)

    def set_agent_status(self, agent_id: str, status: str, reason: str | None) -> dict[str, Any]:
        try:
            return self._ask(self._switch.set_agent_status, agent_id, status, reason)
        except ValueError as exc:
            raise RuleViolation(Violation("status", "invalid_transition", str(exc))) from None

    def agent_ready(self, agent_id: str) -> dict[str, Any]:
        return self._ask(self._switch.agent_ready, agent_id)

    def queue_live(self, queue_id: str) -> dict[str, Any]:
        return self._ask(self._switch.queue_live, queue_id)

    def trunk_health(self) -> dict[str, dict[str, Any]]:
        """Each trunk's health from the switch's OPTIONS checks (state up, down or unknown)."""
        return self._ask(self._switch.trunk_health)

    def click_to_call(self, agent_id: str, destination: str, caller: str | None) -> dict[str, Any]:
        """Ring the agent's phone, then call the customer (raises RuleViolation with the SIP refusal's code)."""
        return self._ask(self._switch.click_to_call, agent_id, destination, caller)

    def revoke_browser_credential(self, credential_id: str, expires_at: float) -> None:
        """A widget's SIP credential stops working now."""
        self._ask(self._switch.revoke_browser_credential, credential_id, expires_at)


def not_running() -> RuleViolation:
    return RuleViolation(Violation("switch", "switch_not_running", "the SIP switch is not running (TONGDAI_SIP=off)"))
