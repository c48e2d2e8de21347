"""Queues and their live view."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from .common import In, NumberText, Page, Ref, Seconds, Text, Timestamp, left_out

WaitingAudio = Annotated[Literal["ringback", "music"], Field(description=(
    "what a caller waiting in this queue hears: `ringback` (180 Ringing; the call is not answered until an "
    "agent does) or `music` (the call is answered and music loops). A call that came through an IVR is "
    "answered already and always hears music."))]
MUSIC = "an uploaded audio file (`/audio`) played as music; null: the music tongdai ships"


class QueueGroupIn(In):
    group_id: Ref
    priority: Seconds = 1


class MaxWaitActionIn(In):
    type: Literal["hangup", "queue", "external"] = "hangup"
    queue_id: Ref | None = None
    number: NumberText | None = None
    reason: Text | None = None


class QueueIn(In):
    name: Text
    groups: Annotated[list[QueueGroupIn], Field(max_length=100)] = []
    strategy: Literal["ring_all", "longest_idle", "round_robin", "least_calls"] = "longest_idle"
    ring_timeout_seconds: Seconds = 20
    max_wait_seconds: Seconds = 300
    max_wait_action: MaxWaitActionIn = MaxWaitActionIn()
    record_calls: bool = Field(False, description="record the INBOUND calls this queue's agents answer (a "
                               "hotline's `record_calls` is for its outbound calls only)")
    waiting_audio: WaitingAudio = "ringback"
    music_audio_id: Annotated[Ref | None, Field(description=MUSIC)] = None


class QueuePatch(In):
    name: Text = left_out()
    groups: Annotated[list[QueueGroupIn], Field(max_length=100)] = left_out()
    strategy: Literal["ring_all", "longest_idle", "round_robin", "least_calls"] = left_out()
    ring_timeout_seconds: Seconds = left_out()
    max_wait_seconds: Seconds = left_out()
    max_wait_action: MaxWaitActionIn = left_out()
    record_calls: bool = left_out()
    waiting_audio: WaitingAudio = left_out()
    music_audio_id: Annotated[Ref | None, Field(description=MUSIC)] = left_out()


class QueueGroupOut(BaseModel):
    group_id: str
    priority: int


class MaxWaitActionOut(BaseModel):
    type: str
    queue_id: str | None
    number: str | None
    reason: str | None


class QueueOut(BaseModel):
    id: str
    name: str
    groups: list[QueueGroupOut]
    strategy: str
    ring_timeout_seconds: int
    max_wait_seconds: int
    max_wait_action: MaxWaitActionOut
    record_calls: bool
    waiting_audio: str
    music_audio_id: str | None


class QueueList(Page):
    items: list[QueueOut]


class WaitingCallOut(BaseModel):
    call_id: str
    waited_seconds: float
    notify_answer_seconds: float = Field(description="the hotline's answer-time alert threshold (0: off)")
    over_threshold: bool
    ringing_agents: list[str]


class TalkingCallOut(BaseModel):
    call_id: str
    agent_id: str
    waited_seconds: float
    talk_seconds: float


class QueueAgentOut(BaseModel):
    agent_id: str
    tier: int = Field(description="1 for the queue's primary groups, 2 for the first backups, ...")
    state: str
    reason: str | None
    call_id: str | None
    since: Timestamp | None = Field(None, description="when the agent entered its current state")
    wrap_up_until: Timestamp | None


class QueueLiveOut(BaseModel):
    queue_id: str
    strategy: str | None
    over_threshold: int = Field(description="waiting calls past their answer-time threshold")
    waiting: list[WaitingCallOut]
    talking: list[TalkingCallOut]
    agents: list[QueueAgentOut]
