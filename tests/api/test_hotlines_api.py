"""Hotlines through the API: each rule of product.md with bad input gives 422 with the field and code,
and leaves nothing half-written."""

import pytest


@pytest.fixture
def shop(world):
    world.stock("0981000001")
    world.stock("0981000002")
    world.stock("0912000001")
    world.stock("1800 1234", line_type="toll_free")
    return world.tenant()


def error(r):
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["status"] == 422 and body["title"] and body["detail"]
    return {(e["field"], e["code"]) for e in body["errors"]}


def state(world, shop):
    """Everything a failed request could have half-written."""
    return (shop.get("/hotlines").json()["total"],
            world.client.get("/api/v1/inventory", headers=world.operator, params={"limit": 1000}).json())


def test_carrier_hotline_takes_the_first_available_number_of_its_kind(shop):
    q = shop.queue()
    h = shop.hotline(queue_id=q)
    assert h["number"] == "+84912000001" or h["number"].startswith("+8498")
    assert h["carrier"] in ("viettel", "vinaphone") and h["trunk_id"]
    tf = shop.hotline(line_type="toll_free", queue_id=q)
    assert tf["number"] == "+8418001234"


def test_carrier_hotline_with_a_chosen_available_number(world, shop):
    q = shop.queue()
    h = shop.hotline(number="098 100 0002", queue_id=q, outbound_enabled=True)
    assert h["number"] == "+84981000002" and h["carrier"] == "viettel"
    inv = world.client.get("/api/v1/inventory/+84981000002", headers=world.operator).json()
    assert inv["tenant_id"] == shop.id and inv["assigned_by"] == "hotline"


def test_number_taken_by_another_tenant_is_unavailable(world, shop):
    q = shop.queue()
    shop.hotline(number="0981000001", queue_id=q)
    other = world.tenant("Other")
    before = state(world, other)
    r = other.post("/hotlines", {"number_type": "carrier", "line_type": "mobile", "number": "0981000001",
                                 "name": "Mine", "queue_id": other.queue()}, expect=None)
    assert error(r) == {("number", "number_unavailable")}
    assert state(world, other) == before


def test_number_not_in_inventory_is_unavailable(shop):
    r = shop.post("/hotlines", {"number_type": "carrier", "line_type": "mobile", "number": "0977777777",
                                "name": "x", "queue_id": shop.queue()}, expect=None)
    assert error(r) == {("number", "number_unavailable")}


def test_number_of_another_line_type_is_unavailable(shop):
    r = shop.post("/hotlines", {"number_type": "carrier", "line_type": "toll_free", "number": "0981000001",
                                "name": "x", "queue_id": shop.queue()}, expect=None)
    assert error(r) == {("number", "number_unavailable")}


def test_no_free_number_of_that_kind(shop):
    r = shop.post("/hotlines", {"number_type": "carrier", "line_type": "local", "name": "x",
                                "queue_id": shop.queue()}, expect=None)
    assert error(r) == {("number", "number_unavailable")}


def test_virtual_number_cannot_call_out(world, shop):
    before = state(world, shop)
    r = shop.post("/hotlines", {"number_type": "virtual", "line_type": "local", "number": "028 3825 9999",
                                "name": "Web", "queue_id": shop.queue(), "outbound_enabled": True}, expect=None)
    assert error(r) == {("outbound_enabled", "virtual_cannot_call_out")}
    assert state(world, shop)[0] == before[0]


def test_virtual_number_cannot_be_switched_to_outbound_later(shop):
    h = shop.post("/hotlines", {"number_type": "virtual", "line_type": "local", "number": "028 3825 9999",
                                "name": "Web", "queue_id": shop.queue()}).json()
    assert h["number"] == "+842838259999" and h["carrier"] is None
    assert error(shop.patch(f"/hotlines/{h['id']}", {"outbound_enabled": True})) == {
        ("outbound_enabled", "virtual_cannot_call_out")}
    assert shop.get(f"/hotlines/{h['id']}").json()["outbound_enabled"] is False


def test_virtual_number_must_be_valid_for_its_country(shop):
    q = shop.queue()
    r = shop.post("/hotlines", {"number_type": "virtual", "line_type": "local", "number": "04 3825 1234",
                                "name": "Web", "queue_id": q}, expect=None)
    assert error(r) == {("number", "invalid_number")}
    r = shop.post("/hotlines", {"number_type": "virtual", "country": "SG", "line_type": "local",
                                "number": "+84 28 3825 9999", "name": "Web", "queue_id": q}, expect=None)
    assert error(r) == {("number", "invalid_number")}
    r = shop.post("/hotlines", {"number_type": "virtual", "line_type": "local", "name": "Web", "queue_id": q},
                  expect=None)
    assert error(r) == {("number", "required")}


