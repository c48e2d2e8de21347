"""Hotlines and adaptive numbers."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from .common import Country, In, LineType, NumberText, Page, Ref, Seconds, Text, left_out

HOTLINE_RECORDING = ("record this hotline's OUTBOUND calls (agents calling customers). Inbound calls are recorded "
                     "by their queue's `record_calls`, never by this switch")
ANNOUNCEMENT = ("before a recorded call's recording starts, the customer hears that the call may be recorded "
                "(Vietnamese for a VN hotline, else English); the recording starts once it was said")
ADAPTIVE_RECORDING = ("record the OUTBOUND calls made through this adaptive number. Inbound calls are recorded by "
                      "their queue's `record_calls`")


class HotlineIn(In):
    number_type: Literal["carrier", "virtual"]
    country: Country = "VN"
    line_type: LineType
    number: NumberText | None = None
    name: Text
    outbound_enabled: bool = False
    outbound_groups: Literal["all"] | Annotated[list[Ref], Field(max_length=500)] = "all"
    record_calls: bool = Field(False, description=HOTLINE_RECORDING)
    recording_announcement: bool = Field(False, description=ANNOUNCEMENT)
    ivr_enabled: bool = False
    ivr_tree_id: Ref | None = None
    queue_id: Ref | None = None
    show_in_widget: bool = True
    wrap_up_seconds: Seconds = 0
    notify_answer_seconds: Seconds = 0


class HotlinePatch(In):
    number_type: Literal["carrier", "virtual"] = left_out()
    country: Country = left_out()
    line_type: LineType = left_out()
    number: NumberText = left_out()
    name: Text = left_out()
    outbound_enabled: bool = left_out()
    outbound_groups: Literal["all"] | Annotated[list[Ref], Field(max_length=500)] = left_out()
    record_calls: bool = Field(left_out(), description=HOTLINE_RECORDING)
    recording_announcement: bool = Field(left_out(), description=ANNOUNCEMENT)
    ivr_enabled: bool = left_out()
    ivr_tree_id: Ref | None = None
    queue_id: Ref | None = None
    show_in_widget: bool = left_out()
    wrap_up_seconds: Seconds = left_out()
    notify_answer_seconds: Seconds = left_out()


class HotlineOut(BaseModel):
    id: str
    number_type: str
    country: str
    line_type: str
    number: str
    name: str
    outbound_enabled: bool
    outbound_groups: Literal["all"] | list[str]
    record_calls: bool = Field(..., description=HOTLINE_RECORDING)
    recording_announcement: bool = Field(..., description=ANNOUNCEMENT)
    ivr_enabled: bool
    ivr_tree_id: str | None
    queue_id: str | None
    show_in_widget: bool
    wrap_up_seconds: int
    notify_answer_seconds: int
    carrier: str | None
    trunk_id: str | None


class HotlineList(Page):
    items: list[HotlineOut]


class AdaptiveIn(In):
    name: Text
    fallback_hotline_id: Ref | None = None
    members: Annotated[list[Ref], Field(max_length=500)] = []
    outbound_enabled: bool = True
    show_in_widget: bool = True
    record_calls: bool = Field(False, description=ADAPTIVE_RECORDING)


class AdaptivePatch(In):
    name: Text = left_out()
    fallback_hotline_id: Ref | None = None
    members: Annotated[list[Ref], Field(max_length=500)] = left_out()
    outbound_enabled: bool = left_out()
    show_in_widget: bool = left_out()
    record_calls: bool = Field(left_out(), description=ADAPTIVE_RECORDING)


class AdaptiveOut(BaseModel):
    id: str
    name: str
    fallback_hotline_id: str | None
    members: list[str]
    outbound_enabled: bool
    show_in_widget: bool
    record_calls: bool = Field(..., description=ADAPTIVE_RECORDING)


class AdaptiveList(Page):
    items: list[AdaptiveOut]


class AvailableOut(BaseModel):
    number: str
    country: str
    line_type: str
    carrier: str | None


class AvailableList(Page):
    items: list[AvailableOut]
