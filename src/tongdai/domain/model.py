"""The configuration model: plain data, one class per thing the product names."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, NamedTuple

from .hours import DEFAULT_TIME_ZONE, OpeningHours, parse_hours
from .numbers import FOREIGN, PREMIUM, NumberInfo

ALL_GROUPS = "all"
NumberType = Literal["carrier", "virtual"]
LineType = Literal["local", "mobile", "toll_free"]
LINE_TYPES = ("local", "mobile", "toll_free")
RING_STRATEGIES = ("ring_all", "longest_idle", "round_robin", "least_calls")
IVR_EVENTS = ("no_input", "invalid_input", "no_answer")  # no key in time, a key not mapped, the agent did not answer
IVR_KEYS = tuple("0123456789*#") + IVR_EVENTS
HOURS_KEYS = ("open", "closed")  # the branches of an opening-hours node


class DestinationPolicy(NamedTuple):
    """Which destinations a tenant may call out to (the operator opens premium or international)."""

    premium: bool = False
    international: bool = False

    def refuses(self, dest: NumberInfo) -> str | None:
        """Why `dest` may not be called, or None."""
        if dest.type == PREMIUM and not self.premium:
            return "premium-rate numbers are not open for this tenant"
        if dest.type == FOREIGN and not self.international:
            return "international calls are not open for this tenant"
        return None


USER_ROLES = ("admin", "supervisor", "agent")  # a tenant's portal users; the operator's have role `operator`
LANGUAGES = ("vi", "en")


@dataclass(slots=True)
class User:
    """Someone who signs in to the portal: a tenant's admin, supervisor or agent (linked to its agent), or,
    with no tenant, the operator. The password is kept only as an argon2 hash."""

    id: str
    tenant_id: str | None
    email: str
    name: str
    role: str
    password_hash: str = ""
    agent_id: str | None = None
    language: str = "vi"


@dataclass(slots=True)
class Tenant:
    id: str
    name: str
    sip_domain: str
    # the outbound destination policy (toll-fraud control): Vietnamese mobile, fixed and toll-free
    # numbers are always allowed; premium (1900) and international numbers only when opened
    allow_premium: bool = False
    allow_international: bool = False
    # opening hours, for the IVR's hours nodes: `{"periods": [{"day", "opens", "closes"}], "holidays": [dates]}`
    # (times HH:MM, dates YYYY-MM-DD) in `time_zone`; none set means always open
    time_zone: str = DEFAULT_TIME_ZONE
    opening_hours: dict | None = None

    @property
    def hours(self) -> OpeningHours | None:
        return parse_hours(self.opening_hours, self.time_zone) if self.opening_hours else None

    @property
    def destinations(self) -> DestinationPolicy:
        return DestinationPolicy(premium=self.allow_premium, international=self.allow_international)


@dataclass(slots=True)
class Trunk:
    """An operator's SIP trunk to a carrier, or a business's own trunk (then `tenant_id` is set)."""

    id: str
    name: str
    host: str
    port: int = 5060
    transport: str = "udp"
    source_addresses: tuple[str, ...] = ()
    username: str | None = None
    password: str | None = None
    tenant_id: str | None = None


@dataclass(slots=True)
class InventoryNumber:
    """A carrier number the operator holds; free when `tenant_id` is None.

    `assigned_by` says why it belongs to a tenant: `operator` (kept when its hotline goes, e.g. the
    business's own number) or `hotline` (taken from the free pool; freed with its hotline).
    """

    number: str
    country: str
    line_type: str
    carrier: str | None
    trunk_id: str
    tenant_id: str | None = None
    assigned_by: str | None = None


@dataclass(slots=True)
class Group:
    id: str
    tenant_id: str
    name: str


@dataclass(slots=True)
class Hotline:
    id: str
    tenant_id: str
    number_type: str
    country: str
    line_type: str
    number: str
    name: str
    outbound_enabled: bool = False
    outbound_groups: str | tuple[str, ...] = ALL_GROUPS
    record_calls: bool = False
    ivr_enabled: bool = False
    ivr_tree_id: str | None = None
    queue_id: str | None = None
    show_in_widget: bool = True
    wrap_up_seconds: int = 0
    notify_answer_seconds: int = 0
    carrier: str | None = None
    trunk_id: str | None = None
    recording_announcement: bool = False  # a recorded call's customer hears that it is recorded, first

    def permits_any(self, group_ids: frozenset[str] | set[str]) -> bool:
        """True when one of these groups may call out on this hotline (outbound aside)."""
        if self.outbound_groups == ALL_GROUPS:
            return True
        return not group_ids.isdisjoint(self.outbound_groups)


@dataclass(slots=True)
class AdaptiveNumber:
    id: str
    tenant_id: str
    name: str
    fallback_hotline_id: str | None = None
    members: tuple[str, ...] = ()
    outbound_enabled: bool = True
    show_in_widget: bool = True
    record_calls: bool = False


@dataclass(slots=True)
class Agent:
    id: str
    tenant_id: str
    name: str
    sip_username: str
    extension: str
    groups: tuple[str, ...] = ()
    default_caller_id: str | None = None
    sip_ha1_md5: str = ""
    sip_ha1_sha256: str = ""


@dataclass(frozen=True, slots=True)
class QueueGroup:
    group_id: str
    priority: int = 1


@dataclass(frozen=True, slots=True)
class MaxWaitAction:
    """What follows when a caller has waited `max_wait_seconds`: `hangup`, `queue` or `external`."""

    type: str = "hangup"
    queue_id: str | None = None
    number: str | None = None
    reason: str | None = None


@dataclass(slots=True)
class Queue:
    id: str
    tenant_id: str
    name: str
    groups: tuple[QueueGroup, ...] = ()
    strategy: str = "longest_idle"
    ring_timeout_seconds: int = 20
    max_wait_seconds: int = 300
    max_wait_action: MaxWaitAction = field(default_factory=MaxWaitAction)
    record_calls: bool = False
    waiting_audio: str = "ringback"  # what a waiting caller hears: `ringback` (not answered) or `music` (answered)
    music_audio_id: str | None = None  # an uploaded music file; None: the one tongdai ships


@dataclass(frozen=True, slots=True)
class IvrTarget:
    """Where a key press leads: `node`, `queue`, `external`, `agent` (its extension rings) or `hangup`."""

    type: str
    node_id: str | None = None
    queue_id: str | None = None
    number: str | None = None
    agent_id: str | None = None


@dataclass(frozen=True, slots=True)
class Prompt:
    """Text for text-to-speech (`tts`) or an uploaded audio file (`audio`)."""

    type: str
    text: str | None = None
    language: str = "vi"
    audio_id: str | None = None


@dataclass(frozen=True, slots=True)
class IvrNode:
    """A `menu` node plays its prompt and waits for a key (or up to `max_digits` digits, ended by `#`);
    an `extension` node takes an agent's extension the same way and rings that agent; an `hours` node
    plays nothing and follows its `open` or `closed` branch by the tenant's opening hours at that moment."""

    id: str
    prompt: Prompt
    branches: tuple[tuple[str, IvrTarget], ...] = ()
    timeout_seconds: int = 5
    kind: str = "menu"
    max_digits: int = 1

    @property
    def collects(self) -> bool:
        """Takes several digits (ended by `#`, a pause or the last digit) rather than one key."""
        return self.kind == "extension" or self.max_digits > 1

    def branch(self, key: str) -> IvrTarget | None:
        for k, target in self.branches:
            if k == key:
                return target
        return None


@dataclass(slots=True)
class IvrTree:
    id: str
    tenant_id: str
    name: str
    root_node_id: str
    nodes: tuple[IvrNode, ...] = ()