def test_virtual_number_must_be_unique_across_the_platform(world, shop):
    q = shop.queue()
    r = shop.post("/hotlines", {"number_type": "virtual", "line_type": "mobile", "number": "0981000001",
                                "name": "Copy", "queue_id": q}, expect=None)
    assert error(r) == {("number", "number_unavailable")}  # an inventory number
    shop.post("/hotlines", {"number_type": "virtual", "line_type": "local", "number": "02838259999",
                            "name": "Web", "queue_id": q})
    other = world.tenant("Other")
    r = other.post("/hotlines", {"number_type": "virtual", "line_type": "local", "number": "+842838259999",
                                 "name": "Web", "queue_id": other.queue()}, expect=None)
    assert error(r) == {("number", "number_unavailable")}


def test_ivr_on_needs_an_ivr_tree_of_the_tenant(world, shop):
    before = state(world, shop)
    r = shop.post("/hotlines", {"number_type": "carrier", "line_type": "mobile", "name": "x", "ivr_enabled": True},
                  expect=None)
    assert error(r) == {("ivr_tree_id", "ivr_tree_required")}
    r = shop.post("/hotlines", {"number_type": "carrier", "line_type": "mobile", "name": "x", "ivr_enabled": True,
                                "ivr_tree_id": "iv_doesnotexist1"}, expect=None)
    assert error(r) == {("ivr_tree_id", "unknown_ivr_tree")}
    assert state(world, shop) == before


def test_ivr_off_needs_a_queue_of_the_tenant(world, shop):
    before = state(world, shop)
    r = shop.post("/hotlines", {"number_type": "carrier", "line_type": "mobile", "name": "x"}, expect=None)
    assert error(r) == {("queue_id", "queue_required")}
    r = shop.post("/hotlines", {"number_type": "carrier", "line_type": "mobile", "name": "x",
                                "queue_id": "qu_doesnotexist1"}, expect=None)
    assert error(r) == {("queue_id", "unknown_queue")}
    assert state(world, shop) == before


def test_switching_ivr_off_without_a_queue_is_refused(shop):
    tree = shop.post("/ivr-trees", {"name": "Menu", "root_node_id": "m", "nodes": [
        {"id": "m", "prompt": {"type": "tts", "text": "Xin chào"}, "branches": {"0": {"type": "hangup"}}}]}).json()
    h = shop.hotline(ivr_enabled=True, ivr_tree_id=tree["id"])
    assert error(shop.patch(f"/hotlines/{h['id']}", {"ivr_enabled": False})) == {("queue_id", "queue_required")}


def test_outbound_groups_list_only_groups_of_the_tenant(world, shop):
    sales = shop.group("Sales")
    other = world.tenant("Other")
    foreign = other.group("Sales")
    r = shop.post("/hotlines", {"number_type": "carrier", "line_type": "mobile", "name": "x", "queue_id": shop.queue(),
                                "outbound_enabled": True, "outbound_groups": [sales, foreign]}, expect=None)
    assert error(r) == {("outbound_groups", "unknown_group")}
    h = shop.hotline(queue_id=shop.queue("Q2"), outbound_enabled=True, outbound_groups=[sales])
    assert h["outbound_groups"] == [sales]


def test_seconds_fields_are_whole_numbers_with_sane_bounds(shop):
    q = shop.queue()
    base = {"number_type": "carrier", "line_type": "mobile", "name": "x", "queue_id": q}
    assert error(shop.post("/hotlines", {**base, "wrap_up_seconds": -1}, expect=None)) == {("wrap_up_seconds", "out_of_range")}
    assert error(shop.post("/hotlines", {**base, "wrap_up_seconds": 99999}, expect=None)) == {("wrap_up_seconds", "out_of_range")}
    assert error(shop.post("/hotlines", {**base, "notify_answer_seconds": -3}, expect=None)) == {("notify_answer_seconds", "out_of_range")}
    codes = error(shop.post("/hotlines", {**base, "wrap_up_seconds": 2.5}, expect=None))
    assert [f for f, _ in codes] == ["wrap_up_seconds"]
    codes = error(shop.post("/hotlines", {**base, "wrap_up_seconds": "soon"}, expect=None))
    assert [f for f, _ in codes] == ["wrap_up_seconds"]


def test_unknown_fields_and_bad_types_name_the_field(shop):
    r = shop.post("/hotlines", {"number_type": "mobile", "line_type": "mobile", "name": "x", "colour": "red"}, expect=None)
    assert error(r) == {("number_type", "invalid_value"), ("colour", "unknown_field")}
    r = shop.world.client.post("/api/v1/hotlines", headers={**shop.headers, "content-type": "application/json"},
                               content=b"{not json")
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "invalid_json"


