"""SDP as tongdai handles it itself (rtpengine rewrites the rest).

The SDP tongdai sends on carries nothing of the phone it came from: the origin's user name and
session id (which softphones fill with their name or the user's) and the session name are replaced;
rtpengine has already replaced the addresses. The session version is kept, so a changed offer still
counts up as RFC 4566 asks. A re-INVITE tongdai answers itself (hold, resume) is answered in the
direction RFC 3264 pairs with the offer's."""

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


# an answer that sends the media to the discard port: a side of a call nobody has answered yet
DISCARD_SDP = ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
               "m=audio 9 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
               "a=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n")

DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")
ANSWERED_WITH = {"sendrecv": "sendrecv", "sendonly": "recvonly", "recvonly": "sendonly", "inactive": "inactive"}


def direction_of(sdp: str) -> str:
    """The direction an SDP asks for its audio (RFC 3264): its `a=` line (the media's over the session's),
    `inactive` for the old hold of a `0.0.0.0` connection address, else `sendrecv`."""
    found = "sendrecv"
    for line in sdp.splitlines():
        if line in (f"a={d}" for d in DIRECTIONS):
            found = line[2:]
        elif line.startswith("c=") and line.endswith(" 0.0.0.0"):
            return "inactive"
    return found


def with_direction(sdp: str, direction: str) -> str:
    """`sdp` asking for `direction` instead: every `a=` direction line goes, and each media section ends with
    the new one (attributes come last in a section, after its `c=`)."""
    lines = [line for line in sdp.splitlines() if line and line not in (f"a={d}" for d in DIRECTIONS)]
    out: list[str] = []
    in_media = False
    for line in lines:
        if line.startswith("m=") and in_media:
            out.append(f"a={direction}")
        in_media = in_media or line.startswith("m=")
        out.append(line)
    if in_media:
        out.append(f"a={direction}")
    return "\r\n".join(out) + "\r\n"
