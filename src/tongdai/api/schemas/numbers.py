"""Numbers and caller ID: classification, the dry-run decision, widget numbers, ported tables."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from .common import In, NumberText, Ref


class NumberOut(BaseModel):
    input: str
    e164: str | None
    type: str
    carrier: str | None
    ported: bool
    reason: str


class ResolveIn(In):
    agent_id: Ref
    destination: NumberText
    via: Annotated[str, Field(max_length=40, pattern=r"^[A-Za-z0-9_+-]*$")] | None = None


class DestinationOut(BaseModel):
    input: str
    e164: str | None
    type: str
    carrier: str | None
    ported: bool


class ResolveOut(BaseModel):
    hotline_id: str
    number: str
    carrier: str | None
    adaptive_number_id: str | None
    record: bool
    destination: DestinationOut
    reasons: list[str]


class WidgetNumberOut(BaseModel):
    kind: Literal["hotline", "adaptive_number"]
    id: str
    name: str
    number: str | None


class WidgetNumbers(BaseModel):
    items: list[WidgetNumberOut]


class PortedOut(BaseModel):
    scope: str
    count: int
