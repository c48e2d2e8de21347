"""IVR trees and their audio prompts."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from .common import In, LongText, NumberText, Page, Ref, Seconds, Text, left_out


class PromptIn(In):
    type: Literal["tts", "audio"]
    text: LongText | None = None
    language: Literal["vi", "en"] = "vi"
    audio_id: Ref | None = None


class TargetIn(In):
    """Where a branch leads: another `node`, a `queue`, an `external` number (dialled through the hotline),
    an `agent` (its phones ring; unanswered, the node's `no_answer` branch) or `hangup`."""

    type: Literal["node", "queue", "external", "agent", "hangup"]
    node_id: Ref | None = None
    queue_id: Ref | None = None
    number: NumberText | None = None
    agent_id: Ref | None = None


IvrKey = Annotated[str, StringConstraints(
    pattern=r"^([0-9*]{1,20}|#|no_input|invalid_input|no_answer|open|closed)$", max_length=20)]


class NodeIn(In):
    """A `menu` node (the default) plays its prompt and takes a key, or a code of up to `max_digits`
    digits ended by `#` or a pause; an `extension` node takes an agent's extension that way and rings that
    agent; an `hours` node has no prompt and follows its `open` or `closed` branch by the tenant's
    opening hours (`/opening-hours`)."""

    id: Ref
    type: Literal["menu", "extension", "hours"] = "menu"
    prompt: PromptIn | None = None
    branches: dict[IvrKey, TargetIn] = {}
    timeout_seconds: Seconds = 5
    max_digits: Annotated[int, Field(ge=1, le=20, description="digits a menu node takes (1: one key); "
                                     "an extension node takes up to 6 unless set")] | None = None


class PeriodIn(In):
    day: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    opens: Annotated[str, Field(pattern=r"^\d{2}:\d{2}$", examples=["08:00"])]
    closes: Annotated[str, Field(pattern=r"^\d{2}:\d{2}$", examples=["17:30"])]


class OpeningHoursIn(In):
    """When the tenant is open, in its time zone: periods per weekday (a day may have several; none means
    closed that day) and holidays (closed all day)."""

    time_zone: Annotated[str, Field(max_length=60)] = "Asia/Ho_Chi_Minh"
    periods: Annotated[list[PeriodIn], Field(max_length=70)] = []
    holidays: Annotated[list[Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$")]], Field(max_length=366)] = []


class OpeningHoursOut(BaseModel):
    time_zone: str
    periods: list[dict]
    holidays: list[str]


class IvrTreeIn(In):
    name: Text
    root_node_id: Ref
    nodes: Annotated[list[NodeIn], Field(max_length=200)]


class IvrTreePatch(In):
    name: Text = left_out()
    root_node_id: Ref = left_out()
    nodes: Annotated[list[NodeIn], Field(max_length=200)] = left_out()


class IvrTreeOut(BaseModel):
    id: str
    name: str
    root_node_id: str
    nodes: list[dict]


class IvrTreeList(Page):
    items: list[IvrTreeOut]


class AudioOut(BaseModel):
    id: str
    name: str
    duration_ms: int


class AudioList(Page):
    items: list[AudioOut]
