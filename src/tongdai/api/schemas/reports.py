"""Report figures."""

from __future__ import annotations

from pydantic import BaseModel, Field

from .common import Timestamp


class InboundRow(BaseModel):
    key: str = Field(description="the hotline, queue or agent id")
    bucket: str = Field(description="`YYYY-MM-DD HH:00` (hour), `YYYY-MM-DD` (day) in the tenant's time zone, "
                                    "or `all`")
    offered: int
    answered: int
    abandoned: int
    abandon_rate: float | None = Field(description="abandoned / offered")
    within: int = Field(description="answered within the service level: the hotline's answer-time alert, else 20 s")
    service_level: float | None = Field(description="within / offered")
    avg_wait: float | None = Field(description="seconds in the queue, every call that waited")
    p90_wait: float | None
    avg_handle: float | None = Field(description="talk + wrap-up seconds of answered calls")


class OutboundRow(BaseModel):
    key: str = Field(description="the hotline id")
    bucket: str
    calls: int
    answered: int
    avg_talk: float | None


class Report(BaseModel):
    by: str
    bucket: str
    since: Timestamp
    until: Timestamp
    time_zone: str
    inbound: list[InboundRow]
    outbound: list[OutboundRow]
