"""The rules' refusals as the portal shows them: by each violation's stable code, in the user's language.
A code without its own sentence shows the rule's own (English) message."""

from __future__ import annotations

from collections.abc import Callable

from ..domain.errors import Violation
from .i18n import lazy as _

MESSAGES = {
    "required": _("This field is required."),
    "invalid_value": _("This value is not valid."),
    "duplicate": _("This is listed twice."),
    "too_long": _("This is too long."),
    "too_short": _("This is too short."),
    "too_large": _("This file is too large."),
    "out_of_range": _("This number is out of the allowed range."),
    "invalid_characters": _("This has control or invisible characters."),
    "taken": _("This is already used."),
    "immutable": _("This cannot be changed after creation."),
    "in_use": _("This is still in use."),
    "invalid_number": _("This is not a valid phone number."),
    "invalid_country": _("Unknown country."),
    "invalid_carrier": _("Unknown carrier."),
    "line_type_mismatch": _("The number is not of this line type."),
    "number_unavailable": _("This number is not in the operator's available inventory."),
    "virtual_cannot_call_out": _("A virtual number cannot make outbound calls: only carrier numbers can."),
    "unknown_queue": _("No such queue."),
    "unknown_group": _("No such group."),
    "unknown_agent": _("No such agent."),
    "unknown_hotline": _("No such hotline."),
    "unknown_ivr_tree": _("No such IVR tree."),
    "unknown_audio": _("No such audio file."),
    "unknown_trunk": _("No such trunk."),
    "unknown_tenant": _("No such tenant."),
    "unknown_caller": _("No such hotline or adaptive number."),
    "unknown_node": _("No such node in this tree."),
    "queue_required": _("Choose a queue (the IVR is off)."),
    "ivr_tree_required": _("Choose an IVR tree (the IVR is on)."),
    "weak_password": _("Too easy to guess: avoid common passwords, your name and digits alone."),
    "destination_not_allowed": _("The tenant's destination policy does not allow this number."),
    "invalid_url": _("This is not a valid https address."),
    "invalid_audio": _("This is not a WAV or MP3 file."),
    "prompt_required": _("A prompt is required."),
    "branch_required": _("This branch is required."),
    "invalid_key": _("This key cannot be used here."),
    "root_required": _("Choose the root node."),
}


def error_message(gettext: Callable[[str], str], violation: Violation) -> str:
    template = MESSAGES.get(violation.code)
    return gettext(template) if template is not None else violation.message
