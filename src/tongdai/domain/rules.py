"""Every configuration rule of product.md, as functions that return the violations they find.

The services look up which referenced objects exist in the tenant and pass them in as
`TenantRefs`; the rules themselves never touch storage.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from dataclasses import dataclass, field

import phonenumbers

from .errors import Violation
from .model import (
    ALL_GROUPS,
    HOURS_KEYS,
    IVR_EVENTS,
    IVR_KEYS,
    LANGUAGES,
    LINE_TYPES,
    RING_STRATEGIES,
    USER_ROLES,
    AdaptiveNumber,
    Agent,
    DestinationPolicy,
    Group,
    Hotline,
    InventoryNumber,
    IvrTree,
    Queue,
    Trunk,
    User,
)
from .numbering_plan import CARRIERS
from .numbers import classify, line_type_of

MAX_WRAP_UP_SECONDS = 3600
MAX_NOTIFY_ANSWER_SECONDS = 3600
RING_TIMEOUT_RANGE = (5, 300)
MAX_WAIT_RANGE = (0, 86400)
PRIORITY_RANGE = (1, 10)
IVR_TIMEOUT_RANGE = (1, 60)
MAX_DIGITS_RANGE = (1, 20)
EXTENSION_NODE_KEYS = IVR_EVENTS  # an extension node branches on events only: its digits name the agent
NAME_MAX = 100
_EXTENSION = re.compile(r"^[0-9]{2,6}$")
_SIP_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$")
_NODE_ID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


@dataclass(frozen=True, slots=True)
class TenantRefs:
    """The ids that exist in one tenant, for the references a change makes."""

    groups: frozenset[str] = frozenset()
    queues: frozenset[str] = frozenset()
    ivr_trees: frozenset[str] = frozenset()
    hotlines: dict[str, str] = field(default_factory=dict)  # id -> number_type
    adaptive_numbers: frozenset[str] = frozenset()
    audio: frozenset[str] = frozenset()
    agents: frozenset[str] = frozenset()


def _name(value: str, out: list[Violation], field_name: str = "name") -> None:
    if not value or not value.strip():
        out.append(Violation(field_name, "required", f"{field_name} must not be empty"))
    elif len(value) > NAME_MAX:
        out.append(Violation(field_name, "too_long", f"{field_name} is longer than {NAME_MAX}"))
    elif any(unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs") for ch in value):
        # bidirectional overrides and zero-width characters make a name display as another one
        out.append(Violation(field_name, "invalid_characters",
                             f"{field_name} has control, bidirectional or invisible characters"))


WEAK_PASSWORDS = frozenset({
    "12345678", "123456789", "1234567890", "87654321", "11111111", "00000000", "password", "password1",
    "passw0rd", "qwertyui", "qwerty123", "abcd1234", "abc12345", "iloveyou", "11223344", "12341234",
    "changeme", "letmein1", "admin123", "welcome1", "sunshine", "football", "baseball",
    "trustno1", "superman", "1q2w3e4r", "zaq12wsx", "matkhau1", "matkhau123", "asdfghjk", "aaaaaaaa",
})


_EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,}$")


def validate_user(u: User, agents: frozenset[str], password: str | None) -> list[Violation]:
    """A portal user: a plausible email, a known role, an agent user linked to an agent of its tenant,
    and (when set) a password that is hard to guess."""
    out: list[Violation] = []
    _name(u.name, out)
    if not _EMAIL.match(u.email or ""):
        out.append(Violation("email", "invalid_value", "an email address such as an@example.vn"))
    if u.role not in USER_ROLES and not (u.role == "operator" and u.tenant_id is None):
        out.append(Violation("role", "invalid_value", f"role is one of {', '.join(USER_ROLES)}"))
    if u.role == "agent" and not u.agent_id:
        out.append(Violation("agent_id", "required", "an agent user is linked to its agent"))
    if u.agent_id and u.agent_id not in agents:
        out.append(Violation("agent_id", "unknown_agent", "no such agent in this tenant"))
    if u.role != "agent" and u.agent_id:
        out.append(Violation("agent_id", "invalid_value", "only an agent user is linked to an agent"))
    if u.language not in LANGUAGES:
        out.append(Violation("language", "invalid_value", "language is vi or en"))
    if password is not None:
        _password(password, u.email.split("@")[0], out, field_name="password", what="a password")
    return out


def _password(password: str, username: str, out: list[Violation], field_name: str = "sip_password",
              what: str = "a SIP password") -> None:
    """A SIP password: at least 8 characters, not a common one, not the username, not one character
    or only digits (what a guesser tries first)."""
    if len(password) < 8:
        out.append(Violation(field_name, "too_short", f"{what} has at least 8 characters"))
    elif len(password) > 200:
        out.append(Violation(field_name, "too_long", f"{what} has at most 200 characters"))
    elif (password.lower() in WEAK_PASSWORDS or password.isdigit() or len(set(password)) < 4
          or (len(username) >= 3 and username.lower() in password.lower())):
        out.append(Violation(field_name, "weak_password",
                             "too easy to guess: not a common password, not the username, not digits alone, "
                             "at least 4 different characters"))


def _seconds(value: int, field_name: str, low: int, high: int, out: list[Violation]) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        out.append(Violation(field_name, "out_of_range",
                             f"{field_name} must be a whole number from {low} to {high}"))


def check_country(country: str, out: list[Violation]) -> bool:
    if country not in phonenumbers.SUPPORTED_REGIONS:
        out.append(Violation("country", "invalid_country",
                             f"{country!r} is not an ISO 3166 alpha-2 country with a numbering plan"))
        return False
    return True


def normalise_number(number: str, country: str, out: list[Violation],
                     field_name: str = "number") -> str | None:
    """The E.164 form of a number that must be valid for `country`, or None with a violation."""
    if country == "VN":
        info = classify(number)
        if info.valid and info.type != "foreign":
            return info.e164
        reason = info.reason or "not a Vietnamese number"
    else:
        try:
            parsed = phonenumbers.parse(number, country)
            if phonenumbers.is_valid_number_for_region(parsed, country):
                return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
            reason = f"not a valid number in {country}"
        except phonenumbers.NumberParseException:
            reason = "not a phone number"
    out.append(Violation(field_name, "invalid_number", f"{number!r}: {reason}"))
    return None


def number_line_type(e164: str) -> str | None:
    return line_type_of(classify(e164))


def validate_trunk(trunk: Trunk) -> list[Violation]:
    out: list[Violation] = []
    _name(trunk.name, out)
    if not _HOST.match(trunk.host or ""):
        out.append(Violation("host", "invalid_value", "host must be a host name or IPv4 address"))
    if isinstance(trunk.port, bool) or not isinstance(trunk.port, int) or not 1 <= trunk.port <= 65535:
        out.append(Violation("port", "out_of_range", "port must be from 1 to 65535"))
    if trunk.transport != "udp":
        out.append(Violation("transport", "invalid_value", "only udp is supported"))
    for i, address in enumerate(trunk.source_addresses):
        if not _is_source(address):
            out.append(Violation(f"source_addresses[{i}]", "invalid_value",
                                 f"{address!r} is not a unicast IPv4 address, optionally with :port"))
    if bool(trunk.username) != bool(trunk.password):
        out.append(Violation("password" if trunk.username else "username", "required",
                             "credentials need both username and password"))
    return out


def _is_source(address: str) -> bool:
    """An IPv4 address, or IPv4:port (several trunks may share one address, e.g. on loopback)."""
    host, _, port = address.partition(":")
    if port and not (port.isdigit() and 1 <= int(port) <= 65535):
        return False
    try:
        ip = ipaddress.IPv4Address(host)
    except ValueError:
        return False
    return not (ip.is_unspecified or ip.is_multicast)  # no packet ever comes from 0.0.0.0


def validate_inventory_number(entry: InventoryNumber, *, trunk_exists: bool,
                              tenant_exists: bool) -> tuple[list[Violation], str | None]:
    """Check an operator's inventory entry; returns the violations and the E.164 number."""
    out: list[Violation] = []
    e164 = None
    if check_country(entry.country, out):
        e164 = normalise_number(entry.number, entry.country, out)
    if entry.line_type not in LINE_TYPES:
        out.append(Violation("line_type", "invalid_value", f"line_type is one of {LINE_TYPES}"))
    elif e164 is not None:
        actual = number_line_type(e164)
        if actual is not None and actual != entry.line_type:
            out.append(Violation("line_type", "line_type_mismatch",
                                 f"{e164} is a {actual} number, not {entry.line_type}"))
    if entry.carrier is not None and entry.carrier not in CARRIERS:
        out.append(Violation("carrier", "invalid_value", f"carrier is one of {CARRIERS}"))
    if not trunk_exists:
        out.append(Violation("trunk_id", "unknown_trunk", "no such trunk"))
    if entry.tenant_id is not None and not tenant_exists:
        out.append(Violation("tenant_id", "unknown_tenant", "no such tenant"))
    return out, e164


