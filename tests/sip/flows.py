"""Scenario fragments: how an agent's SIPp call goes (scenarios/agent_call.xml) and how the carrier
answers (scenarios/carrier.xml). Both files are string.Templates."""

import re

ANSWERED = '''
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rtd="true" rrs="true">
    <action><ereg regexp="m=audio [23][0-9]{4} " search_in="body" check_it="true" assign_to="sdp"/></action>
  </recv>
  <send><![CDATA[
ACK [next_url] SIP/2.0
Via: SIP/2.0/UDP [local_ip]:[local_port];branch=[branch]
From: <sip:[user]@[domain]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[dest]@[domain]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 2 ACK
Max-Forwards: 70
Content-Length: 0

]]></send>
  <Reference variables="sdp"/>
'''

MEDIA = '''
  <nop><action><exec play_pcap_audio="/usr/share/sip-tester/dtmf_2833_1.pcap"/></action></nop>
  <pause milliseconds="2500"/>
'''

HANG_UP = '''
  <pause milliseconds="300"/>
  <send retrans="500"><![CDATA[
BYE [next_url] SIP/2.0
Via: SIP/2.0/UDP [local_ip]:[local_port];branch=[branch]
From: <sip:[user]@[domain]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[dest]@[domain]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 3 BYE
Max-Forwards: 70
Content-Length: 0

]]></send>
  <recv response="200"/>
'''

TRANSFER_ABROAD = '''
  <pause milliseconds="300"/>
  <send retrans="500"><![CDATA[
REFER [next_url] SIP/2.0
Via: SIP/2.0/UDP [local_ip]:[local_port];branch=[branch]
From: <sip:[user]@[domain]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[dest]@[domain]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 3 REFER
Refer-To: <sip:+88213000000@[domain]>
Contact: <sip:[user]@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Length: 0

]]></send>
  <recv response="403"/>
'''


def in_dialog(method: str, cseq: int, expect: int, sdp: bool = False) -> str:
    """The agent sends `method` inside the call (CSeq `cseq`), with an SDP offer or none; expects `expect`."""
    body = ("v=0\no=- 53655765 2353687638 IN IP[local_ip_type] [local_ip]\ns=-\n"
            "c=IN IP[media_ip_type] [media_ip]\nt=0 0\nm=audio [media_port] RTP/AVP 0\n") if sdp else ""
    kind = "Content-Type: application/sdp\n" if sdp else ""
    return f'''
  <pause milliseconds="200"/>
  <send retrans="500"><![CDATA[
{method} [next_url] SIP/2.0
Via: SIP/2.0/UDP [local_ip]:[local_port];branch=[branch]
From: <sip:[user]@[domain]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[dest]@[domain]>[peer_tag_param]
Call-ID: [call_id]
CSeq: {cseq} {method}
Contact: <sip:[user]@[local_ip]:[local_port]>
Max-Forwards: 70
{kind}Content-Length: [len]

{body}]]></send>
  <recv response="{expect}"/>
'''


def hang_up(cseq: int) -> str:
    return HANG_UP.replace("CSeq: 3 BYE", f"CSeq: {cseq} BYE")


def answer(method: str, status: str = "200 OK") -> str:
    """Receive `method` inside the dialog and answer it with `status`."""
    return f'''
  <recv request="{method}"/>
  <send><![CDATA[
SIP/2.0 {status}
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>
'''


WAIT_BYE = answer("BYE")


def final(status: int, code: str | None = None) -> str:
    """Expect a final error response (optionally carrying `code` in its Reason header), then ACK."""
    check = (f'<action><ereg regexp="{code}" search_in="hdr" header="Reason:" check_it="true" assign_to="why"/>'
             '</action>') if code else ""
    ref = '<Reference variables="why"/>' if code else ""
    return f'''
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="{status}">{check}</recv>
  <send><![CDATA[
ACK sip:[dest]@[domain] SIP/2.0
Via: SIP/2.0/UDP [local_ip]:[local_port];branch=[branch-4]
From: <sip:[user]@[domain]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[dest]@[domain]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 2 ACK
Max-Forwards: 70
Content-Length: 0

]]></send>
  {ref}
'''


