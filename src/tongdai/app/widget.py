"""The call widget's SIP credentials: issued to a signed-in agent user for its own agent, remembered per
portal session so that signing out revokes them in the running switch at once (they expire within the
hour anyway, `domain.browser_credentials.LIFETIME_SECONDS`)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from ..domain import browser_credentials
from ..domain.errors import Forbidden, NotFound
from ..store.uow import UnitOfWork


class WidgetCredentials:
    def __init__(self, secret: bytes, clock: Callable[[], float] = time.time):
        self.secret = secret
        self.clock = clock
        self._lock = threading.Lock()  # request threads
        self._by_session: dict[str, list[tuple[str, float]]] = {}  # session -> (credential id, expiry)

    def issue(self, uow: UnitOfWork, *, session_key: str, agent_id: str | None, tenant_id: str | None
              ) -> dict[str, Any]:
        """A credential for the session's own agent, with what the widget registers with."""
        if not agent_id or not tenant_id:
            raise Forbidden("only an agent's portal user has a call widget")
        agent = uow.agents.get(agent_id, tenant_id)
        tenant = uow.tenants.get(tenant_id)
        if agent is None or tenant is None:
            raise NotFound("agent", agent_id)
        now = self.clock()
        credential = browser_credentials.issue(self.secret, agent_id=agent.id, sip_username=agent.sip_username,
                                               now=now)
        with self._lock:
            kept = [(i, t) for i, t in self._by_session.get(session_key, []) if t > now]
            self._by_session[session_key] = [*kept, (credential.id, credential.expires_at)]
        return {"agent_id": agent.id, "uri": f"sip:{agent.sip_username}@{tenant.sip_domain}",
                "authorization_user": credential.username, "password": credential.password,
                "realm": tenant.sip_domain, "expires_at": credential.expires_at, "extension": agent.extension,
                "name": agent.name}

    def ended(self, session_key: str) -> list[tuple[str, float]]:
        """The session's credentials still alive, forgotten here: the caller revokes them in the switch."""
        now = self.clock()
        with self._lock:
            return [(i, t) for i, t in self._by_session.pop(session_key, []) if t > now]
