"""Caller ID through the API: the dry-run resolve, widget numbers, number classification, ported tables."""

import pytest


@pytest.fixture
def shop(world):
    for number in ("0981000001", "0981000002", "0912000001", "0901000001"):
        world.stock(number)
    shop = world.tenant()
    sales, care = shop.group("Sales"), shop.group("Care")
    q = shop.queue()
    shop.viettel = shop.hotline(number="0981000001", queue_id=q, outbound_enabled=True, outbound_groups=[sales],
                                record_calls=True, name="Viettel")
    shop.vina = shop.hotline(number="0912000001", queue_id=q, outbound_enabled=True, name="Vina")
    shop.mobi = shop.hotline(number="0901000001", queue_id=q, outbound_enabled=True, outbound_groups=[care],
                             name="Mobi")
    shop.closed = shop.hotline(number="0981000002", queue_id=q, outbound_enabled=False, name="Closed")
    shop.virtual = shop.post("/hotlines", {"number_type": "virtual", "line_type": "local", "number": "02838259999",
                                           "name": "Virtual", "queue_id": q}).json()
    shop.auto = shop.post("/adaptive-numbers", {"name": "Auto", "fallback_hotline_id": shop.vina["id"]}).json()
    shop.strict = shop.post("/adaptive-numbers", {"name": "Strict", "fallback_hotline_id": shop.mobi["id"],
                                                  "members": [shop.mobi["id"], shop.viettel["id"]]}).json()
    shop.sales_agent = shop.agent("an", groups=[sales])
    shop.care_agent = shop.agent("binh", groups=[care])
    return shop


def resolve(shop, agent, destination, via=None):
    body = {"agent_id": agent["id"], "destination": destination}
    if via:
        body["via"] = via
    return shop.post("/caller-id/resolve", body, expect=None)


def refused(r, code, field="via"):
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["code"] == code and r.json()["errors"][0]["field"] == field
    assert r.json()["reasons"]


def test_permitted_hotline(shop):
    r = resolve(shop, shop.sales_agent, "0912 345 678", shop.viettel["id"])
    assert r.status_code == 200
    body = r.json()
    assert body["hotline_id"] == shop.viettel["id"] and body["number"] == "+84981000001" and body["record"] is True
    assert body["destination"] == {"input": "0912 345 678", "e164": "+84912345678", "type": "mobile",
                                   "carrier": "vinaphone", "ported": False}


def test_forbidden_group(shop):
    refused(resolve(shop, shop.care_agent, "0912345678", shop.viettel["id"]), "group_not_permitted")


def test_virtual_number(shop):
    refused(resolve(shop, shop.sales_agent, "0912345678", shop.virtual["id"]), "virtual_cannot_call_out")


def test_disabled_outbound(shop):
    refused(resolve(shop, shop.sales_agent, "0912345678", shop.closed["id"]), "hotline_outbound_disabled")


def test_invalid_destination(shop):
    refused(resolve(shop, shop.sales_agent, "0912 ext 5", shop.viettel["id"]), "invalid_destination", "destination")


def test_adaptive_with_a_same_carrier_hotline(shop):
    r = resolve(shop, shop.sales_agent, "098 123 4567", shop.auto["id"])
    assert r.json()["hotline_id"] == shop.viettel["id"] and r.json()["adaptive_number_id"] == shop.auto["id"]


def test_adaptive_without_a_same_carrier_hotline_uses_the_permitted_fallback(shop):
    r = resolve(shop, shop.sales_agent, "0521234567", shop.auto["id"])
    assert r.json()["hotline_id"] == shop.vina["id"]
    assert any("fallback" in reason for reason in r.json()["reasons"])


def test_adaptive_with_an_unpermitted_fallback_picks_a_permitted_member(shop):
    r = resolve(shop, shop.sales_agent, "0521234567", shop.strict["id"])  # fallback Mobi is care-only
    assert r.json()["hotline_id"] == shop.viettel["id"]


def test_adaptive_with_nothing_permitted_refuses(shop, world):
    lonely = shop.agent("chi", groups=[])
    r = resolve(shop, lonely, "0521234567", shop.strict["id"])
    refused(r, "no_permitted_hotline")


def test_ported_number_follows_the_tenant_table(shop, world):
    r = world.client.put("/api/v1/ported-numbers", headers={**shop.headers, "content-type": "text/csv"},
                         content="number,carrier\n0981234567,vinaphone\n")
    assert r.status_code == 200 and r.json() == {"scope": shop.id, "count": 1}
    r = resolve(shop, shop.sales_agent, "0981234567", shop.auto["id"])
    assert r.json()["hotline_id"] == shop.vina["id"]
    assert r.json()["destination"]["carrier"] == "vinaphone" and r.json()["destination"]["ported"] is True


