"""Object ids: a short kind prefix and random lower-case letters and digits (`hl_3k9x…`)."""

import secrets
import string

_ALPHABET = string.ascii_lowercase + string.digits

PREFIX = {
    "tenant": "tn", "trunk": "tk", "group": "gr", "hotline": "hl", "adaptive_number": "an",
    "agent": "ag", "queue": "qu", "ivr_tree": "iv", "audio": "au", "api_key": "ak", "call": "ca",
}


def new_id(kind: str) -> str:
    return PREFIX[kind] + "_" + "".join(secrets.choice(_ALPHABET) for _ in range(14))
