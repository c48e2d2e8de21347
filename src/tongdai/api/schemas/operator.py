"""Operator bodies: tenants, SIP trunks, the number inventory."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from .common import Carrier, Country, In, LineType, NumberText, Page, Ref, Text, Timestamp, left_out


class TenantIn(In):
    name: Text
    sip_domain: Annotated[str, Field(max_length=253, pattern=r"^[A-Za-z0-9.-]+$")] | None = None


class TenantPatch(In):
    name: Text = left_out()
    allow_premium: bool = Field(left_out(), description="open premium-rate (1900) destinations for outbound calls")
    allow_international: bool = Field(left_out(), description="open international destinations for outbound calls")


class TenantOut(BaseModel):
    id: str
    name: str
    sip_domain: str
    allow_premium: bool = Field(description="premium-rate (1900) destinations are open (closed by default)")
    allow_international: bool = Field(description="international destinations are open (closed by default)")


class TenantCreated(TenantOut):
    admin_key: str


class TenantList(Page):
    items: list[TenantOut]


class TrunkIn(In):
    name: Text
    host: Annotated[str, Field(max_length=253)]
    port: Annotated[int, Field(ge=-(2**31), le=2**31, strict=True)] = 5060  # strict: no "5060", no true
    transport: Literal["udp"] = "udp"
    source_addresses: Annotated[list[Annotated[str, Field(max_length=64)]], Field(max_length=50)] = []
    username: Text | None = None
    password: Text | None = None
    tenant_id: Ref | None = None


class TrunkPatch(In):
    name: Text = left_out()
    host: Annotated[str, Field(max_length=253)] = left_out()
    port: Annotated[int, Field(ge=-(2**31), le=2**31, strict=True)] = left_out()
    source_addresses: Annotated[list[Annotated[str, Field(max_length=64)]], Field(max_length=50)] = left_out()
    username: Text | None = None
    password: Text | None = None
    tenant_id: Ref | None = None


class TrunkHealthOut(BaseModel):
    """What the switch's OPTIONS checks say: `up` (it answered), `down` (silent: calls through it are
    refused as `carrier_unreachable`), `unknown` (not checked yet, or no switch runs)."""

    state: Literal["up", "down", "unknown"]
    since: Timestamp | None = None
    last_answer: Timestamp | None = None
    last_status: int | None = None


class TrunkOut(BaseModel):
    id: str
    name: str
    host: str
    port: int
    transport: str
    source_addresses: list[str]
    username: str | None
    has_password: bool
    tenant_id: str | None
    health: TrunkHealthOut


class TrunkList(Page):
    items: list[TrunkOut]


class InventoryIn(In):
    number: NumberText
    country: Country = "VN"
    line_type: LineType
    carrier: Carrier | None = None
    trunk_id: Ref
    tenant_id: Ref | None = None


class InventoryPatch(In):
    carrier: Carrier | None = None
    trunk_id: Ref = left_out()
    tenant_id: Ref | None = None


class InventoryOut(BaseModel):
    number: str
    country: str
    line_type: str
    carrier: str | None
    trunk_id: str
    tenant_id: str | None
    assigned_by: str | None


class InventoryList(Page):
    items: list[InventoryOut]


class ApiKeyOut(BaseModel):
    id: str
    role: str = Field(description="operator, admin or agent")
    tenant_id: str | None
    agent_id: str | None
    created_at: Timestamp


class ApiKeyList(Page):
    items: list[ApiKeyOut]
