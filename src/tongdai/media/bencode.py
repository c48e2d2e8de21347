"""Bencode, the encoding of rtpengine's ng protocol: dicts, lists, byte strings and integers."""

from __future__ import annotations


class BencodeError(ValueError):
    """The bytes are not well-formed bencode."""


def encode(value) -> bytes:
    out: list[bytes] = []
    _encode(value, out)
    return b"".join(out)


def _encode(value, out: list[bytes]) -> None:
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, int):
        out.append(b"i%de" % value)
    elif isinstance(value, str):
        raw = value.encode()
        out.append(b"%d:%s" % (len(raw), raw))
    elif isinstance(value, bytes):
        out.append(b"%d:%s" % (len(value), value))
    elif isinstance(value, (list, tuple)):
        out.append(b"l")
        for item in value:
            _encode(item, out)
        out.append(b"e")
    elif isinstance(value, dict):
        out.append(b"d")
        for key in sorted(value, key=lambda k: k.encode() if isinstance(k, str) else k):
            _encode(key, out)
            _encode(value[key], out)
        out.append(b"e")
    else:
        raise BencodeError(f"cannot bencode {type(value).__name__}")


def decode(data: bytes):
    """Decode one value; byte strings come back as str (UTF-8, with replacement)."""
    try:
        value, end = _decode(data, 0)
    except (IndexError, ValueError) as exc:
        raise BencodeError(f"malformed bencode: {exc}") from None
    if end != len(data):
        raise BencodeError("trailing data after bencoded value")
    return value


def _decode(data: bytes, i: int):
    c = data[i:i + 1]
    if c == b"i":
        end = data.index(b"e", i)
        return int(data[i + 1:end]), end + 1
    if c == b"l":
        i, items = i + 1, []
        while data[i:i + 1] != b"e":
            item, i = _decode(data, i)
            items.append(item)
        return items, i + 1
    if c == b"d":
        i, result = i + 1, {}
        while data[i:i + 1] != b"e":
            key, i = _decode(data, i)
            result[key], i = _decode(data, i)
        return result, i + 1
    if c.isdigit():
        colon = data.index(b":", i)
        length = int(data[i:colon])
        start = colon + 1
        if start + length > len(data):
            raise ValueError("string runs past the end")
        return data[start:start + length].decode("utf-8", "replace"), start + length
    raise ValueError(f"unexpected byte {c!r} at {i}")
