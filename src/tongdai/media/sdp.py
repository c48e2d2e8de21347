"""The SDP tongdai sends on carries nothing of the phone it came from: the origin's user name and
session id (which softphones fill with their name or the user's) and the session name are replaced;
rtpengine has already replaced the addresses. The session version is kept, so a changed offer still
counts up as RFC 4566 asks."""

from __future__ import annotations

import hashlib


def anonymised(sdp: str, call_id: str, from_tag: str) -> str:
    session_id = int.from_bytes(hashlib.sha256(f"{call_id}/{from_tag}".encode()).digest()[:6], "big")
    lines = []
    for line in sdp.splitlines():
        if line.startswith("o="):
            parts = line[2:].split()
            if len(parts) == 6:  # username sess-id sess-version nettype addrtype address
                line = f"o=- {session_id} {parts[2]} {parts[3]} {parts[4]} {parts[5]}"
        elif line.startswith("s="):
            line = "s=-"
        lines.append(line)
    return "\r\n".join(lines) + "\r\n"