def validate_hotline(h: Hotline, refs: TenantRefs) -> list[Violation]:
    """The hotline rules of product.md that do not depend on the number inventory."""
    out: list[Violation] = []
    _name(h.name, out)
    if h.number_type not in ("carrier", "virtual"):
        out.append(Violation("number_type", "invalid_value", "number_type is carrier or virtual"))
    if h.line_type not in LINE_TYPES:
        out.append(Violation("line_type", "invalid_value", f"line_type is one of {LINE_TYPES}"))
    if h.number_type == "virtual" and h.outbound_enabled:
        out.append(Violation("outbound_enabled", "virtual_cannot_call_out",
                             "virtual numbers cannot call out"))
    if h.ivr_enabled:
        if not h.ivr_tree_id:
            out.append(Violation("ivr_tree_id", "ivr_tree_required",
                                 "an IVR tree is required when IVR is on"))
        elif h.ivr_tree_id not in refs.ivr_trees:
            out.append(Violation("ivr_tree_id", "unknown_ivr_tree", "no such IVR tree in this tenant"))
    elif not h.queue_id:
        out.append(Violation("queue_id", "queue_required", "a queue is required when IVR is off"))
    if h.queue_id and h.queue_id not in refs.queues:
        out.append(Violation("queue_id", "unknown_queue", "no such queue in this tenant"))
    if not h.ivr_enabled and h.ivr_tree_id and h.ivr_tree_id not in refs.ivr_trees:
        out.append(Violation("ivr_tree_id", "unknown_ivr_tree", "no such IVR tree in this tenant"))
    if h.outbound_groups != ALL_GROUPS:
        for group_id in h.outbound_groups:
            if group_id not in refs.groups:
                out.append(Violation("outbound_groups", "unknown_group",
                                     f"no group {group_id!r} in this tenant"))
    _seconds(h.wrap_up_seconds, "wrap_up_seconds", 0, MAX_WRAP_UP_SECONDS, out)
    _seconds(h.notify_answer_seconds, "notify_answer_seconds", 0, MAX_NOTIFY_ANSWER_SECONDS, out)
    return out


