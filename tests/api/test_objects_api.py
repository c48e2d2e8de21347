"""Groups, agents, queues, IVR trees, audio and adaptive numbers through the API."""

import io
import math
import struct
import wave


def codes(r, status=422):
    assert r.status_code == status, r.text
    return {(e["field"], e["code"]) for e in r.json()["errors"]}


def wav_bytes(seconds=0.2, rate=8000, channels=1) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\x00\x00" * int(rate * seconds) * channels)
    return buf.getvalue()


def test_group_names_are_unique_in_a_tenant_and_used_groups_stay(world):
    shop = world.tenant()
    g = shop.group("Sales")
    assert codes(shop.post("/groups", {"name": "Sales"}, expect=None)) == {("name", "taken")}
    shop.agent("an", groups=[g])
    assert shop.delete(f"/groups/{g}").status_code == 409
    assert world.tenant("Other").group("Sales")  # another tenant may reuse the name


def test_agent_password_is_stored_only_as_digest_ha1(world, engine):
    import hashlib

    from sqlalchemy import text
    shop = world.tenant()
    a = shop.agent("an")
    assert "sip_password" not in a and "sip_ha1_md5" not in a
    with engine.connect() as conn:
        row = conn.execute(text("select * from agents where id = :i"), {"i": a["id"]}).mappings().one()
    assert "s3cret-pass" not in str(dict(row))
    assert row["sip_ha1_md5"] == hashlib.md5(f"an:{a['sip_domain']}:s3cret-pass".encode()).hexdigest()
    assert row["sip_ha1_sha256"] == hashlib.sha256(f"an:{a['sip_domain']}:s3cret-pass".encode()).hexdigest()


def test_agent_rules(world):
    shop = world.tenant()
    first = shop.agent("an")
    r = shop.post("/agents", {"name": "Dup", "sip_username": "an", "sip_password": "longenough",
                              "extension": "555"}, expect=None)
    assert codes(r) == {("sip_username", "taken")}
    r = shop.post("/agents", {"name": "Dup", "sip_username": "binh", "sip_password": "longenough",
                              "extension": first["extension"]}, expect=None)
    assert codes(r) == {("extension", "taken")}
    r = shop.post("/agents", {"name": "X", "sip_username": "Bad User", "sip_password": "short", "extension": "9",
                              "groups": ["gr_nope0000000000"], "default_caller_id": "hl_nope"}, expect=None)
    assert codes(r) == {("sip_username", "invalid_value"), ("sip_password", "too_short"),
                        ("extension", "invalid_value"), ("groups", "unknown_group"),
                        ("default_caller_id", "unknown_caller")}
    # the same username in another tenant is fine: SIP identity is username@tenant-domain
    assert world.tenant("Other").agent("an")["sip_domain"] != first["sip_domain"]


def test_agent_key_reads_only_its_own_profile(world):
    shop = world.tenant()
    an, binh = shop.agent("an"), shop.agent("binh")
    key = shop.post(f"/agents/{an['id']}/api-keys", {}).json()["key"]
    agent = {"Authorization": f"Bearer {key}"}
    assert world.client.get("/api/v1/agents/me", headers=agent).json()["id"] == an["id"]
    assert world.client.get(f"/api/v1/agents/{an['id']}", headers=agent).status_code == 200
    assert world.client.get(f"/api/v1/agents/{binh['id']}", headers=agent).status_code == 403
    assert world.client.get("/api/v1/hotlines", headers=agent).status_code == 403
    assert world.client.patch(f"/api/v1/agents/{an['id']}", headers=agent, json={"name": "Me"}).status_code == 403


def test_queue_groups_priorities_and_overflow(world):
    shop = world.tenant()
    a, b = shop.group("A"), shop.group("B")
    other = shop.queue("Other")
    q = shop.post("/queues", {"name": "Main", "groups": [{"group_id": a, "priority": 1}, {"group_id": b, "priority": 2}],
                              "strategy": "ring_all", "ring_timeout_seconds": 15, "max_wait_seconds": 120,
                              "max_wait_action": {"type": "queue", "queue_id": other}, "record_calls": True}).json()
    assert q["groups"] == [{"group_id": a, "priority": 1}, {"group_id": b, "priority": 2}]
    assert q["max_wait_action"]["queue_id"] == other
    assert shop.delete(f"/queues/{other}").status_code == 409  # it is the overflow target
    r = shop.patch(f"/queues/{q['id']}", {"max_wait_action": {"type": "external", "number": "nope"}})
    assert codes(r) == {("max_wait_action.number", "invalid_number")}
    r = shop.patch(f"/queues/{q['id']}", {"strategy": "fastest"})
    assert codes(r) == {("strategy", "invalid_value")}
    r = shop.patch(f"/queues/{q['id']}", {"ring_timeout_seconds": 0})
    assert codes(r) == {("ring_timeout_seconds", "out_of_range")}