CANCEL_AFTER_RING = '''
  <recv response="100" optional="true"/>
  <recv response="180"/>
  <pause milliseconds="200"/>
  <send><![CDATA[
CANCEL sip:[dest]@[domain] SIP/2.0
Via: SIP/2.0/UDP [local_ip]:[local_port];branch=[branch-4]
From: <sip:[user]@[domain]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[dest]@[domain]>
Call-ID: [call_id]
CSeq: 2 CANCEL
Max-Forwards: 70
Content-Length: 0

]]></send>
  <recv response="200"/>
  <recv response="487"/>
  <send><![CDATA[
ACK sip:[dest]@[domain] SIP/2.0
Via: SIP/2.0/UDP [local_ip]:[local_port];branch=[branch-7]
From: <sip:[user]@[domain]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[dest]@[domain]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 2 ACK
Max-Forwards: 70
Content-Length: 0

]]></send>
'''


# -- the carrier (scenarios/carrier.xml) ---------------------------------------------------------------

def carrier_invite(hotline: str | None = None, auth: bool = False, caller_user: str | None = None) -> str:
    """Receive the INVITE; check that From and P-Asserted-Identity carry `hotline` (an E.164 number)
    and that the SDP is rtpengine's (its ports are in the 20000-39999 range the harness gives it;
    SIPp's own media port is 6000), or that From's user is `caller_user`.
    (SIPp does not expand -key values inside regexps, so the expected text is written in here.)"""
    checks = ""
    names = []
    if hotline:
        number = re.escape(hotline)
        checks += (f'<ereg regexp="sip:{number}@" search_in="hdr" header="From:" check_it="true" assign_to="from"/>'
                   f'<ereg regexp="sip:{number}@" search_in="hdr" header="P-Asserted-Identity:" check_it="true" '
                   'assign_to="pai"/>'
                   '<ereg regexp="m=audio [23][0-9]{4} " search_in="body" check_it="true" assign_to="sdp"/>')
        names += ["from", "pai", "sdp"]
    if caller_user:
        checks += (f'<ereg regexp="sip:{re.escape(caller_user)}@" search_in="hdr" header="From:" check_it="true" '
                   'assign_to="caller"/>')
        names += ["caller"]
    if auth:
        checks += ('<ereg regexp="Digest username=.tongdai." search_in="hdr" header="Proxy-Authorization:" '
                   'check_it="true" assign_to="auth"/>')
        names += ["auth"]
    ref = f'<Reference variables="{",".join(names)}"/>' if names else ""
    return f'<recv request="INVITE" rrs="true"><action>{checks}</action></recv>{ref}' if checks \
        else '<recv request="INVITE" rrs="true"/>'


RTPMAPS = {"0": "PCMU/8000", "8": "PCMA/8000", "101": "telephone-event/8000", "126": "telephone-event/8000"}


def _reply(status: str, sdp: bool = False, extra: str = "", *, in_dialog: bool = False, codecs: str = "0 101",
           direction: str | None = None, media: tuple[str, int] | None = None) -> str:
    """A response the SIPp UAS sends; with `sdp`, an answer offering `codecs` (payload types), saying
    `direction` if given, its media at SIPp's own port or at `media` (host, port); `in_dialog`: to a
    request inside the call (its To tag is already there)."""
    address, port = (f"IP4 {media[0]}", str(media[1])) if media else ("IP[media_ip_type] [media_ip]", "[media_port]")
    maps = "".join(f"a=rtpmap:{pt} {RTPMAPS[pt]}\n" for pt in codecs.split())
    body = f'''Content-Type: application/sdp
Content-Length: [len]

v=0
o=- 53655765 2353687637 IN IP[local_ip_type] [local_ip]
s=-
c=IN {address}
t=0 0
m=audio {port} RTP/AVP {codecs}
{maps}{f"a={direction}" + chr(10) if direction else ""}''' if sdp else "Content-Length: 0\n"
    retrans = ' retrans="500"' if status.startswith("200") else ""
    to = "[last_To:]" if in_dialog else "[last_To:];tag=[pid]SIPpTag01[call_number]"
    return f'''
  <send{retrans}><![CDATA[
SIP/2.0 {status}
[last_Via:]
[last_From:]
{to}
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:carrier@[local_ip]:[local_port]>
{extra}{body}
]]></send>
'''


def ring_answer(codecs: str = "0 101", media: tuple[str, int] | None = None) -> str:
    """The callee rings, answers with an SDP offering `codecs` (its media at `media`, if given), and takes
    the ACK."""
    return (_reply("180 Ringing") + _reply("200 OK", sdp=True, codecs=codecs, media=media)
            + '\n  <recv request="ACK"/>\n')