def validate_adaptive_number(a: AdaptiveNumber, refs: TenantRefs) -> list[Violation]:
    out: list[Violation] = []
    _name(a.name, out)
    if a.fallback_hotline_id is not None:
        kind = refs.hotlines.get(a.fallback_hotline_id)
        if kind is None:
            out.append(Violation("fallback_hotline_id", "unknown_hotline", "no such hotline in this tenant"))
        elif kind == "virtual":
            out.append(Violation("fallback_hotline_id", "virtual_cannot_call_out",
                                 "a virtual number cannot be the fallback: it cannot call out"))
    for hotline_id in a.members:
        kind = refs.hotlines.get(hotline_id)
        if kind is None:
            out.append(Violation("members", "unknown_hotline", f"no hotline {hotline_id!r} in this tenant"))
        elif kind == "virtual":
            out.append(Violation("members", "virtual_cannot_call_out",
                                 f"{hotline_id} is a virtual number and cannot call out"))
    if len(set(a.members)) != len(a.members):
        out.append(Violation("members", "duplicate", "a hotline is listed twice"))
    return out


def validate_group(g: Group) -> list[Violation]:
    out: list[Violation] = []
    _name(g.name, out)
    return out


def validate_agent(a: Agent, refs: TenantRefs, password: str | None) -> list[Violation]:
    out: list[Violation] = []
    _name(a.name, out)
    if not _SIP_USERNAME.match(a.sip_username or ""):
        out.append(Violation("sip_username", "invalid_value",
                             "lower-case letters, digits, '.', '_' or '-', at most 64"))
    if not _EXTENSION.match(a.extension or ""):
        out.append(Violation("extension", "invalid_value", "an extension is 2 to 6 digits"))
    if password is not None:
        _password(password, a.sip_username or "", out)
    for group_id in a.groups:
        if group_id not in refs.groups:
            out.append(Violation("groups", "unknown_group", f"no group {group_id!r} in this tenant"))
    if a.default_caller_id is not None:
        kind = refs.hotlines.get(a.default_caller_id)
        if kind is None and a.default_caller_id not in refs.adaptive_numbers:
            out.append(Violation("default_caller_id", "unknown_caller",
                                 "no hotline or adaptive number with that id in this tenant"))
        elif kind == "virtual":
            out.append(Violation("default_caller_id", "virtual_cannot_call_out",
                                 "virtual numbers cannot call out"))
    return out


