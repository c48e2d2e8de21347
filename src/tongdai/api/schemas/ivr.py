"""IVR trees and their audio prompts."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from .common import In, LongText, NumberText, Page, Ref, Seconds, Text, left_out


class PromptIn(In):
    type: Literal["tts", "audio"]
    text: LongText | None = None
    language: Literal["vi", "en"] = "vi"
    audio_id: Ref | None = None


class TargetIn(In):
    type: Literal["node", "queue", "external", "hangup"]
    node_id: Ref | None = None
    queue_id: Ref | None = None
    number: NumberText | None = None


IvrKey = Literal["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "#", "no_input", "invalid_input"]


class NodeIn(In):
    id: Ref
    prompt: PromptIn
    branches: dict[IvrKey, TargetIn] = {}
    timeout_seconds: Seconds = 5


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