def test_number_and_kind_cannot_change_after_creation(shop):
    h = shop.hotline(queue_id=shop.queue())
    assert error(shop.patch(f"/hotlines/{h['id']}", {"number": "0981000002"})) == {("number", "immutable")}
    assert error(shop.patch(f"/hotlines/{h['id']}", {"number_type": "virtual"})) == {("number_type", "immutable")}
    r = shop.patch(f"/hotlines/{h['id']}", {"number": h["number"], "name": "Renamed", "wrap_up_seconds": 45})
    assert r.status_code == 200 and r.json()["name"] == "Renamed" and r.json()["wrap_up_seconds"] == 45


def test_list_filters_and_pages(shop):
    q = shop.queue()
    shop.hotline(queue_id=q, name="Alpha", outbound_enabled=True)
    shop.hotline(queue_id=q, name="Beta")
    shop.hotline(line_type="toll_free", queue_id=q, name="Care", show_in_widget=False)
    assert shop.get("/hotlines").json()["total"] == 3
    assert [h["name"] for h in shop.get("/hotlines", line_type="toll_free").json()["items"]] == ["Care"]
    assert [h["name"] for h in shop.get("/hotlines", outbound_enabled=True).json()["items"]] == ["Alpha"]
    assert [h["name"] for h in shop.get("/hotlines", name="et").json()["items"]] == ["Beta"]
    page = shop.get("/hotlines", limit=2, offset=2).json()
    assert page["total"] == 3 and len(page["items"]) == 1
    assert shop.get("/hotlines", limit=0).status_code == 422


def test_deleting_a_hotline_frees_its_pool_number(world, shop):
    h = shop.hotline(number="0981000001", queue_id=shop.queue())
    assert shop.delete(f"/hotlines/{h['id']}").status_code == 204
    inv = world.client.get("/api/v1/inventory/+84981000001", headers=world.operator).json()
    assert inv["tenant_id"] is None
    assert shop.get(f"/hotlines/{h['id']}").status_code == 404


def test_queue_used_by_a_hotline_cannot_be_deleted(shop):
    q = shop.queue()
    h = shop.hotline(queue_id=q)
    r = shop.delete(f"/queues/{q}")
    assert r.status_code == 409 and r.json()["errors"][0]["code"] == "in_use"
    assert h["id"] in r.json()["detail"]
    assert shop.get(f"/queues/{q}").status_code == 200


def test_hotline_used_by_an_adaptive_number_cannot_be_deleted(shop):
    h = shop.hotline(queue_id=shop.queue(), outbound_enabled=True)
    shop.post("/adaptive-numbers", {"name": "Auto", "fallback_hotline_id": h["id"]})
    assert shop.delete(f"/hotlines/{h['id']}").status_code == 409


def test_missing_hotline_is_404_problem(shop):
    r = shop.get("/hotlines/hl_missing000000")
    assert r.status_code == 404 and r.json()["errors"][0]["code"] == "not_found"
    assert shop.get("/hotlines/not-an-id").status_code == 404


def test_a_taken_number_and_a_number_outside_the_inventory_read_the_same(world, shop):
    """A tenant must not learn that a number belongs to someone else from the wording (D20)."""
    q = shop.queue()
    other = world.tenant("Other")
    other.post("/hotlines", {"number_type": "virtual", "line_type": "local", "number": "02838257777",
                             "name": "Theirs", "queue_id": other.queue()})
    taken = shop.post("/hotlines", {"number_type": "virtual", "line_type": "local", "number": "02838257777",
                                    "name": "Mine", "queue_id": q}, expect=None)
    unknown = shop.post("/hotlines", {"number_type": "carrier", "line_type": "mobile", "number": "0981999999",
                                      "name": "Mine", "queue_id": q}, expect=None)
    assert error(taken) == error(unknown) == {("number", "number_unavailable")}
    assert taken.json()["errors"][0]["message"].replace("+842838257777", "N") == \
        unknown.json()["errors"][0]["message"].replace("+84981999999", "N")


@pytest.mark.parametrize("name", ["Sales\u202eevil", "Sup\u200bport", "A\u2066B\u2069", "\ufeffHotline"])
def test_names_with_bidirectional_or_invisible_characters_are_refused(shop, name):
    r = shop.post("/groups", {"name": name}, expect=None)
    assert error(r) == {("name", "invalid_characters")}
    assert shop.post("/groups", {"name": "Chăm sóc khách hàng"}).status_code == 201  # Vietnamese is fine


@pytest.mark.parametrize("password", ["12345678", "password1", "aaaaaaaab", "99887766554433", "xx-binh-2024"])
def test_weak_sip_passwords_are_refused(shop, password):
    r = shop.post("/agents", {"name": "Binh", "sip_username": "binh", "sip_password": password, "extension": "301"},
                  expect=None)
    assert error(r) == {("sip_password", "weak_password")}