def test_ivr_tree_with_text_and_uploaded_audio_prompts(world):
    shop = world.tenant()
    q = shop.queue()
    up = world.client.post("/api/v1/audio", headers=shop.headers,
                           files={"file": ("hello.wav", wav_bytes(), "audio/wav")})
    assert up.status_code == 201, up.text
    audio = up.json()
    assert audio["duration_ms"] == 200
    tree = shop.post("/ivr-trees", {"name": "Menu", "root_node_id": "main", "nodes": [
        {"id": "main", "prompt": {"type": "audio", "audio_id": audio["id"]},
         "branches": {"1": {"type": "queue", "queue_id": q}, "2": {"type": "node", "node_id": "info"},
                      "*": {"type": "node", "node_id": "main"}, "#": {"type": "hangup"},
                      "0": {"type": "external", "number": "0912345678"},
                      "no_input": {"type": "node", "node_id": "main"}, "invalid_input": {"type": "hangup"}}},
        {"id": "info", "prompt": {"type": "tts", "text": "Giờ làm việc 8h-17h", "language": "vi"}}]})
    t = tree.json()
    assert t["nodes"][0]["branches"]["1"]["queue_id"] == q
    assert world.client.delete(f"/api/v1/audio/{audio['id']}", headers=shop.headers).status_code == 409
    assert shop.delete(f"/queues/{q}").status_code == 409  # the tree sends callers there


def test_ivr_tree_validation_names_each_field(world):
    shop = world.tenant()
    r = shop.post("/ivr-trees", {"name": "Menu", "root_node_id": "start", "nodes": [
        {"id": "main", "prompt": {"type": "tts", "text": ""},
         "branches": {"1": {"type": "node", "node_id": "ghost"}, "2": {"type": "queue", "queue_id": "qu_zzzzzzzzzzzzzz"}}}]},
        expect=None)
    assert codes(r) == {("root_node_id", "unknown_node"), ("nodes[0].prompt.text", "prompt_required"),
                        ("nodes[0].branches.1.node_id", "unknown_node"),
                        ("nodes[0].branches.2.queue_id", "unknown_queue")}
    r = shop.post("/ivr-trees", {"name": "Menu", "root_node_id": "m", "nodes": [
        {"id": "m", "prompt": {"type": "tts", "text": "x"}, "branches": {"A": {"type": "hangup"}}}]}, expect=None)
    assert ("nodes[0].branches.A", "invalid_value") in codes(r)


def test_ivr_tree_with_an_extension_node_a_code_menu_and_an_agent_branch(world):
    shop = world.tenant()
    agent = shop.post("/agents", {"name": "An", "sip_username": "an", "sip_password": "longenough1",
                                  "extension": "101"}).json()
    tree = shop.post("/ivr-trees", {"name": "Menu", "root_node_id": "m", "nodes": [
        {"id": "m", "max_digits": 4, "prompt": {"type": "tts", "text": "Nhập mã"},
         "branches": {"1234": {"type": "agent", "agent_id": agent["id"]}, "9": {"type": "node", "node_id": "ext"},
                      "no_answer": {"type": "hangup"}}},
        {"id": "ext", "type": "extension", "prompt": {"type": "tts", "text": "Nhập số máy lẻ"},
         "branches": {"invalid_input": {"type": "node", "node_id": "m"}}}]}).json()
    assert [(n["type"], n["max_digits"]) for n in tree["nodes"]] == [("menu", 4), ("extension", 6)]
    assert shop.delete(f"/agents/{agent['id']}").status_code == 409  # the tree rings that agent
    r = shop.post("/ivr-trees", {"name": "Menu", "root_node_id": "m", "nodes": [
        {"id": "m", "type": "extension", "prompt": {"type": "tts", "text": "x"},
         "branches": {"1": {"type": "agent", "agent_id": "ag_zzzzzzzzzzzzzz"}}}]}, expect=None)
    assert codes(r) == {("nodes[0].branches.1", "invalid_key"), ("nodes[0].branches.1.agent_id", "unknown_agent")}