def test_operator_table_applies_to_every_tenant_and_the_tenant_table_wins(shop, world):
    csv = "0981234567,mobifone\n0981234568,vinaphone\n"
    r = world.client.put("/api/v1/ported-numbers", headers={**world.operator, "content-type": "text/csv"}, content=csv)
    assert r.json() == {"scope": "operator", "count": 2}
    world.client.put("/api/v1/ported-numbers", headers={**shop.headers, "content-type": "text/csv"},
                     content="0981234567,reddi\n")
    assert shop.get("/numbers/0981234568").json()["carrier"] == "vinaphone"
    assert shop.get("/numbers/0981234567").json()["carrier"] == "reddi"
    other = world.tenant("Other")
    assert other.get("/numbers/0981234567").json()["carrier"] == "mobifone"


def test_a_bad_row_rejects_the_whole_file_and_names_the_line(shop, world):
    headers = {**shop.headers, "content-type": "text/csv"}
    world.client.put("/api/v1/ported-numbers", headers=headers, content="0981234567,vinaphone\n")
    bad = "number,carrier\n0981234568,mobifone\n0912 ext,viettel\n0981234569,orange\n"
    r = world.client.put("/api/v1/ported-numbers", headers=headers, content=bad)
    assert r.status_code == 422
    assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [("lines[3]", "invalid_number"),
                                                                      ("lines[4]", "invalid_carrier")]
    assert "line 3" in r.json()["errors"][0]["message"]
    # the previous table is intact
    assert world.client.get("/api/v1/ported-numbers", headers=shop.headers).json()["count"] == 1
    assert shop.get("/numbers/0981234567").json()["carrier"] == "vinaphone"


def test_reupload_replaces_the_table(shop, world):
    headers = {**shop.headers, "content-type": "text/csv"}
    world.client.put("/api/v1/ported-numbers", headers=headers, content="0981234567,vinaphone\n")
    world.client.put("/api/v1/ported-numbers", headers=headers, content="0981234568,mobifone\n")
    assert shop.get("/numbers/0981234567").json()["ported"] is False
    assert shop.get("/numbers/0981234568").json()["carrier"] == "mobifone"


def test_classify_endpoint(shop):
    body = shop.get("/numbers/+84 87 123 4567").json()
    assert body == {"input": "+84 87 123 4567", "e164": "+84871234567", "type": "mobile", "carrier": "itelecom",
                    "ported": False, "reason": ""}
    assert shop.get("/numbers/0162 345 6789").json()["type"] == "invalid"


def test_widget_offers_permitted_outbound_numbers_shown_in_the_widget(shop, world):
    shop.patch(f"/hotlines/{shop.vina['id']}", {"show_in_widget": False})
    items = shop.get(f"/agents/{shop.sales_agent['id']}/widget-numbers").json()["items"]
    assert {(i["kind"], i["id"]) for i in items} == {
        ("hotline", shop.viettel["id"]), ("adaptive_number", shop.auto["id"]), ("adaptive_number", shop.strict["id"])}
    items = shop.get(f"/agents/{shop.care_agent['id']}/widget-numbers").json()["items"]
    assert {i["id"] for i in items} == {shop.mobi["id"], shop.auto["id"], shop.strict["id"]}


def test_an_agent_key_reads_only_its_own_widget_and_resolves_only_for_itself(shop, world):
    key = shop.post(f"/agents/{shop.sales_agent['id']}/api-keys", {}).json()["key"]
    agent = {"Authorization": f"Bearer {key}"}
    assert world.client.get(f"/api/v1/agents/{shop.sales_agent['id']}/widget-numbers", headers=agent).status_code == 200
    assert world.client.get(f"/api/v1/agents/{shop.care_agent['id']}/widget-numbers", headers=agent).status_code == 403
    r = world.client.post("/api/v1/caller-id/resolve", headers=agent,
                          json={"agent_id": shop.sales_agent["id"], "destination": "0981234567"})
    assert r.status_code == 200
    r = world.client.post("/api/v1/caller-id/resolve", headers=agent,
                          json={"agent_id": shop.care_agent["id"], "destination": "0981234567"})
    assert r.status_code == 403


def test_calling_abroad_is_closed_until_the_operator_opens_it_for_the_tenant(world):
    shop = world.tenant()
    world.stock("0981000001", carrier="viettel")
    sales = shop.group("Sales")
    queue = shop.queue("Q", [sales])
    shop.hotline(queue_id=queue, outbound_enabled=True, number="0981000001")
    agent = shop.agent("an", [sales])
    body = {"agent_id": agent["id"], "destination": "+44 20 7946 0958"}
    r = shop.post("/caller-id/resolve", body, expect=422)
    assert r.json()["errors"][0]["code"] == "destination_not_allowed"
    refused = shop.post("/queues", {"name": "Abroad", "max_wait_action": {"type": "external", "number": "+442079460958"}},
                        expect=422)
    assert refused.json()["errors"][0] == {"field": "max_wait_action.number", "code": "destination_not_allowed",
                                           "message": "international calls are not open for this tenant"}
    opened = world.client.patch(f"/api/v1/tenants/{shop.id}", headers=world.operator, json={"allow_international": True})
    assert opened.status_code == 200 and opened.json()["allow_international"] is True
    assert opened.json()["allow_premium"] is False
    assert shop.post("/caller-id/resolve", body, expect=200).json()["destination"]["type"] == "foreign"
    shop.post("/queues", {"name": "Abroad", "max_wait_action": {"type": "external", "number": "+442079460958"}})
