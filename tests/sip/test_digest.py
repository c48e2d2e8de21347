"""Digest authentication cannot be replayed (finding D2): a digest answers for its own Request-URI,
each nonce is accepted once, and a stale or reused nonce is challenged again with stale=true. Run on
sippy's own request objects, in process."""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace

import pytest

from tongdai.app.security import sip_ha1
from tongdai.sip import auth, compat

from ..switch.world import AN, TENANT, directory

PASSWORD = "s3cret-pass"
REALM = TENANT.sip_domain


@pytest.fixture(scope="module", autouse=True)
def sippy_ready():
    compat.apply()


def agents_directory():
    md5, sha = sip_ha1(AN.sip_username, REALM, PASSWORD)
    return directory(agents=(replace(AN, sip_ha1_md5=md5, sip_ha1_sha256=sha),))


def request(method: str, ruri: str, authorization: str | None = None, n: int = 1, contacts: int = 1,
            expires: int | None = None, first_port: int = 5062):
    from sippy.Network_server import Remote_address
    from sippy.SipRequest import SipRequest
    header = "Proxy-Authorization" if method == "INVITE" else "Authorization"
    text = (f"{method} {ruri} SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.7:5062;branch=z9hG4bK{method}{n}\r\n"
            f"From: <sip:an@{REALM}>;tag=f{n}\r\nTo: <sip:an@{REALM}>\r\nCall-ID: c{n}@x\r\n"
            f"CSeq: {n} {method}\r\n"
            + "".join(f"Contact: <sip:an@10.0.0.7:{first_port + i}>\r\n" for i in range(contacts))
            + (f"Expires: {expires}\r\n" if expires is not None else "") + "Max-Forwards: 70\r\n"
            + (f"{header}: {authorization}\r\n" if authorization else "") + "Content-Length: 0\r\n\r\n")
    req = SipRequest(text)
    req.setSource(Remote_address(("10.0.0.7", 5062), "udp"))
    return req


def nonce_of(resp) -> str:
    return re.search(r'nonce="([^"]+)"', str(resp)).group(1)


def digest(method: str, uri: str, nonce: str, password: str = PASSWORD) -> str:
    ha1 = hashlib.md5(f"an:{REALM}:{password}".encode()).hexdigest()
    ha2 = hashlib.md5(f"{method}:{uri}".encode()).hexdigest()
    response = hashlib.md5(f"{ha1}:{nonce}:{ha2}".encode()).hexdigest()
    return f'Digest username="an",realm="{REALM}",nonce="{nonce}",uri="{uri}",response="{response}",algorithm=MD5'


class Switch:
    """authenticate() as the registrar and the switchboard call it."""

    def __init__(self):
        self.d = agents_directory()
        self.throttle = auth.Throttle()
        self.replays = auth.ReplayGuard()

    def __call__(self, req, proxy: bool):
        return auth.authenticate(req, self.d, domain=REALM, username="an", throttle=self.throttle,
                                 replays=self.replays, proxy=proxy)

    def challenge(self, method: str, ruri: str) -> str:
        resp = self(request(method, ruri), proxy=method == "INVITE")
        assert resp.getSCode()[0] in (401, 407)
        return nonce_of(resp)


def test_a_digest_is_accepted_once_and_a_replay_is_challenged_again_as_stale():
    switch = Switch()
    uri = f"sip:{REALM}"
    nonce = switch.challenge("REGISTER", uri)
    assert switch(request("REGISTER", uri, digest("REGISTER", uri, nonce), n=2), proxy=False) == switch.d.agents[AN.id]
    replayed = switch(request("REGISTER", uri, digest("REGISTER", uri, nonce), n=3), proxy=False)
    assert replayed.getSCode()[0] == 401 and "stale=true" in str(replayed)
    assert nonce_of(replayed) != nonce


