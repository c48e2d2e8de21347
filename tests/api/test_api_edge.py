"""The API edge (finding D6): bodies bounded before they are read, no body read without credentials,
unknown keys throttled per address."""

from __future__ import annotations

import json


def test_a_body_over_the_limit_is_refused_413_before_it_is_read(world):
    shop = world.tenant()
    big = json.dumps({"name": "x" * (2 * 1024 * 1024)})
    r = world.client.post("/api/v1/groups", headers={**shop.headers, "content-type": "application/json"}, content=big)
    assert r.status_code == 413 and r.json()["errors"][0]["code"] == "too_large"
    assert shop.post("/groups", {"name": "Sales"}).status_code == 201  # an ordinary body still goes through


def test_a_streamed_body_is_cut_off_when_it_passes_the_limit(world):
    shop = world.tenant()

    def chunks():
        for _ in range(40):
            yield b"x" * 65536

    r = world.client.post("/api/v1/groups", headers={**shop.headers, "content-type": "application/json"},
                          content=chunks())
    assert r.status_code == 413 and r.json()["errors"][0]["code"] == "too_large"


def test_a_body_without_credentials_is_refused_401_unread(world):
    r = world.client.post("/api/v1/groups", headers={"content-type": "application/json"},
                          content=json.dumps({"name": "x" * 10_000}))
    assert r.status_code == 401 and r.json()["errors"][0]["code"] == "unauthenticated"


def test_unknown_keys_from_one_address_are_throttled_429(world):
    bogus = {"Authorization": "Bearer tdk_0000000000000000_" + "0" * 48}
    codes = [world.client.get("/api/v1/groups", headers=bogus).status_code for _ in range(12)]
    assert codes[:10] == [401] * 10 and codes[10:] == [429, 429]
    r = world.client.get("/api/v1/groups", headers=bogus)
    assert r.json()["errors"][0]["code"] == "too_many_requests" and int(r.headers["retry-after"]) > 0


def test_keys_are_listed_without_secrets_and_a_revoked_key_fails_at_once(world):
    shop = world.tenant()
    agent = shop.agent("an")
    agent_key = shop.post(f"/agents/{agent['id']}/api-keys", {}).json()["key"]
    agent_headers = {"Authorization": f"Bearer {agent_key}"}
    assert world.client.get("/api/v1/agents/me", headers=agent_headers).status_code == 200  # now cached
    listed = shop.get("/api-keys").json()["items"]
    assert {k["role"] for k in listed} == {"admin", "agent"} and all("secret" not in str(k) for k in listed)
    agent_key_id = next(k["id"] for k in listed if k["role"] == "agent")
    other = world.tenant("Other")
    assert other.delete(f"/api-keys/{agent_key_id}").status_code == 404  # not its tenant's key
    assert shop.delete(f"/api-keys/{agent_key_id}").status_code == 204
    assert world.client.get("/api/v1/agents/me", headers=agent_headers).status_code == 401
    operator_keys = world.client.get("/api/v1/api-keys", headers=world.operator).json()["items"]
    assert [k["role"] for k in operator_keys] == ["operator"]
    tenant_keys = world.client.get("/api/v1/api-keys", headers=world.operator, params={"tenant_id": shop.id})
    assert [k["role"] for k in tenant_keys.json()["items"]] == ["admin"]
    assert world.client.get("/api/v1/api-keys", headers=agent_headers).status_code == 401