def reinvite_answered(direction: str, codecs: str = "8 0 101") -> str:
    """A re-INVITE inside the call whose SDP is rtpengine's (its port in the harness's range) and says
    `direction` (hold: sendonly; resume: sendrecv), answered (recvonly to a hold), then its ACK."""
    return f'''
  <recv request="INVITE">
    <action>
      <ereg regexp="m=audio [23][0-9]{{4}} " search_in="body" check_it="true" assign_to="port"/>
      <ereg regexp="a={direction}" search_in="body" check_it="true" assign_to="dir"/>
    </action>
  </recv>
  <Reference variables="port,dir"/>''' + _reply("200 OK", sdp=True, in_dialog=True, codecs=codecs,
                                                 direction="recvonly" if direction == "sendonly" else "sendrecv") \
        + '\n  <recv request="ACK"/>\n'


ANSWERED_WITH = {"sendonly": "recvonly", "sendrecv": "sendrecv", "inactive": "inactive"}


def _reinvite(direction: str, *, cseq: int, from_: str, to: str, contact: str, media: str, codecs: str) -> str:
    maps = "".join(f"a=rtpmap:{pt} {RTPMAPS[pt]}\n" for pt in codecs.split())
    return f'''
  <pause milliseconds="300"/>
  <send retrans="500"><![CDATA[
INVITE [next_url] SIP/2.0
Via: SIP/2.0/UDP [local_ip]:[local_port];branch=[branch]
From: {from_}
To: {to}
Call-ID: [call_id]
CSeq: {cseq} INVITE
Contact: <sip:{contact}@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

v=0
o=- 53655765 {2353687637 + cseq} IN IP4 127.0.0.1
s=-
c=IN IP4 127.0.0.1
t=0 0
m=audio {media} RTP/AVP {codecs}
{maps}a={direction}

]]></send>
  <recv response="100" optional="true"/>
  <recv response="200">
    <action>
      <ereg regexp="a={ANSWERED_WITH[direction]}" search_in="body" check_it="true" assign_to="answered"/>
      <ereg regexp="m=audio [23][0-9]{{4}} " search_in="body" check_it="true" assign_to="rtpengine"/>
    </action>
  </recv>
  <Reference variables="answered,rtpengine"/>
  <send><![CDATA[
ACK [next_url] SIP/2.0
Via: SIP/2.0/UDP [local_ip]:[local_port];branch=[branch]
From: {from_}
To: {to}
Call-ID: [call_id]
CSeq: {cseq} ACK
Max-Forwards: 70
Content-Length: 0

]]></send>
'''


def callee_reinvites(direction: str, *, first: bool, cseq: int) -> str:
    """The callee (a phone that answered) re-INVITEs saying `direction` (hold: sendonly; resume: sendrecv)
    and expects the answer RFC 3264 pairs with it; `first`: its first request in the dialog (the last
    message it received is the ACK, else the 200 to its previous re-INVITE)."""
    from_, to = ("[last_To:]", "[last_From:]") if first else ("[last_From:]", "[last_To:]")
    return _reinvite(direction, cseq=cseq, from_=from_, to=to, contact="phone", media="[media_port]", codecs="0 101")


def agent_reinvites(direction: str, *, cseq: int) -> str:
    """The agent of scenarios/agent_call.xml holds (sendonly) or resumes (sendrecv) with a re-INVITE; the
    answer comes from rtpengine (its port) in the paired direction."""
    return _reinvite(direction, cseq=cseq, from_="<sip:[user]@[domain]>;tag=[pid]SIPpTag00[call_number]",
                     to="<sip:[dest]@[domain]>[peer_tag_param]", contact="[user]", media="[media_port]",
                     codecs="0 101")


def customer_reinvites(direction: str, *, cseq: int, rtp_port: int) -> str:
    """The customer of scenarios/ivr_call.xml re-INVITEs (its media on the test's socket, `rtp_port`)."""
    return _reinvite(direction, cseq=cseq, from_="<sip:[customer]@carrier.example>;tag=[pid]SIPpTag00[call_number]",
                     to="<sip:[hotline]@[remote_ip]>[peer_tag_param]", contact="[customer]", media=str(rtp_port),
                     codecs="0 101")


def customer_bye(cseq: int) -> str:
    return CUSTOMER_BYE.replace("CSeq: 2 BYE", f"CSeq: {cseq} BYE")


CARRIER_RING_ANSWER = ring_answer()

CARRIER_WAIT_BYE = answer("BYE")

CARRIER_HANG_UP = '''
  <pause milliseconds="500"/>
  <send retrans="500"><![CDATA[
BYE [next_url] SIP/2.0
Via: SIP/2.0/UDP [local_ip]:[local_port];branch=[branch]
From: [last_To:]
To: [last_From:]
Call-ID: [call_id]
CSeq: 101 BYE
Max-Forwards: 70
Content-Length: 0

]]></send>
  <recv response="200"/>
'''