def validate_queue(q: Queue, refs: TenantRefs, destinations: DestinationPolicy | None = None) -> list[Violation]:
    """`destinations`: the tenant's outbound policy, which an external overflow number must pass."""
    out: list[Violation] = []
    _name(q.name, out)
    if q.waiting_audio not in ("ringback", "music"):
        out.append(Violation("waiting_audio", "invalid_value", "waiting_audio is ringback or music"))
    if q.music_audio_id is not None and q.music_audio_id not in refs.audio:
        out.append(Violation("music_audio_id", "unknown_audio", "no such uploaded audio in this tenant"))
    if q.strategy not in RING_STRATEGIES:
        out.append(Violation("strategy", "invalid_value", f"strategy is one of {RING_STRATEGIES}"))
    seen: set[str] = set()
    for i, qg in enumerate(q.groups):
        if qg.group_id not in refs.groups:
            out.append(Violation(f"groups[{i}].group_id", "unknown_group", "no such group in this tenant"))
        if qg.group_id in seen:
            out.append(Violation(f"groups[{i}].group_id", "duplicate", "a group is listed twice"))
        seen.add(qg.group_id)
        _seconds(qg.priority, f"groups[{i}].priority", *PRIORITY_RANGE, out)
    _seconds(q.ring_timeout_seconds, "ring_timeout_seconds", *RING_TIMEOUT_RANGE, out)
    _seconds(q.max_wait_seconds, "max_wait_seconds", *MAX_WAIT_RANGE, out)
    action = q.max_wait_action
    if action.type == "queue":
        if not action.queue_id or action.queue_id not in refs.queues:
            out.append(Violation("max_wait_action.queue_id", "unknown_queue", "no such queue in this tenant"))
        elif action.queue_id == q.id:
            out.append(Violation("max_wait_action.queue_id", "invalid_value",
                                 "a queue cannot overflow into itself"))
    elif action.type == "external":
        if not action.number:
            out.append(Violation("max_wait_action.number", "required", "an external number is required"))
        elif not classify(action.number).valid:
            out.append(Violation("max_wait_action.number", "invalid_number", "not a valid phone number"))
        elif destinations is not None and (why := destinations.refuses(classify(action.number))):
            out.append(Violation("max_wait_action.number", "destination_not_allowed", why))
    elif action.type != "hangup":
        out.append(Violation("max_wait_action.type", "invalid_value", "hangup, queue or external"))
    return out