def mp3_bytes(seconds: float, rate: int = 22050) -> bytes:
    """A stereo MP3 of a 440 Hz tone, encoded with LAME."""
    import lameenc
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(32)
    encoder.set_in_sample_rate(rate)
    encoder.set_channels(2)
    encoder.set_quality(7)
    pcm = b"".join(struct.pack("<hh", int(8000 * math.sin(2 * math.pi * 440 * i / rate)), 0)
                   for i in range(int(rate * seconds)))
    return bytes(encoder.encode(pcm) + encoder.flush())


def test_audio_upload_takes_wav_and_mp3_of_any_rate_and_channels_and_converts_them_for_rtpengine(world):
    shop = world.tenant()
    for name, data, ms in (("nhac.mp3", mp3_bytes(2.0), 2000), ("loi-chao.wav", wav_bytes(0.5, 44100, 2), 500)):
        r = world.client.post("/api/v1/audio", headers=shop.headers, files={"file": (name, data, "audio/mpeg")})
        assert r.status_code == 201, r.text
        assert abs(r.json()["duration_ms"] - ms) < 150 and r.json()["name"] == name  # MP3 frames pad the end
    assert world.client.get("/api/v1/audio", headers=shop.headers).json()["total"] == 2


def test_audio_upload_rejects_files_that_are_not_audio_and_keeps_nothing(world):
    shop = world.tenant()
    for name, data in (("x.wav", b"RIFFjunk"), ("x.mp3", b"ID3" + bytes(range(256)) * 8), ("notes.txt", b"hello" * 50),
                       ("cut.wav", wav_bytes()[:40]), ("empty.mp3", b"")):
        r = world.client.post("/api/v1/audio", headers=shop.headers, files={"file": (name, data, "audio/wav")})
        assert codes(r) == {("file", "invalid_audio")}, (name, r.text)
    long_wav = wav_bytes(seconds=601, rate=4000)  # 4.6 MiB: under the size limit, over the 10 minutes
    r = world.client.post("/api/v1/audio", headers=shop.headers, files={"file": ("long.wav", long_wav, "audio/wav")})
    assert codes(r) == {("file", "too_long")}
    assert world.client.get("/api/v1/audio", headers=shop.headers).json()["total"] == 0


def test_adaptive_number_crud(world):
    world.stock("0981000001")
    shop = world.tenant()
    q = shop.queue()
    h = shop.hotline(queue_id=q, outbound_enabled=True)
    virtual = shop.post("/hotlines", {"number_type": "virtual", "line_type": "local", "number": "02838259999",
                                      "name": "V", "queue_id": q}).json()
    a = shop.post("/adaptive-numbers", {"name": "Auto", "fallback_hotline_id": h["id"], "members": [h["id"]]}).json()
    assert a["members"] == [h["id"]] and a["outbound_enabled"] is True
    r = shop.patch(f"/adaptive-numbers/{a['id']}", {"fallback_hotline_id": virtual["id"]})
    assert codes(r) == {("fallback_hotline_id", "virtual_cannot_call_out")}
    ag = shop.agent("an", default_caller_id=a["id"])
    assert ag["default_caller_id"] == a["id"]
    assert shop.delete(f"/adaptive-numbers/{a['id']}").status_code == 409
    assert shop.patch(f"/agents/{ag['id']}", {"default_caller_id": None}).status_code == 200
    assert shop.delete(f"/adaptive-numbers/{a['id']}").status_code == 204


def test_webhook_rules_and_secret_never_shown(world):
    shop = world.tenant()
    r = shop.post("/webhooks", {"url": "ftp://x", "events": ["call.nope"], "secret": "short"}, expect=None)
    assert codes(r) == {("url", "invalid_url"), ("events", "invalid_value"), ("secret", "too_short")}
    hook = shop.post("/webhooks", {"url": "https://crm.example/hook", "events": ["call.ended", "call.started"],
                                   "secret": "0123456789abcdef"}).json()
    assert "secret" not in hook and hook["events"] == ["call.ended", "call.started"]
    assert shop.get("/webhooks").json()["total"] == 1
    assert shop.get(f"/webhooks/{hook['id']}/deliveries").json() == {"items": []}
    assert world.client.delete(f"/api/v1/tenants/{shop.id}", headers=world.operator).status_code == 409
    assert shop.delete(f"/webhooks/{hook['id']}").status_code == 204
    assert shop.get(f"/webhooks/{hook['id']}").status_code == 404