CARRIER_CHALLENGE = _reply("407 Proxy Authentication Required",
                           extra='Proxy-Authenticate: Digest realm="carrier.example", nonce="abc123def456"\n') + \
    '\n  <recv request="ACK"/>\n'


def carrier_fail(status: str) -> str:
    return _reply(status) + '\n  <recv request="ACK"/>\n'


CARRIER_RING_CANCELLED = _reply("180 Ringing") + '''
  <recv request="CANCEL"/>
  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>
  <send><![CDATA[
SIP/2.0 487 Request Terminated
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
CSeq: [cseq] INVITE
Content-Length: 0

]]></send>
  <recv request="ACK"/>
'''


def reply_answer() -> str:
    """A callee answering: 180 then 200 with SDP, then the ACK."""
    return _reply("180 Ringing") + _reply("200 OK", sdp=True) + '\n  <recv request="ACK"/>\n'



# -- a customer calling a hotline (scenarios/customer_call.xml) -------------------------------------------

CUSTOMER_BYE = '''  <send retrans="500"><![CDATA[
BYE [next_url] SIP/2.0
Via: SIP/2.0/UDP [local_ip]:[local_port];branch=[branch]
From: <sip:[customer]@carrier.example>;tag=[pid]SIPpTag00[call_number]
To: <sip:[hotline]@[remote_ip]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 2 BYE
Max-Forwards: 70
Content-Length: 0

]]></send>
  <recv response="200"/>
'''  # the customer hangs up


def customer_answered(talk: str = '\n  <pause milliseconds="300"/>\n') -> str:
    """The customer's call is answered (by an agent, or an overflow number); `talk`, then it hangs up."""
    return '''
  <recv response="200" rrs="true">
    <action><ereg regexp="m=audio [23][0-9]{4} " search_in="body" check_it="true" assign_to="sdp"/></action>
  </recv>
  <send><![CDATA[
ACK [next_url] SIP/2.0
Via: SIP/2.0/UDP [local_ip]:[local_port];branch=[branch]
From: <sip:[customer]@carrier.example>;tag=[pid]SIPpTag00[call_number]
To: <sip:[hotline]@[remote_ip]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0

]]></send>
''' + talk + CUSTOMER_BYE + '''  <Reference variables="sdp"/>
'''


CUSTOMER_ANSWERED_HANGS_UP = customer_answered()


def customer_refused(status: int) -> str:
    """The switch gives up on the queued call with this final status; the customer ACKs it."""
    return f'''
  <recv response="{status}"/>
  <send><![CDATA[
ACK sip:[hotline]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/UDP [local_ip]:[local_port];branch=[branch-4]
From: <sip:[customer]@carrier.example>;tag=[pid]SIPpTag00[call_number]
To: <sip:[hotline]@[remote_ip]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0

]]></send>
'''


CUSTOMER_HANGS_UP_WHILE_RINGING = '''
  <pause milliseconds="${wait_ms}"/>
  <send><![CDATA[
CANCEL sip:[hotline]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/UDP [local_ip]:[local_port];branch=[branch-4]
From: <sip:[customer]@carrier.example>;tag=[pid]SIPpTag00[call_number]
To: <sip:[hotline]@[remote_ip]>
Call-ID: [call_id]
CSeq: 1 CANCEL
Max-Forwards: 70
Content-Length: 0

]]></send>
  <recv response="200"/>
  <recv response="487"/>
  <send><![CDATA[
ACK sip:[hotline]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/UDP [local_ip]:[local_port];branch=[branch-7]
From: <sip:[customer]@carrier.example>;tag=[pid]SIPpTag00[call_number]
To: <sip:[hotline]@[remote_ip]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0

]]></send>
'''


def carrier_forgets_the_call(method: str = "UPDATE") -> str:
    """The carrier restarted and lost the call: the session refresh gets 481, and so does the BYE."""
    gone = "481 Call/Transaction Does Not Exist"
    return answer(method, gone) + answer("BYE", gone)


def ivr_caller_hangs_up(after_ms: int) -> str:
    """The IVR's caller stays `after_ms`, then hangs up (BYE)."""
    return f'\n  <pause milliseconds="{after_ms}"/>\n' + CUSTOMER_BYE


IVR_HUNG_UP_ON = answer("BYE")  # the IVR says goodbye and hangs up
