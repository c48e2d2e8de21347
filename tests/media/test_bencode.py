"""The ng protocol's bencoding, both ways, and its refusals."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tongdai.media import bencode

values = st.recursive(
    st.integers(-10**12, 10**12) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=20)


def test_known_encodings():
    assert bencode.encode({"command": "ping"}) == b"d7:command4:pinge"
    assert bencode.encode({"b": 1, "a": [b"x", -2]}) == b"d1:al1:xi-2ee1:bi1ee"


def test_rtpengines_answer_decodes_to_text():
    assert bencode.decode(b"d6:result4:ponge") == {"result": "pong"}


@given(values)
def test_what_is_encoded_decodes_to_the_same_value(value):
    assert bencode.decode(bencode.encode(value)) == value


@pytest.mark.parametrize("data", [b"", b"i12", b"5:abc", b"d3:keye", b"x", b"l", b"i1ei2e"])
def test_malformed_input_is_refused(data):
    with pytest.raises(ValueError):
        bencode.decode(data)