def test_a_digest_made_for_one_number_cannot_call_another():
    switch = Switch()
    signed = f"sip:0981234567@{REALM}"
    nonce = switch.challenge("INVITE", signed)
    other = switch(request("INVITE", f"sip:+88213000000@{REALM}", digest("INVITE", signed, nonce), n=2), proxy=True)
    assert other.getSCode()[0] == 403
    assert switch(request("INVITE", signed, digest("INVITE", signed, nonce), n=3), proxy=True) == switch.d.agents[AN.id]


def test_an_expired_nonce_is_challenged_again_as_stale(monkeypatch):
    switch = Switch()
    uri = f"sip:{REALM}"
    nonce = switch.challenge("REGISTER", uri)
    from sippy.Security.SipNonce import HashOracle
    monkeypatch.setattr(HashOracle, "vtime", -1)  # every nonce is past its lifetime now
    resp = switch(request("REGISTER", uri, digest("REGISTER", uri, nonce), n=2), proxy=False)
    assert resp.getSCode()[0] == 401 and "stale=true" in str(resp)


def test_a_wrong_password_is_refused_and_counted_not_challenged():
    switch = Switch()
    uri = f"sip:{REALM}"
    nonce = switch.challenge("REGISTER", uri)
    resp = switch(request("REGISTER", uri, digest("REGISTER", uri, nonce, password="guess"), n=2), proxy=False)
    assert resp.getSCode()[0] == 403
    assert len(switch.throttle._failures[("10.0.0.7", f"an@{REALM}")]) == 1


def test_the_replay_guard_forgets_nonces_after_their_lifetime():
    now = [0.0]
    guard = auth.ReplayGuard(lifetime=40, clock=lambda: now[0])
    assert guard.first_use("n1", None) and not guard.first_use("n1", None)
    assert guard.first_use("n1", "00000002")  # the same nonce with another nonce count
    now[0] = 41
    assert guard.first_use("n1", None)


def test_an_agent_registers_at_most_ten_phones_and_a_refused_register_changes_nothing():
    from tongdai.sip.registrar import MAX_BINDINGS, Registrar
    registrar = Registrar(on_change=lambda *_: None)
    d = agents_directory()
    uri = f"sip:{REALM}"

    def register(n: int, contacts: int):
        nonce = nonce_of(registrar.handle(request("REGISTER", uri, n=n), d))
        return registrar.handle(request("REGISTER", uri, digest("REGISTER", uri, nonce), n=n + 1, contacts=contacts), d)

    assert register(1, MAX_BINDINGS).getSCode()[0] == 200
    refused = register(3, MAX_BINDINGS + 1)
    assert refused.getSCode()[0] == 403 and 'text="too_many_bindings"' in str(refused)
    assert len(registrar.contacts(AN.id)) == MAX_BINDINGS


def test_the_newest_binding_is_the_phone_registered_last_not_the_one_expiring_last():
    """D22: an internal call rings the newest phone; a phone registered with Expires 120 after another
    with 3600 is the newest."""
    from tongdai.sip.registrar import Registrar
    now = [1000.0]
    registrar = Registrar(on_change=lambda *_: None, clock=lambda: now[0])
    d = agents_directory()
    uri = f"sip:{REALM}"

    def register(n: int, expires: int, port: int):
        nonce = nonce_of(registrar.handle(request("REGISTER", uri, n=n), d))
        resp = registrar.handle(request("REGISTER", uri, digest("REGISTER", uri, nonce), n=n + 1, expires=expires,
                                        first_port=port), d)
        assert resp.getSCode()[0] == 200

    register(1, 3600, 5070)  # the desk phone
    now[0] += 10
    register(3, 120, 5080)  # then the softphone on the laptop
    assert [b.port for b in registrar.contacts(AN.id)] == [5062, 5062]  # both from the same source address
    assert [b.contact for b in registrar.contacts(AN.id)] == ["sip:an@10.0.0.7:5080", "sip:an@10.0.0.7:5070"]
