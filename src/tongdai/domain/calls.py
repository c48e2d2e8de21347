"""A call as the call log records it: who, through which hotline, and what happened when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

OUTBOUND, INBOUND, INTERNAL = "outbound", "inbound", "internal"


@dataclass
class CallRecord:
    id: str
    tenant_id: str
    direction: str
    started_at: datetime
    agent_id: str | None = None
    hotline_id: str | None = None
    hotline_number: str | None = None
    customer_number: str | None = None
    callee_agent_id: str | None = None
    caller_id_reasons: tuple[str, ...] = ()
    ringing_at: datetime | None = None
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    talk_seconds: float | None = None
    sip_status: int | None = None
    end_reason: str | None = None  # completed | busy | no_answer | rejected | cancelled | failed | refused | interrupted
    hung_up_by: str | None = None  # agent | customer | callee | system
    recorded: bool = False
    # inbound calls through a queue
    queue_id: str | None = None
    queued_at: datetime | None = None
    queue_seconds: float | None = None  # from entering the queue to the answer, or to the end unanswered
    ring_seconds: float | None = None  # the answering agent's phone ringing (or, unanswered, all offers' span)
    agents_offered: tuple[str, ...] = ()
    overflow: str | None = None  # what max wait did: queue:<id> | external:<number> | hangup
    wrap_up_seconds: float | None = None  # taken by the answering agent, ended by ready or its deadline

    def ring(self, now: datetime) -> bool:
        if self.ringing_at is None:
            self.ringing_at = now
            return True
        return False

    def answer(self, now: datetime) -> None:
        self.answered_at = now
        self.sip_status = 200
        if self.queued_at is not None:
            self.queue_seconds = round((now - self.queued_at).total_seconds(), 3)

    def offered(self, agent_id: str) -> None:
        self.agents_offered = (*self.agents_offered, agent_id)

    def end(self, now: datetime, *, status: int | None, reason: str, by: str | None) -> None:
        """Close the record once; later calls are ignored (both legs may report the end)."""
        if self.ended_at is not None:
            return
        self.ended_at = now
        if status is not None and self.sip_status is None:
            self.sip_status = status
        self.end_reason = reason
        self.hung_up_by = by
        if self.answered_at is not None:
            self.talk_seconds = round((now - self.answered_at).total_seconds(), 3)
        elif self.queued_at is not None:
            self.queue_seconds = round((now - self.queued_at).total_seconds(), 3)
            if self.ringing_at is not None:
                self.ring_seconds = round((now - self.ringing_at).total_seconds(), 3)


def end_reason_for(status: int) -> str:
    """The end reason of a call that failed with this final SIP status."""
    if status in (486, 600):
        return "busy"
    if status in (408, 480):
        return "no_answer"
    if status == 487:
        return "cancelled"
    if status in (403, 603):
        return "rejected"
    return "failed"
