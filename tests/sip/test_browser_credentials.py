"""The widget's short-lived SIP credentials (`domain.browser_credentials`): a digest made with one works
for its own agent only, until it expires or is revoked; the agent's own password still works beside it.
Run on sippy's own request objects, in process."""

from __future__ import annotations

import hashlib

import pytest

from tongdai.domain import browser_credentials
from tongdai.sip import auth, compat

from ..switch.world import AN, BINH
from .test_digest import REALM, agents_directory, digest, nonce_of, request

SECRET = b"k" * 32
NOW = 1_800_000_000.0


@pytest.fixture(scope="module", autouse=True)
def sippy_ready():
    compat.apply()


def browser_digest(credential, method: str, uri: str, nonce: str, realm: str = REALM) -> str:
    ha1 = hashlib.md5(f"{credential.username}:{realm}:{credential.password}".encode()).hexdigest()
    ha2 = hashlib.md5(f"{method}:{uri}".encode()).hexdigest()
    response = hashlib.md5(f"{ha1}:{nonce}:{ha2}".encode()).hexdigest()
    return (f'Digest username="{credential.username}",realm="{realm}",nonce="{nonce}",uri="{uri}",'
            f'response="{response}",algorithm=MD5')


class Switch:
    def __init__(self, clock=lambda: NOW):
        self.d = agents_directory()
        self.browser = auth.BrowserAuth(SECRET, clock=clock)
        self.throttle, self.replays = auth.Throttle(), auth.ReplayGuard()

    def register(self, authorization: str | None, n: int):
        return auth.authenticate(request("REGISTER", f"sip:{REALM}", authorization, n=n), self.d, domain=REALM,
                                 username="an", throttle=self.throttle, replays=self.replays, proxy=False,
                                 browser=self.browser)

    def nonce(self) -> str:
        return nonce_of(self.register(None, 1))


def issue(agent=AN, now=NOW, secret=SECRET):
    return browser_credentials.issue(secret, agent_id=agent.id, sip_username=agent.sip_username, now=now)


def test_a_browser_credential_registers_its_agent_and_the_agents_own_password_still_does():
    switch = Switch()
    credential = issue()
    assert credential.username.startswith("an~") and credential.expires_at == NOW + 3600
    uri = f"sip:{REALM}"
    assert switch.register(browser_digest(credential, "REGISTER", uri, switch.nonce()), 2) == switch.d.agents[AN.id]
    assert switch.register(digest("REGISTER", uri, switch.nonce()), 3) == switch.d.agents[AN.id]


@pytest.mark.parametrize("case", ["expired", "revoked", "another_agent", "another_secret", "forged_expiry"])
def test_a_browser_credential_is_refused_when(case):
    later = {"t": NOW}
    switch = Switch(clock=lambda: later["t"])
    credential = issue()
    if case == "expired":
        later["t"] = credential.expires_at + 1
    elif case == "revoked":
        switch.browser.revoke(credential.id, credential.expires_at)
    elif case == "another_agent":  # binh's credential presented for an's registration
        credential = issue(agent=BINH)
    elif case == "another_secret":
        credential = issue(secret=b"x" * 32)
    elif case == "forged_expiry":  # a later expiry written into the username breaks its password
        claim = browser_credentials.claim(credential.username)
        forged = credential.username.replace(f"~{int(claim.expires_at)}~", f"~{int(claim.expires_at) + 86400}~")
        credential = browser_credentials.BrowserCredential(AN.id, "an", forged, credential.password,
                                                           claim.expires_at + 86400, claim.id)
    resp = switch.register(browser_digest(credential, "REGISTER", f"sip:{REALM}", switch.nonce()), 2)
    assert resp.getSCode()[0] == 403, case


def test_usernames_that_are_not_browser_credentials_are_not_claims():
    for name in ("an", "an~123", "an~abc~1", "~1~a", "an~1~a~b", "an~1234567890123~a", "an~1~a-b"):
        assert browser_credentials.claim(name) is None, name
    assert browser_credentials.claim("an~1800003600~ab12").expires_at == 1800003600