def validate_ivr_tree(t: IvrTree, refs: TenantRefs) -> list[Violation]:
    out: list[Violation] = []
    _name(t.name, out)
    node_ids = [n.id for n in t.nodes]
    if not t.nodes:
        out.append(Violation("nodes", "required", "an IVR tree needs at least one node"))
    if not t.root_node_id:
        out.append(Violation("root_node_id", "root_required", "the tree needs a root node"))
    elif t.root_node_id not in node_ids:
        out.append(Violation("root_node_id", "unknown_node", "the root is not one of the nodes"))
    seen: set[str] = set()
    for i, node in enumerate(t.nodes):
        where = f"nodes[{i}]"
        if not _NODE_ID.match(node.id):
            out.append(Violation(f"{where}.id", "invalid_value", "letters, digits, '_' or '-', at most 40"))
        if node.id in seen:
            out.append(Violation(f"{where}.id", "duplicate", f"node id {node.id!r} is used twice"))
        seen.add(node.id)
        keys = [k for k, _ in node.branches]
        if node.kind == "hours":
            for key in HOURS_KEYS:
                if key not in keys:
                    out.append(Violation(f"{where}.branches.{key}", "branch_required",
                                         f"an hours node needs its {key!r} branch"))
        elif node.kind in ("menu", "extension"):
            _check_prompt(node.prompt, f"{where}.prompt", refs, out)
            _seconds(node.timeout_seconds, f"{where}.timeout_seconds", *IVR_TIMEOUT_RANGE, out)
            _seconds(node.max_digits, f"{where}.max_digits", *MAX_DIGITS_RANGE, out)
        else:
            out.append(Violation(f"{where}.type", "invalid_value", "a node is a menu, extension or hours node"))
        for key, target in node.branches:
            at = f"{where}.branches.{key}"
            if not _key_allowed(node, key):
                out.append(Violation(at, "invalid_key", _keys_expected(node)))
            _check_target(target, at, node_ids, refs, out)
        if len(set(keys)) != len(keys):
            out.append(Violation(f"{where}.branches", "duplicate", "a key has two branches"))
    return out


_DIGITS = re.compile(r"^[0-9*]{1,20}$")


def _key_allowed(node, key: str) -> bool:
    if node.kind == "hours":
        return key in HOURS_KEYS
    if node.kind == "extension":
        return key in EXTENSION_NODE_KEYS
    if node.max_digits > 1:  # a code of up to max_digits digits (ended by #), `#` alone, or an event
        return key in IVR_EVENTS or key == "#" or (bool(_DIGITS.match(key)) and len(key) <= node.max_digits)
    return key in IVR_KEYS


def _keys_expected(node) -> str:
    if node.kind == "hours":
        return "an hours node branches on open and closed"
    if node.kind == "extension":
        return f"an extension node branches on {', '.join(EXTENSION_NODE_KEYS)}"
    if node.max_digits > 1:
        return f"1 to {node.max_digits} digits (0-9, *), # or {', '.join(IVR_EVENTS)}"
    return f"one of {', '.join(IVR_KEYS)}"


def _check_prompt(prompt, at: str, refs: TenantRefs, out: list[Violation]) -> None:
    if prompt.type == "tts":
        if not prompt.text or not prompt.text.strip():
            out.append(Violation(f"{at}.text", "prompt_required", "a text prompt needs text"))
        elif len(prompt.text) > 2000:
            out.append(Violation(f"{at}.text", "too_long", "a prompt is at most 2000 characters"))
        if prompt.language not in ("vi", "en"):
            out.append(Violation(f"{at}.language", "invalid_value", "language is vi or en"))
    elif prompt.type == "audio":
        if not prompt.audio_id or prompt.audio_id not in refs.audio:
            out.append(Violation(f"{at}.audio_id", "unknown_audio", "no such uploaded audio in this tenant"))
    elif prompt.type == "none":
        out.append(Violation(at, "prompt_required", "a menu node needs a prompt"))
    else:
        out.append(Violation(f"{at}.type", "invalid_value", "a prompt is tts or audio"))


def _check_target(target, at: str, node_ids: list[str], refs: TenantRefs,
                  out: list[Violation]) -> None:
    if target.type == "node":
        if target.node_id not in node_ids:
            out.append(Violation(f"{at}.node_id", "unknown_node", "no such node in this tree"))
    elif target.type == "queue":
        if target.queue_id not in refs.queues:
            out.append(Violation(f"{at}.queue_id", "unknown_queue", "no such queue in this tenant"))
    elif target.type == "external":
        if not target.number or not classify(target.number).valid:
            out.append(Violation(f"{at}.number", "invalid_number", "not a valid phone number"))
    elif target.type == "agent":
        if target.agent_id not in refs.agents:
            out.append(Violation(f"{at}.agent_id", "unknown_agent", "no such agent in this tenant"))
    elif target.type != "hangup":
        out.append(Violation(f"{at}.type", "invalid_value", "node, queue, external, agent or hangup"))
