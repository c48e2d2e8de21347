"""Groups, agents, their live states and their SIP registrations."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from .common import In, Page, Ref, Text, Timestamp, left_out


class GroupIn(In):
    name: Text


class GroupPatch(In):
    name: Text = left_out()


class GroupOut(BaseModel):
    id: str
    name: str


class GroupList(Page):
    items: list[GroupOut]


class AgentIn(In):
    name: Text
    sip_username: Annotated[str, Field(max_length=64)]
    sip_password: Annotated[str, Field(max_length=128)]
    extension: Annotated[str, Field(max_length=6)]
    groups: Annotated[list[Ref], Field(max_length=500)] = []
    default_caller_id: Ref | None = None


class AgentPatch(In):
    name: Text = left_out()
    sip_username: Annotated[str, Field(max_length=64)] = left_out()
    sip_password: Annotated[str, Field(max_length=128)] = left_out()
    extension: Annotated[str, Field(max_length=6)] = left_out()
    groups: Annotated[list[Ref], Field(max_length=500)] = left_out()
    default_caller_id: Ref | None = None


class AgentOut(BaseModel):
    id: str
    name: str
    sip_username: str
    extension: str
    groups: list[str]
    default_caller_id: str | None
    sip_domain: str


class AgentList(Page):
    items: list[AgentOut]


class AgentStatusIn(In):
    status: Literal["available", "away"]
    reason: Text | None = None


class AgentStatusOut(BaseModel):
    agent_id: str
    state: str
    reason: str | None
    wrap_up_until: Timestamp | None
    pending_away: str | None = None


class StatusChangeOut(BaseModel):
    old: str
    new: str
    reason: str | None
    at: Timestamp


class AgentStatusHistory(BaseModel):
    items: list[StatusChangeOut]


class RegistrationOut(BaseModel):
    contact: str
    source: str
    user_agent: str
    expires_at: str
    expires_in: int


class RegistrationList(BaseModel):
    items: list[RegistrationOut]
