"""A second tenant's key never reads, changes or uses the first tenant's objects: every route with an id
is tried with the other tenant's ids, and every reference field with the other tenant's objects."""

import re

import pytest

from .test_objects_api import wav_bytes


@pytest.fixture
def two(world):
    world.stock("0981000001")
    world.stock("0912000001")
    a = world.tenant("A")
    g = a.group("Sales")
    q = a.queue("Main", groups=[g])
    audio = world.client.post("/api/v1/audio", headers=a.headers,
                              files={"file": ("p.wav", wav_bytes(), "audio/wav")}).json()
    tree = a.post("/ivr-trees", {"name": "Menu", "root_node_id": "m", "nodes": [
        {"id": "m", "prompt": {"type": "audio", "audio_id": audio["id"]},
         "branches": {"1": {"type": "queue", "queue_id": q}}}]}).json()
    h = a.hotline(queue_id=q, outbound_enabled=True, outbound_groups=[g])
    an = a.post("/adaptive-numbers", {"name": "Auto", "fallback_hotline_id": h["id"]}).json()
    agent = a.agent("an", groups=[g], default_caller_id=h["id"])
    hook = a.post("/webhooks", {"url": "https://crm.example/hook", "events": ["*"], "secret": "0123456789abcdef"})
    ids = {"hotlines": h["id"], "adaptive-numbers": an["id"], "groups": g, "agents": agent["id"],
           "queues": q, "ivr-trees": tree["id"], "audio": audio["id"], "webhooks": hook.json()["id"]}
    return world, a, world.tenant("B"), ids


def tenant_routes(app):
    """Every documented route that takes a tenant object's id."""
    for path, operations in app.openapi()["paths"].items():
        if re.search(r"\{(object_id|agent_id)\}", path):
            for method in operations:
                yield method.upper(), path


def test_every_id_route_answers_404_to_another_tenant(two):
    world, a, b, ids = two
    tried = 0
    for method, path in tenant_routes(world.client.app):
        collection = path.split("/")[3]
        url = re.sub(r"\{(object_id|agent_id)\}", ids[collection], path)
        body = {"PATCH": {"name": "Hijack"}, "PUT": {"status": "away", "reason": "hijack"}}.get(method, {})
        r = world.client.request(method, url, headers=b.headers,
                                 json=body if method in ("PATCH", "POST", "PUT") else None)
        assert r.status_code == 404, (method, url, r.status_code, r.text)
        assert r.json()["errors"][0]["code"] == "not_found"
        tried += 1
    assert tried >= 20
    # and nothing of A changed or disappeared
    for collection, object_id in ids.items():
        if collection not in ("audio",):
            got = a.get(f"/{collection}/{object_id}")
            assert got.status_code == 200 and got.json().get("name") != "Hijack", collection


def test_lists_show_only_the_own_tenant(two):
    world, a, b, ids = two
    for collection in ("hotlines", "adaptive-numbers", "groups", "agents", "queues", "ivr-trees", "audio", "webhooks"):
        assert b.get(f"/{collection}").json() == {"items": [], "total": 0}, collection
        assert a.get(f"/{collection}").json()["total"] == 1, collection
    taken = {h["number"] for h in a.get("/hotlines").json()["items"]}
    assert not taken & {i["number"] for i in b.get("/inventory/available").json()["items"]}


def test_references_to_another_tenants_objects_are_unknown(two):
    world, a, b, ids = two
    bq = b.queue("Own")

    def refused(path, body, field, code):
        r = b.post(path, body, expect=None)
        assert r.status_code == 422, r.text
        assert (field, code) in {(e["field"], e["code"]) for e in r.json()["errors"]}, r.json()

    refused("/hotlines", {"number_type": "carrier", "line_type": "mobile", "name": "x", "queue_id": ids["queues"]},
            "queue_id", "unknown_queue")
    refused("/hotlines", {"number_type": "carrier", "line_type": "mobile", "name": "x", "ivr_enabled": True,
                          "ivr_tree_id": ids["ivr-trees"]}, "ivr_tree_id", "unknown_ivr_tree")
    refused("/hotlines", {"number_type": "carrier", "line_type": "mobile", "name": "x", "queue_id": bq,
                          "outbound_enabled": True, "outbound_groups": [ids["groups"]]}, "outbound_groups", "unknown_group")
    refused("/adaptive-numbers", {"name": "x", "fallback_hotline_id": ids["hotlines"]}, "fallback_hotline_id",
            "unknown_hotline")
    refused("/adaptive-numbers", {"name": "x", "members": [ids["hotlines"]]}, "members", "unknown_hotline")
    refused("/agents", {"name": "x", "sip_username": "x", "sip_password": "longenough", "extension": "200",
                        "groups": [ids["groups"]]}, "groups", "unknown_group")
    refused("/agents", {"name": "x", "sip_username": "x", "sip_password": "longenough", "extension": "200",
                        "default_caller_id": ids["adaptive-numbers"]}, "default_caller_id", "unknown_caller")
    refused("/queues", {"name": "x", "groups": [{"group_id": ids["groups"]}]}, "groups[0].group_id", "unknown_group")
    refused("/queues", {"name": "x", "max_wait_action": {"type": "queue", "queue_id": ids["queues"]}},
            "max_wait_action.queue_id", "unknown_queue")
    refused("/ivr-trees", {"name": "x", "root_node_id": "m", "nodes": [
        {"id": "m", "prompt": {"type": "audio", "audio_id": ids["audio"]},
         "branches": {"1": {"type": "queue", "queue_id": ids["queues"]}}}]}, "nodes[0].prompt.audio_id", "unknown_audio")
    refused("/ivr-trees", {"name": "x", "root_node_id": "m", "nodes": [
        {"id": "m", "prompt": {"type": "tts", "text": "hi"},
         "branches": {"1": {"type": "queue", "queue_id": ids["queues"]}}}]}, "nodes[0].branches.1.queue_id", "unknown_queue")


def test_another_tenants_agent_cannot_be_resolved_or_used(two):
    world, a, b, ids = two
    r = b.post("/caller-id/resolve", {"agent_id": ids["agents"], "destination": "0981234567"}, expect=None)
    assert r.status_code == 404
    b_agent = b.agent("binh")
    r = b.post("/caller-id/resolve", {"agent_id": b_agent["id"], "destination": "0981234567", "via": ids["hotlines"]},
               expect=None)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "unknown_caller"
    r = b.post("/caller-id/resolve", {"agent_id": b_agent["id"], "destination": "0981234567", "via": "+84981000001"},
               expect=None)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "unknown_caller"


def test_a_taken_number_cannot_be_taken_by_another_tenant(two):
    world, a, b, ids = two
    number = a.get(f"/hotlines/{ids['hotlines']}").json()["number"]
    r = b.post("/hotlines", {"number_type": "carrier", "line_type": "mobile", "number": number, "name": "x",
                             "queue_id": b.queue()}, expect=None)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "number_unavailable"
