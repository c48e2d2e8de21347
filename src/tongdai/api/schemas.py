"""Request and response bodies. Types and sizes are checked here; the product's rules live in domain/."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

Text = Annotated[str, Field(max_length=200, pattern=r"^[^\x00-\x08\x0b-\x1f\x7f]*$")]
LongText = Annotated[str, Field(max_length=2000, pattern=r"^[^\x00-\x08\x0b-\x1f\x7f]*$")]
Ref = Annotated[str, Field(max_length=40, pattern=r"^[A-Za-z0-9_-]*$")]
Seconds = Annotated[int, Field(ge=-(2**31), le=2**31)]
NumberText = Annotated[str, Field(max_length=64, pattern=r"^[^\x00-\x1f\x7f]*$")]
LineType = Literal["local", "mobile", "toll_free"]
Carrier = Literal["viettel", "vinaphone", "mobifone", "vietnamobile", "gmobile", "itelecom", "reddi"]
Country = Annotated[str, Field(min_length=2, max_length=2, pattern=r"^[A-Z]{2}$")]


class In(BaseModel):
    """Request bodies refuse unknown fields. In PATCH bodies a field left out keeps its value, and only
    the fields that may be empty accept null."""

    model_config = ConfigDict(extra="forbid")


class Page(BaseModel):
    total: int


# -- operator -----------------------------------------------------------------------------------

class TenantIn(In):
    name: Text
    sip_domain: Annotated[str, Field(max_length=253, pattern=r"^[A-Za-z0-9.-]+$")] | None = None


class TenantPatch(In):
    name: Text = None  # type: ignore[assignment]


class TenantOut(BaseModel):
    id: str
    name: str
    sip_domain: str


class TenantCreated(TenantOut):
    admin_key: str


class TenantList(Page):
    items: list[TenantOut]


class TrunkIn(In):
    name: Text
    host: Annotated[str, Field(max_length=253)]
    port: Annotated[int, Field(ge=-(2**31), le=2**31)] = 5060
    transport: Literal["udp"] = "udp"
    source_addresses: Annotated[list[Annotated[str, Field(max_length=64)]], Field(max_length=50)] = []
    username: Text | None = None
    password: Text | None = None
    tenant_id: Ref | None = None


class TrunkPatch(In):
    name: Text = None  # type: ignore[assignment]
    host: Annotated[str, Field(max_length=253)] = None  # type: ignore[assignment]
    port: Annotated[int, Field(ge=-(2**31), le=2**31)] = None  # type: ignore[assignment]
    source_addresses: Annotated[list[Annotated[str, Field(max_length=64)]], Field(max_length=50)] = None  # type: ignore[assignment]
    username: Text | None = None
    password: Text | None = None
    tenant_id: Ref | None = None


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
    trunk_id: Ref = None  # type: ignore[assignment]
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


class AvailableOut(BaseModel):
    number: str
    country: str
    line_type: str
    carrier: str | None


class AvailableList(Page):
    items: list[AvailableOut]


class KeyOut(BaseModel):
    key: str


# -- tenant configuration ------------------------------------------------------------------------

class HotlineIn(In):
    number_type: Literal["carrier", "virtual"]
    country: Country = "VN"
    line_type: LineType
    number: NumberText | None = None
    name: Text
    outbound_enabled: bool = False
    outbound_groups: Literal["all"] | Annotated[list[Ref], Field(max_length=500)] = "all"
    record_calls: bool = False
    ivr_enabled: bool = False
    ivr_tree_id: Ref | None = None
    queue_id: Ref | None = None
    show_in_widget: bool = True
    wrap_up_seconds: Seconds = 0
    notify_answer_seconds: Seconds = 0


class HotlinePatch(In):
    number_type: Literal["carrier", "virtual"] = None  # type: ignore[assignment]
    country: Country = None  # type: ignore[assignment]
    line_type: LineType = None  # type: ignore[assignment]
    number: NumberText = None  # type: ignore[assignment]
    name: Text = None  # type: ignore[assignment]
    outbound_enabled: bool = None  # type: ignore[assignment]
    outbound_groups: Literal["all"] | Annotated[list[Ref], Field(max_length=500)] = None  # type: ignore[assignment]
    record_calls: bool = None  # type: ignore[assignment]
    ivr_enabled: bool = None  # type: ignore[assignment]
    ivr_tree_id: Ref | None = None
    queue_id: Ref | None = None
    show_in_widget: bool = None  # type: ignore[assignment]
    wrap_up_seconds: Seconds = None  # type: ignore[assignment]
    notify_answer_seconds: Seconds = None  # type: ignore[assignment]


class HotlineOut(BaseModel):
    id: str
    number_type: str
    country: str
    line_type: str
    number: str
    name: str
    outbound_enabled: bool
    outbound_groups: Literal["all"] | list[str]
    record_calls: bool
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
    record_calls: bool = False


class AdaptivePatch(In):
    name: Text = None  # type: ignore[assignment]
    fallback_hotline_id: Ref | None = None
    members: Annotated[list[Ref], Field(max_length=500)] = None  # type: ignore[assignment]
    outbound_enabled: bool = None  # type: ignore[assignment]
    show_in_widget: bool = None  # type: ignore[assignment]
    record_calls: bool = None  # type: ignore[assignment]


class AdaptiveOut(BaseModel):
    id: str
    name: str
    fallback_hotline_id: str | None
    members: list[str]
    outbound_enabled: bool
    show_in_widget: bool
    record_calls: bool


class AdaptiveList(Page):
    items: list[AdaptiveOut]


class GroupIn(In):
    name: Text


class GroupPatch(In):
    name: Text = None  # type: ignore[assignment]


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
    name: Text = None  # type: ignore[assignment]
    sip_username: Annotated[str, Field(max_length=64)] = None  # type: ignore[assignment]
    sip_password: Annotated[str, Field(max_length=128)] = None  # type: ignore[assignment]
    extension: Annotated[str, Field(max_length=6)] = None  # type: ignore[assignment]
    groups: Annotated[list[Ref], Field(max_length=500)] = None  # type: ignore[assignment]
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
    record_calls: bool = False


class QueuePatch(In):
    name: Text = None  # type: ignore[assignment]
    groups: Annotated[list[QueueGroupIn], Field(max_length=100)] = None  # type: ignore[assignment]
    strategy: Literal["ring_all", "longest_idle", "round_robin", "least_calls"] = None  # type: ignore[assignment]
    ring_timeout_seconds: Seconds = None  # type: ignore[assignment]
    max_wait_seconds: Seconds = None  # type: ignore[assignment]
    max_wait_action: MaxWaitActionIn = None  # type: ignore[assignment]
    record_calls: bool = None  # type: ignore[assignment]


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


class QueueList(Page):
    items: list[QueueOut]


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
    name: Text = None  # type: ignore[assignment]
    root_node_id: Ref = None  # type: ignore[assignment]
    nodes: Annotated[list[NodeIn], Field(max_length=200)] = None  # type: ignore[assignment]


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


# -- numbers and caller ID -------------------------------------------------------------------------

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


# -- calls and registrations -------------------------------------------------------------------------

class CallOut(BaseModel):
    id: str
    direction: str
    agent_id: str | None
    hotline_id: str | None
    hotline_number: str | None
    customer_number: str | None
    callee_agent_id: str | None
    caller_id_reasons: list[str]
    started_at: datetime
    ringing_at: datetime | None
    answered_at: datetime | None
    ended_at: datetime | None
    talk_seconds: float | None
    sip_status: int | None
    end_reason: str | None
    hung_up_by: str | None
    recorded: bool
    queue_id: str | None = Field(None, description="inbound: the queue that served the call (the last one, after an overflow)")
    queued_at: datetime | None = None
    queue_seconds: float | None = Field(None, description="inbound: entering the queue to the answer, or to the end")
    ring_seconds: float | None = Field(None, description="inbound: the answering agent's phone rang this long")
    agents_offered: list[str] = Field(default_factory=list, description="inbound: agents rung, in order")
    overflow: str | None = Field(None, description="inbound: what max wait did: queue:<id>, external:<number> or hangup")
    wrap_up_seconds: float | None = Field(None, description="inbound: wrap-up the answering agent actually took")


class CallList(Page):
    items: list[CallOut]


class RegistrationOut(BaseModel):
    contact: str
    source: str
    user_agent: str
    expires_at: str
    expires_in: int


class RegistrationList(BaseModel):
    items: list[RegistrationOut]


# -- webhooks ---------------------------------------------------------------------------------------

class WebhookIn(In):
    url: Annotated[str, Field(max_length=500, pattern=r"^[^\x00-\x20\x7f]+$")]
    events: Annotated[list[Annotated[str, Field(max_length=60)]], Field(max_length=20)]
    secret: Annotated[str, Field(max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")]


class WebhookOut(BaseModel):
    id: str
    url: str
    events: list[str]
    created_at: datetime


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
    created_at: datetime
    delivered_at: datetime | None


class DeliveryList(BaseModel):
    items: list[DeliveryOut]


# -- agent states -------------------------------------------------------------------------------------

class AgentStatusIn(In):
    status: Literal["available", "away"]
    reason: Text | None = None


class AgentStatusOut(BaseModel):
    agent_id: str
    state: str
    reason: str | None
    wrap_up_until: datetime | None
    pending_away: str | None = None


class StatusChangeOut(BaseModel):
    old: str
    new: str
    reason: str | None
    at: datetime


class AgentStatusHistory(BaseModel):
    items: list[StatusChangeOut]


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
    wrap_up_until: datetime | None


class QueueLiveOut(BaseModel):
    queue_id: str
    strategy: str | None
    over_threshold: int = Field(description="waiting calls past their answer-time threshold")
    waiting: list[WaitingCallOut]
    talking: list[TalkingCallOut]
    agents: list[QueueAgentOut]
