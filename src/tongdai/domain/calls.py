"""A call as the call log records it: who, through which hotline, and what happened when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

OUTBOUND, INBOUND, INTERNAL = "outbound", "inbound", "internal"


class LegState(StrEnum):
    """Where a call object of the switch stands: its handlers are chosen by this state."""

    TRYING = "trying"  # the caller's INVITE is being handled; nothing placed or answered yet
    ANSWERING = "answering"  # tongdai answers the caller itself (IVR, or a queue with music): rtpengine's SDP awaited
    IVR = "ivr"  # the caller was answered by the hotline's IVR and walks its tree
    RINGING = "ringing"  # the other side rings (or, queued, the caller hears ringback)
    FORWARDING = "forwarding"  # a queued call placed to an external number after max wait
    CONNECTED = "connected"
    ENDED = "ended"


# what a hotline with `recording_announcement` says to the customer before a recording starts
RECORDING_NOTICE = {
    "vi": "Cuộc gọi của quý khách có thể được ghi âm để nâng cao chất lượng dịch vụ.",
    "en": "This call may be recorded to improve our service.",
}


def notice_language(country: str) -> str:
    """A hotline's language for what it says: Vietnamese for a Vietnamese number, else English."""
    return "vi" if country == "VN" else "en"


@dataclass(frozen=True)
class RecordingStart:
    """rtpengine records a call: the recording's id, the setting that asked for it, rtpengine's call (its
    pcap is named after it) and the ports rtpengine received the customer's audio on (its channel)."""

    id: str
    recorded_by: str
    media_call_id: str
    customer_ports: tuple[int, ...]
    started_at: datetime


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
    # completed | busy | no_answer | rejected | cancelled | failed | refused | interrupted
    end_reason: str | None = None
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
    ivr_tree_id: str | None = None  # inbound through an IVR: its tree, the nodes entered, the keys, the time
    ivr_path: tuple[str, ...] = ()
    ivr_keys: tuple[str, ...] = ()
    ivr_seconds: float | None = None
    # a recorded call: which setting recorded it (hotline | adaptive_number for outbound calls, queue for
    # inbound ones), its recording, and what its conversion needs (rtpengine's call, the customer's ports)
    recorded_by: str | None = None
    recording_id: str | None = None
    recording: RecordingStart | None = None

    # Transitions. The call object that owns a record (BridgedCall, QueuedCall) is its only writer,
    # through these methods; once it ended, the queue that keeps it for wrap-up adds its wrap-up.

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

    def decided(self, *, customer_number: str, reasons: tuple[str, ...]) -> None:
        """The outbound caller-ID decision: who is called, and why this hotline (or why refused)."""
        self.customer_number, self.caller_id_reasons = customer_number, reasons

    def through(self, hotline_id: str, hotline_number: str) -> None:
        self.hotline_id, self.hotline_number = hotline_id, hotline_number

    def queued(self, queue_id: str, now: datetime) -> None:
        self.queue_id, self.queued_at = queue_id, now

    def answered_by_agent(self, agent_id: str, now: datetime, ringing_since: datetime | None) -> None:
        self.agent_id = agent_id
        self.answer(now)
        if ringing_since is not None:
            self.ring_seconds = round((now - ringing_since).total_seconds(), 3)

    def overflowed_to_queue(self, queue_id: str) -> None:
        self.overflow, self.queue_id = f"queue:{queue_id}", queue_id

    def overflowed_to_number(self, number: str) -> None:
        self.overflow = f"external:{number}"

    def overflowed_to_hangup(self) -> None:
        self.overflow = "hangup"

    def recording_started(self, start: RecordingStart) -> None:
        self.recorded = True
        self.recorded_by, self.recording_id, self.recording = start.recorded_by, start.id, start

    def wrap_up_taken(self, seconds: float) -> None:
        self.wrap_up_seconds = seconds

    def refuse(self, now: datetime, status: int) -> None:
        self.end(now, status=status, reason="refused", by="system")

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
