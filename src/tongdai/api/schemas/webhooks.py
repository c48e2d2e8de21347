"""Webhooks and their delivery log."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from .common import In, Page, Timestamp


class WebhookIn(In):
    url: Annotated[str, Field(max_length=500, pattern=r"^[^\x00-\x20\x7f]+$")]
    events: Annotated[list[Annotated[str, Field(max_length=60)]], Field(max_length=20)]
    secret: Annotated[str, Field(max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")]


class WebhookOut(BaseModel):
    id: str
    url: str
    events: list[str]
    created_at: Timestamp


class WebhookList(Page):
    items: list[WebhookOut]


class DeliveryOut(BaseModel):
    id: str
    event: str
    payload: dict
    status: str
    attempts: int
    last_status_code: int | None
    last_error: str | None
    created_at: Timestamp
    delivered_at: Timestamp | None


class DeliveryList(BaseModel):
    items: list[DeliveryOut]
