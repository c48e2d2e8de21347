"""The operator's API: trunks, inventory, tenants, and who may call what."""


def test_no_key_is_401_and_a_bad_key_is_401(world):
    assert world.client.get("/api/v1/trunks").status_code == 401
    r = world.client.get("/api/v1/trunks", headers={"Authorization": "Bearer tdk_nope_nope"})
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["errors"][0]["code"] == "unauthenticated"


def test_admin_key_cannot_use_operator_endpoints(world):
    shop = world.tenant()
    r = world.client.post("/api/v1/trunks", headers=shop.headers, json={"name": "x", "host": "h"})
    assert r.status_code == 403 and r.json()["errors"][0]["code"] == "forbidden"


def test_trunk_crud_and_validation(world):
    op = world.operator
    r = world.client.post("/api/v1/trunks", headers=op, json={
        "name": "Viettel SIP", "host": "sip.example.net", "port": 5060, "source_addresses": ["10.0.0.1", "nope"],
        "username": "u"})
    assert r.status_code == 422
    assert {(e["field"], e["code"]) for e in r.json()["errors"]} == {
        ("source_addresses[1]", "invalid_value"), ("password", "required")}
    r = world.client.post("/api/v1/trunks", headers=op, json={
        "name": "Viettel SIP", "host": "sip.example.net", "source_addresses": ["10.0.0.1"],
        "username": "u", "password": "p"})
    assert r.status_code == 201
    trunk = r.json()
    assert trunk["has_password"] and "password" not in trunk
    r = world.client.patch(f"/api/v1/trunks/{trunk['id']}", headers=op, json={"port": 5080})
    assert r.json()["port"] == 5080
    assert world.client.get("/api/v1/trunks", headers=op).json()["total"] == 1
    assert world.client.delete(f"/api/v1/trunks/{trunk['id']}", headers=op).status_code == 204
    assert world.client.get(f"/api/v1/trunks/{trunk['id']}", headers=op).status_code == 404


def test_inventory_numbers_are_normalised_checked_and_unique(world):
    entry = world.stock("0981 000 001")
    assert entry["number"] == "+84981000001" and entry["carrier"] == "viettel" and entry["tenant_id"] is None
    r = world.client.post("/api/v1/inventory", headers=world.operator, json={
        "number": "+84981000001", "line_type": "mobile", "trunk_id": world.trunk()})
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "number_unavailable"
    r = world.client.post("/api/v1/inventory", headers=world.operator, json={
        "number": "0912 34", "line_type": "mobile", "trunk_id": world.trunk()})
    assert r.json()["errors"][0] == {"field": "number", "code": "invalid_number",
                                     "message": r.json()["errors"][0]["message"]}
    r = world.client.post("/api/v1/inventory", headers=world.operator, json={
        "number": "024 3825 1234", "line_type": "mobile", "trunk_id": world.trunk()})
    assert (r.json()["errors"][0]["field"], r.json()["errors"][0]["code"]) == ("line_type", "line_type_mismatch")
    r = world.client.post("/api/v1/inventory", headers=world.operator, json={
        "number": "0981000002", "line_type": "mobile", "trunk_id": "tk_missing"})
    assert r.json()["errors"][0]["code"] == "unknown_trunk"


def test_trunk_with_numbers_cannot_be_deleted(world):
    world.stock("0981000001")
    r = world.client.delete(f"/api/v1/trunks/{world.trunk()}", headers=world.operator)
    assert r.status_code == 409 and r.json()["errors"][0]["code"] == "in_use"


def test_a_business_own_number_joins_on_its_own_trunk(world):
    shop = world.tenant()
    r = world.client.post("/api/v1/trunks", headers=world.operator, json={
        "name": "Shop PBX", "host": "pbx.shop.vn", "source_addresses": ["192.0.2.10"], "tenant_id": shop.id})
    own_trunk = r.json()["id"]
    r = world.client.post("/api/v1/inventory", headers=world.operator, json={
        "number": "028 3822 1234", "line_type": "local", "trunk_id": own_trunk, "tenant_id": shop.id})
    assert r.status_code == 201 and r.json()["assigned_by"] == "operator"
    other = world.tenant("Other")
    assert other.get("/inventory/available").json()["total"] == 0
    assert [i["number"] for i in shop.get("/inventory/available").json()["items"]] == ["+842838221234"]
    q = shop.queue()
    h = shop.hotline(line_type="local", queue_id=q)
    assert h["number"] == "+842838221234" and h["trunk_id"] == own_trunk
    # deleting the hotline keeps the number with the business
    assert shop.delete(f"/hotlines/{h['id']}").status_code == 204
    assert shop.get("/inventory/available").json()["total"] == 1


def test_tenants_crud(world):
    r = world.client.post("/api/v1/tenants", headers=world.operator, json={"name": "Acme", "sip_domain": "acme.vn"})
    assert r.status_code == 201 and r.json()["admin_key"].startswith("tdk_")
    tid = r.json()["id"]
    r = world.client.post("/api/v1/tenants", headers=world.operator, json={"name": "Acme 2", "sip_domain": "acme.vn"})
    assert r.status_code == 422 and r.json()["errors"][0] == {"field": "sip_domain", "code": "taken",
                                                              "message": r.json()["errors"][0]["message"]}
    assert world.client.patch(f"/api/v1/tenants/{tid}", headers=world.operator, json={"name": "Acme VN"}).json()["name"] == "Acme VN"
    assert world.client.delete(f"/api/v1/tenants/{tid}", headers=world.operator).status_code == 204


def test_tenant_with_objects_cannot_be_deleted(world):
    shop = world.tenant()
    shop.group()
    r = world.client.delete(f"/api/v1/tenants/{shop.id}", headers=world.operator)
    assert r.status_code == 409 and r.json()["errors"][0]["code"] == "in_use"


def test_a_trunk_port_is_an_integer_and_its_sources_can_send(world):
    base = {"name": "Carrier", "host": "127.0.0.1"}
    for port in (True, "5060"):
        r = world.client.post("/api/v1/trunks", headers=world.operator, json={**base, "port": port})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "port", port
    r = world.client.post("/api/v1/trunks", headers=world.operator, json={**base, "source_addresses": ["0.0.0.0"]})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "source_addresses[0]"
    assert world.client.post("/api/v1/trunks", headers=world.operator, json={**base, "port": 5070}).status_code == 201
