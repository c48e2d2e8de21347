"""Configuration changes are noticed from what a transaction wrote: a change to configuration tables
raises the configuration version and tells the running switch after the commit; a dry run, a status
request or a refused change tells nobody."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tongdai.api.app import create_app
from tongdai.app.context import Context
from tongdai.app.services.operator import create_api_key
from tongdai.store.uow import UnitOfWork

from ..conftest import NOW


def test_only_committed_configuration_changes_are_announced(engine):
    changed: list[frozenset[str]] = []
    ctx = Context(engine, on_commit=changed.append)
    client = TestClient(create_app(ctx), raise_server_exceptions=False)
    with UnitOfWork(engine) as uow:
        operator = {"Authorization": f"Bearer {create_api_key(uow, role='operator', now=NOW)}"}
    with UnitOfWork(engine) as uow:
        start = uow.config_version.current()
    tenant = client.post("/api/v1/tenants", headers=operator, json={"name": "Shop"}).json()
    admin = {"Authorization": f"Bearer {tenant['admin_key']}"}
    assert changed == [frozenset({"tenants", "api_keys"})]  # keys count: a revocation must reach every process
    group = client.post("/api/v1/groups", headers=admin, json={"name": "Sales"}).json()["id"]
    agent = client.post("/api/v1/agents", headers=admin, json={
        "name": "An", "sip_username": "an", "sip_password": "s3cret-pass", "extension": "101",
        "groups": [group]}).json()["id"]
    assert changed[1:] == [frozenset({"groups"}), frozenset({"agents"})]
    with UnitOfWork(engine) as uow:
        version = uow.config_version.current()
    assert version == start + 3

    # reads, dry runs, status requests and refusals change nothing
    assert client.post("/api/v1/caller-id/resolve", headers=admin,
                       json={"agent_id": agent, "destination": "0981234567"}).status_code == 422
    assert client.get(f"/api/v1/agents/{agent}/status", headers=admin).status_code == 200
    assert client.put(f"/api/v1/agents/{agent}/status", headers=admin,
                      json={"status": "away"}).json()["errors"][0]["code"] == "switch_not_running"
    assert client.post("/api/v1/groups", headers=admin, json={"name": "Sales"}).status_code == 422  # taken
    assert len(changed) == 3
    with UnitOfWork(engine) as uow:
        assert uow.config_version.current() == version
