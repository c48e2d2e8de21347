"""The call log."""

from __future__ import annotations

from pydantic import BaseModel, Field

from .common import Page, Timestamp


class CallOut(BaseModel):
    id: str
    direction: str
    agent_id: str | None
    hotline_id: str | None
    hotline_number: str | None
    customer_number: str | None
    callee_agent_id: str | None
    caller_id_reasons: list[str]
    started_at: Timestamp
    ringing_at: Timestamp | None
    answered_at: Timestamp | None
    ended_at: Timestamp | None
    talk_seconds: float | None
    sip_status: int | None
    end_reason: str | None
    hung_up_by: str | None
    recorded: bool = Field(description="rtpengine recorded the call (see `recorded_by`, `recording_id`)")
    recorded_by: str | None = Field(None, description="which setting recorded it: `hotline` or `adaptive_number` "
                                    "(an outbound call's `record_calls`), `queue` (an inbound call's queue's "
                                    "`record_calls`; a hotline's switch does not record inbound calls)",
                                    examples=["queue"])
    recording_id: str | None = Field(None, description="its recording (`GET /recordings/{id}`, `.../audio`)",
                                     examples=["re_4k2m9x7q1w3e5r"])
    queue_id: str | None = Field(None, description="inbound: the queue that served the call (the last one, after "
                                                   "an overflow)")
    queued_at: Timestamp | None = None
    queue_seconds: float | None = Field(None, description="inbound: entering the queue to the answer, or to the end")
    ring_seconds: float | None = Field(None, description="inbound: the answering agent's phone rang this long")
    agents_offered: list[str] = Field(default_factory=list, description="inbound: agents rung, in order")
    overflow: str | None = Field(None, description="inbound: what max wait did: queue:<id>, external:<number> or "
                                                   "hangup")
    wrap_up_seconds: float | None = Field(None, description="inbound: wrap-up the answering agent actually took")
    ivr_tree_id: str | None = Field(None, description="inbound through an IVR: its tree")
    ivr_path: list[str] = Field(default_factory=list, description="inbound through an IVR: the nodes entered, in order")
    ivr_keys: list[str] = Field(default_factory=list, description="inbound through an IVR: the keys pressed, in order")
    ivr_seconds: float | None = Field(None, description="inbound through an IVR: seconds from the answer to leaving "
                                                        "the IVR (or to the end)")


class CallList(Page):
    items: list[CallOut]


class ClickToCallIn(BaseModel):
    model_config = {"extra": "forbid"}
    agent_id: str = Field(max_length=40, description="the agent whose phone (or call widget) rings first",
                          examples=["ag_2w5kq3m8x1zv7n"])
    destination: str = Field(min_length=1, max_length=40, description="the customer's number, as an agent "
                             "would dial it", examples=["0981234567"])
    caller: str | None = Field(None, max_length=40, description="the hotline or adaptive number to call from (its "
                               "id or number); empty: the caller-ID decision picks, as for the agent's own calls",
                               examples=["+84912000001"])


class ClickToCallOut(BaseModel):
    call_id: str = Field(description="the call's id in the call log and the event stream", examples=["ca_x"])
