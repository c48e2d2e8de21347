"""Object ids: a short kind prefix and random lower-case letters and digits (`hl_3k9x…`)."""

import base64
import secrets

PREFIX = {
    "tenant": "tn", "trunk": "tk", "group": "gr", "hotline": "hl", "adaptive_number": "an",
    "agent": "ag", "queue": "qu", "ivr_tree": "iv", "audio": "au", "api_key": "ak", "call": "ca",
    "webhook": "wh", "delivery": "dl", "state_change": "sc",
    "user": "us", "recording": "re",
}


def new_id(kind: str) -> str:
    """70 random bits as 14 base32 characters (lower case): cheap enough to make one per call."""
    return PREFIX[kind] + "_" + base64.b32encode(secrets.token_bytes(10)).decode().lower()[:14]
