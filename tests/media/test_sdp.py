"""The SDP sent on hides the phone's own origin and session name, and keeps its version counting."""

from tongdai.media.sdp import anonymised

PHONE = ("v=0\r\no=Zoiper-an 7788 3 IN IP4 10.0.0.5\r\ns=Zoiper\r\nc=IN IP4 203.0.113.7\r\nt=0 0\r\n"
         "m=audio 30000 RTP/AVP 0\r\n")


def test_the_origin_user_session_and_name_are_replaced_and_the_version_kept():
    out = anonymised(PHONE, "call-1", "tag-a").split("\r\n")
    origin = out[1].split()
    assert origin[0] == "o=-" and origin[1] != "7788" and origin[2:] == ["3", "IN", "IP4", "10.0.0.5"]
    assert out[2] == "s=-" and "Zoiper" not in "\r\n".join(out)
    assert out[3:6] == ["c=IN IP4 203.0.113.7", "t=0 0", "m=audio 30000 RTP/AVP 0"]


def test_the_session_id_is_stable_for_a_leg_so_a_re_offer_is_the_same_session():
    again = PHONE.replace(" 3 IN", " 4 IN")
    a, b = anonymised(PHONE, "call-1", "tag-a"), anonymised(again, "call-1", "tag-a")
    assert a.split("\r\n")[1].split()[1] == b.split("\r\n")[1].split()[1]
    assert anonymised(PHONE, "call-2", "tag-a").split("\r\n")[1] != a.split("\r\n")[1]
